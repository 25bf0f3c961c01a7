package timeline

import (
	"encoding/binary"

	"github.com/packter/packter/event"
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

// put returns a reference to v (0 for empty text), stored in ring r once the
// intern table is full.
func (s *strings) put(v event.Text, r int) uint32 {
	if v.Empty() {
		return 0
	}
	if id, ok := s.in.lookup(v); ok {
		return id
	}
	if id, ok := s.in.add(v); ok {
		return id
	}
	ref := s.ring[r].put(v.String())
	if r == keptRing {
		ref |= ringBit
	}
	return arenaBit | ref
}

// get resolves a reference; text overwritten since reads as empty and kept
// false. Text read back from a ring is bytes again, so it is made a Text the
// one way there is, by cleaning (a scan: it was clean when stored).
func (s *strings) get(ref uint32) (v event.Text, kept bool) {
	if ref == 0 {
		return event.Text{}, true
	}
	if ref&arenaBit == 0 {
		return s.in.get(ref), true
	}
	r := descRing
	if ref&ringBit != 0 {
		r = keptRing
	}
	b, ok := s.ring[r].get(ref & refMask)
	if !ok {
		return event.Text{}, false
	}
	return event.CleanBytes(b, maxStored), true
}

// maxStored is the longest text a ring holds (its 2-byte length).
const maxStored = 1<<16 - 1

func (g *ring) put(v string) uint32 {
	if len(v) > maxStored {
		v = v[:maxStored]
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

func (g *ring) get(ref uint32) ([]byte, bool) {
	// Rebuild the absolute position: the latest one before pos whose low
	// bits match.
	low := uint64(ref) * 8
	span := uint64(refMask+1) * 8
	abs := g.pos - g.pos%span + low
	if abs >= g.pos {
		if abs < span {
			return nil, false
		}
		abs -= span
	}
	if g.pos-abs > g.size {
		return nil, false
	}
	off := abs % g.size
	n := uint64(binary.LittleEndian.Uint16(g.arena[off:]))
	if off+2+n > g.size {
		return nil, false
	}
	return g.arena[off+2 : off+2+n], true
}

// interner maps texts to small ids (from 1), bounded in count and bytes.
type interner struct {
	ids      map[string]uint32
	strs     []event.Text
	maxCount int
	maxBytes int
	bytes    int
}

func newInterner(maxCount, maxBytes int) *interner {
	return &interner{ids: make(map[string]uint32), strs: []event.Text{{}}, maxCount: maxCount, maxBytes: maxBytes}
}

func (in *interner) lookup(t event.Text) (uint32, bool) {
	id, ok := in.ids[t.String()]
	return id, ok
}

func (in *interner) add(t event.Text) (uint32, bool) {
	if len(in.strs) > in.maxCount || in.bytes+len(t.String()) > in.maxBytes {
		return 0, false
	}
	id := uint32(len(in.strs))
	t = t.Clone() // its own bytes, not a view holding a whole arena chunk
	in.strs = append(in.strs, t)
	in.ids[t.String()] = id
	in.bytes += len(t.String())
	return id, true
}

// id interns t, or returns 0 when the table is full.
func (in *interner) id(t event.Text) uint32 {
	if id, ok := in.lookup(t); ok {
		return id
	}
	id, _ := in.add(t)
	return id
}

func (in *interner) get(id uint32) event.Text {
	if int(id) < len(in.strs) {
		return in.strs[id]
	}
	return event.Text{}
}
