package timeline

import (
	"encoding/binary"
	stdstrings "strings"
)

// strings stores the text of events compactly: repeated strings (agent ids,
// file names, IDS messages, traceback hosts) are interned; once the intern
// table is full, further strings go to a byte ring where the oldest are
// overwritten, as the events that named them are.
type strings struct {
	in    *interner
	arena []byte
	pos   uint64 // bytes ever written to the arena
}

const (
	arenaSize = 64 << 20
	arenaBit  = 1 << 27 // reference kind; references use 28 bits (two more hold the desc mode)
	refMask   = arenaBit - 1
)

func newStrings() *strings {
	return &strings{in: newInterner(1<<20, 32<<20)}
}

// put returns a reference to s (0 for "").
func (s *strings) put(v string) uint32 {
	if v == "" {
		return 0
	}
	if id, ok := s.in.lookup(v); ok {
		return id
	}
	if id, ok := s.in.add(v); ok {
		return id
	}
	if len(v) > 1<<16-1 {
		v = v[:1<<16-1]
	}
	if s.arena == nil {
		s.arena = make([]byte, arenaSize)
	}
	// Entries are 8-byte aligned: 2-byte length, then the bytes.
	need := uint64(2+len(v)+7) &^ 7
	off := s.pos % arenaSize
	if off+need > arenaSize { // never split an entry: skip to the start
		s.pos += arenaSize - off
		off = 0
	}
	binary.LittleEndian.PutUint16(s.arena[off:], uint16(len(v)))
	copy(s.arena[off+2:], v)
	ref := uint32(s.pos/8) & refMask
	s.pos += need
	return arenaBit | ref
}

// get resolves a reference; a string overwritten since reads as "".
func (s *strings) get(ref uint32) string {
	if ref == 0 {
		return ""
	}
	if ref&arenaBit == 0 {
		return s.in.get(ref)
	}
	// Rebuild the absolute position: the latest one at or before pos whose
	// low bits match.
	low := uint64(ref&refMask) * 8
	span := uint64(refMask+1) * 8
	abs := s.pos - s.pos%span + low
	if abs >= s.pos {
		if abs < span {
			return ""
		}
		abs -= span
	}
	if s.pos-abs > arenaSize {
		return ""
	}
	off := abs % arenaSize
	n := uint64(binary.LittleEndian.Uint16(s.arena[off:]))
	if off+2+n > arenaSize {
		return ""
	}
	return string(s.arena[off+2 : off+2+n])
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
