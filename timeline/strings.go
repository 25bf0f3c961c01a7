package timeline

import (
	"encoding/binary"
	stdstrings "strings"
)

// strings stores the text of events compactly: repeated strings (agent ids,
// file names, IDS messages, traceback hosts) are interned; once the intern
// table is full, further strings go to one of two byte rings where the oldest
// are overwritten. Packet descriptions have a ring of their own, so a flood
// of unique descriptions never overwrites the text of alerts, messages or
// IDS incidents, which share the other.
type strings struct {
	in   *interner
	ring [2]ring // descRing, keptRing
}

// Which ring a string goes to.
const (
	descRing = 0 // packet descriptions: may be evicted under a flood
	keptRing = 1 // alerts, messages, incidents, file names: kept
)

// Sizes: with DefaultCapacity events these bound the timeline's memory
// (docs: README, "Memory").
const (
	internCount  = 1 << 19
	internBytes  = 16 << 20
	descRingSize = 48 << 20
	keptRingSize = 16 << 20
)

// A reference is 28 bits (two more hold the packet description mode): an
// interned id, or arenaBit | ring bit | position/8 within a 512 MiB span.
const (
	arenaBit = 1 << 27
	ringBit  = 1 << 26
	refMask  = ringBit - 1
)

type ring struct {
	size  uint64
	arena []byte
	pos   uint64 // bytes ever written
}

func newStrings() *strings {
	return &strings{
		in:   newInterner(internCount, internBytes),
		ring: [2]ring{{size: descRingSize}, {size: keptRingSize}},
	}
}

// put returns a reference to s (0 for ""), stored in ring r once the intern
// table is full.
func (s *strings) put(v string, r int) uint32 {
	if v == "" {
		return 0
	}
	if id, ok := s.in.lookup(v); ok {
		return id
	}
	if id, ok := s.in.add(v); ok {
		return id
	}
	ref := s.ring[r].put(v)
	if r == keptRing {
		ref |= ringBit
	}
	return arenaBit | ref
}

// get resolves a reference; a string overwritten since reads as "" and
// kept false.
func (s *strings) get(ref uint32) (v string, kept bool) {
	if ref == 0 {
		return "", true
	}
	if ref&arenaBit == 0 {
		return s.in.get(ref), true
	}
	r := descRing
	if ref&ringBit != 0 {
		r = keptRing
	}
	return s.ring[r].get(ref & refMask)
}

func (g *ring) put(v string) uint32 {
	if len(v) > 1<<16-1 {
		v = v[:1<<16-1]
	}
	if g.arena == nil {
		g.arena = make([]byte, g.size)
	}
	// Entries are 8-byte aligned: 2-byte length, then the bytes.
	need := uint64(2+len(v)+7) &^ 7
	off := g.pos % g.size
	if off+need > g.size { // never split an entry: skip to the start
		g.pos += g.size - off
		off = 0
	}
	binary.LittleEndian.PutUint16(g.arena[off:], uint16(len(v)))
	copy(g.arena[off+2:], v)
	ref := uint32(g.pos/8) & refMask
	g.pos += need
	return ref
}

func (g *ring) get(ref uint32) (string, bool) {
	// Rebuild the absolute position: the latest one before pos whose low
	// bits match.
	low := uint64(ref) * 8
	span := uint64(refMask+1) * 8
	abs := g.pos - g.pos%span + low
	if abs >= g.pos {
		if abs < span {
			return "", false
		}
		abs -= span
	}
	if g.pos-abs > g.size {
		return "", false
	}
	off := abs % g.size
	n := uint64(binary.LittleEndian.Uint16(g.arena[off:]))
	if off+2+n > g.size {
		return "", false
	}
	return string(g.arena[off+2 : off+2+n]), true
}

// interner maps strings to small ids (from 1), bounded in count and bytes.
type interner struct {
	ids      map[string]uint32
	strs     []string
	maxCount int
	maxBytes int
	bytes    int
}

func newInterner(maxCount, maxBytes int) *interner {
	return &interner{ids: make(map[string]uint32), strs: []string{""}, maxCount: maxCount, maxBytes: maxBytes}
}

func (in *interner) lookup(s string) (uint32, bool) {
	id, ok := in.ids[s]
	return id, ok
}

func (in *interner) add(s string) (uint32, bool) {
	if len(in.strs) > in.maxCount || in.bytes+len(s) > in.maxBytes {
		return 0, false
	}
	id := uint32(len(in.strs))
	s = stdstrings.Clone(s) // s may view a reused datagram buffer
	in.strs = append(in.strs, s)
	in.ids[s] = id
	in.bytes += len(s)
	return id, true
}

// id interns s, or returns 0 when the table is full.
func (in *interner) id(s string) uint32 {
	if id, ok := in.lookup(s); ok {
		return id
	}
	id, _ := in.add(s)
	return id
}

func (in *interner) get(id uint32) string {
	if int(id) < len(in.strs) {
		return in.strs[id]
	}
	return ""
}
