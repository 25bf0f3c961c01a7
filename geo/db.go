package geo

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
)

// DB maps addresses to countries. It is immutable once built, so any number
// of goroutines may look up at once.
type DB struct {
	v4 table4
	v6 table6
}

// table4 holds IPv4 ranges sorted by start, not overlapping. idx[h] is the
// first range that ends at or after h<<16, so a lookup searches only the
// ranges that touch the address's /16 (a handful) instead of all of them.
type table4 struct {
	start, end []uint32
	cc         []Country
	idx        []uint32 // 1<<16 + 1 entries once built
}

type u128 struct{ hi, lo uint64 }

func (a u128) less(b u128) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }

func (a u128) next() (u128, bool) {
	lo := a.lo + 1
	hi := a.hi
	if lo == 0 {
		hi++
	}
	return u128{hi, lo}, a.hi != ^uint64(0) || a.lo != ^uint64(0)
}

func u128From(a netip.Addr) u128 {
	b := a.As16()
	return u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

// table6 holds IPv6 ranges sorted by start; idx indexes them by the top 16
// bits like table4.
type table6 struct {
	start, end []u128
	cc         []Country
	idx        []uint32
}

// Lookup is the country of a. IPv4-mapped IPv6 addresses are looked up as
// IPv4. Local addresses (IsLocal) are Local whatever the ranges say; an
// address no range covers is Unknown. It allocates nothing.
func (db *DB) Lookup(a netip.Addr) Country {
	if IsLocal(a) {
		return Local
	}
	a = a.Unmap()
	if a.Is4() {
		b := a.As4()
		return db.v4.find(binary.BigEndian.Uint32(b[:]))
	}
	if a.Is6() {
		return db.v6.find(u128From(a))
	}
	return Unknown
}

func (t *table4) find(x uint32) Country {
	if len(t.idx) == 0 {
		return Unknown
	}
	h := x >> 16
	lo, hi := int(t.idx[h]), int(t.idx[h+1])+1
	hi = min(hi, len(t.start))
	// The first range in [lo, hi) whose end is >= x.
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.end[m] < x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(t.start) && t.start[lo] <= x && x <= t.end[lo] {
		return t.cc[lo]
	}
	return Unknown
}

func (t *table6) find(x u128) Country {
	if len(t.idx) == 0 {
		return Unknown
	}
	h := x.hi >> 48
	lo, hi := int(t.idx[h]), int(t.idx[h+1])+1
	hi = min(hi, len(t.start))
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.end[m].less(x) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(t.start) && !x.less(t.start[lo]) && !t.end[lo].less(x) {
		return t.cc[lo]
	}
	return Unknown
}

// Len is the number of IPv4 and IPv6 ranges.
func (db *DB) Len() (v4, v6 int) { return len(db.v4.start), len(db.v6.start) }

// ErrOverlap marks ranges that overlap with different countries.
var ErrOverlap = errors.New("overlapping ranges")

// Builder collects ranges in any order; Build sorts, checks and indexes them.
// Adjacent ranges of one country are merged.
type Builder struct {
	r4 []range4
	r6 []range6
}

type range4 struct {
	start, end uint32
	cc         Country
}

type range6 struct {
	start, end u128
	cc         Country
}

// Add adds the inclusive range [from, to] for c. Unknown ranges are dropped
// (they say nothing); from and to must be of one family, from <= to.
func (b *Builder) Add(from, to netip.Addr, c Country) error {
	from, to = from.Unmap(), to.Unmap()
	switch {
	case !from.IsValid() || !to.IsValid() || from.Is4() != to.Is4():
		return fmt.Errorf("range %v-%v: addresses of different families", from, to)
	case to.Less(from):
		return fmt.Errorf("range %v-%v ends before it starts", from, to)
	case c == Unknown:
		return nil
	case from.Is4():
		f, t := from.As4(), to.As4()
		b.r4 = append(b.r4, range4{binary.BigEndian.Uint32(f[:]), binary.BigEndian.Uint32(t[:]), c})
	default:
		b.r6 = append(b.r6, range6{u128From(from), u128From(to), c})
	}
	return nil
}

// AddPrefix adds every address of p for c.
func (b *Builder) AddPrefix(p netip.Prefix, c Country) error {
	p = p.Masked()
	if !p.IsValid() {
		return fmt.Errorf("invalid prefix %v", p)
	}
	from := p.Addr()
	b16 := from.As16()
	bits := p.Bits()
	if from.Is4() {
		bits += 96
	}
	for i := bits; i < 128; i++ {
		b16[i/8] |= 0x80 >> (i % 8)
	}
	to := netip.AddrFrom16(b16)
	if from.Is4() {
		to = to.Unmap()
	}
	return b.Add(from, to, c)
}

// Build makes the DB. Ranges of one country that overlap or touch are merged;
// overlapping ranges of different countries are an error wrapping ErrOverlap.
func (b *Builder) Build() (*DB, error) {
	db := &DB{}
	slices.SortFunc(b.r4, func(x, y range4) int { return cmp.Compare(x.start, y.start) })
	for _, r := range b.r4 {
		t := &db.v4
		if n := len(t.start); n > 0 {
			last := t.end[n-1]
			if r.start <= last {
				if t.cc[n-1] != r.cc {
					return nil, fmt.Errorf("%w: %v and %v", ErrOverlap, addr4(r.start), addr4(last))
				}
				t.end[n-1] = max(last, r.end)
				continue
			}
			if last+1 == r.start && t.cc[n-1] == r.cc {
				t.end[n-1] = r.end
				continue
			}
		}
		t.start, t.end, t.cc = append(t.start, r.start), append(t.end, r.end), append(t.cc, r.cc)
	}
	slices.SortFunc(b.r6, func(x, y range6) int {
		if x.start.less(y.start) {
			return -1
		}
		if y.start.less(x.start) {
			return 1
		}
		return 0
	})
	for _, r := range b.r6 {
		t := &db.v6
		if n := len(t.start); n > 0 {
			last := t.end[n-1]
			if !last.less(r.start) {
				if t.cc[n-1] != r.cc {
					return nil, fmt.Errorf("%w: IPv6 ranges at %x:%x", ErrOverlap, r.start.hi, r.start.lo)
				}
				if last.less(r.end) {
					t.end[n-1] = r.end
				}
				continue
			}
			if nx, ok := last.next(); ok && nx == r.start && t.cc[n-1] == r.cc {
				t.end[n-1] = r.end
				continue
			}
		}
		t.start, t.end, t.cc = append(t.start, r.start), append(t.end, r.end), append(t.cc, r.cc)
	}
	b.r4, b.r6 = nil, nil
	db.v4.idx = index(len(db.v4.end), func(i int) uint32 { return db.v4.end[i] >> 16 })
	db.v6.idx = index(len(db.v6.end), func(i int) uint32 { return uint32(db.v6.end[i].hi >> 48) })
	return db, nil
}

// index builds idx[h] = the first range whose end's top 16 bits are >= h, for
// h in 0..1<<16 (the last entry is the number of ranges, a sentinel).
func index(n int, top func(int) uint32) []uint32 {
	idx := make([]uint32, 1<<16+1)
	i := 0
	for h := 0; h <= 1<<16; h++ {
		for i < n && int(top(i)) < h {
			i++
		}
		idx[h] = uint32(i)
	}
	return idx
}

func addr4(x uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], x)
	return netip.AddrFrom4(b)
}
