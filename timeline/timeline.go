// Package timeline is the monitor's memory: a ring of compact, timestamped
// events (64 bytes each) with seek by time, recent-window reads for the console
// and replay at any speed. One writer, many readers.
package timeline

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"math"
	"net/netip"
	"sync"
	"time"
	"unsafe"

	"github.com/packter/packter/event"
	"github.com/packter/packter/protocol"
)

// DefaultCapacity is how many events a monitor keeps unless told otherwise:
// 3 million events take 192 MB of slots, and with the string store (at most
// 16 MB interned, 48 MiB of packet descriptions, 16 MiB of other text) the
// whole timeline stays under 290 MB, leaving the monitor room under its
// 512 MiB ceiling for a flood in flight (the hostile flood test peaked at
// 455–464 MiB with 4 million).
const DefaultCapacity = 3_000_000

// chunkSize entries are allocated at a time, so memory follows use up to the capacity.
const chunkSize = 1 << 16

// Bits of entry.bits.
const (
	srcV6 = 1 << iota
	srcNorm
	dstV6
	dstNorm
	sportNorm
	dportNorm
	authed
)

// How entry.str holds a packet's description.
const (
	descString  = iota // str is a string reference
	descDefault        // the agent's default description, rebuilt from the fields
	descHash           // HASH-SERVER: hash in the spare address bytes (IPv4) or the arena, server in str
)

// entry is one event in 64 bytes. IPv4 addresses use 4 of their 16 bytes; a
// traceback hash of an IPv4 record lives in the other 24.
type entry struct {
	time  int64
	src   [16]byte
	dst   [16]byte
	sport uint32 // port value, float32 bits when normalised; Millis for sound
	dport uint32
	flag  int32
	str   uint32 // Desc or Text (string reference)
	aux   uint32 // Model or File (string reference)
	agent uint16 // agent id (interned; 0 = none)
	kind  uint8
	bits  uint8
}

// Counts are totals since the timeline started (not reduced by eviction).
type Counts struct {
	Class    [10]uint64 // packet records per PACKTER flag class
	Flood    uint64     // flood (missile) records
	Incident uint64     // IDS incident records
	Kind     [16]uint64 // events by event.Kind
}

// Timeline is the ring. The zero value is not usable: call New.
type Timeline struct {
	mu     sync.RWMutex
	chunks [][]entry
	cap    uint64
	first  uint64 // oldest seq in the ring
	next   uint64 // seq of the next Append

	// The past: events from before the ring's oldest, loaded from an
	// archive (Backfill), numbered just below first so that seeking and
	// playing go on from them into the ring. They stay while they adjoin
	// the ring: its first eviction drops them. past[0] is seq
	// first-len(past).
	pastCap uint64 // room below the first seq (AllowPast); 0: none
	past    []entry

	counts  Counts
	str     *strings
	agents  *interner
	scratch []byte
}

// New makes a timeline holding up to capacity events (rounded up to a chunk).
func New(capacity int) *Timeline {
	if capacity <= 0 {
		capacity = DefaultCapacity
	}
	n := (capacity + chunkSize - 1) / chunkSize
	return &Timeline{
		chunks: make([][]entry, n),
		cap:    uint64(n * chunkSize),
		str:    newStrings(),
		agents: newInterner(65535, 1<<20),
	}
}

// Capacity is the most events held at once.
func (t *Timeline) Capacity() int { return int(t.cap) }

// AllowPast makes room for up to n events older than the ring (Backfill):
// sequence numbers start at n instead of 0. Call it before the first Append.
func (t *Timeline) AllowPast(n int) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.next != t.first || t.next != t.pastCap {
		return errors.New("timeline: AllowPast after Append")
	}
	t.pastCap = uint64(max(n, 0))
	t.first, t.next = t.pastCap, t.pastCap
	return nil
}

// PastCapacity is how many older events Backfill may add (AllowPast).
func (t *Timeline) PastCapacity() int { return int(t.pastCap) }

// Past builds a new stretch of events older than the ring: Add them oldest
// first, then Commit puts them before the ring, replacing any stretch put
// there before. Encoding as they come keeps a long stretch at 64 bytes an
// event, never a slice of full events. One goroutine uses a Past.
type Past struct {
	t       *Timeline
	entries []entry
	last    int64
	err     error
}

// NewPast starts a stretch of at most PastCapacity events.
func (t *Timeline) NewPast() *Past { return &Past{t: t} }

// Add encodes ev into the stretch; false when it is full (ev is not taken)
// or ev is older than the one before (refused: only arrival order makes a
// timeline, so the stretch is spoiled and Commit will say so).
func (p *Past) Add(ev *event.Event) bool {
	t := p.t
	if p.err != nil || uint64(len(p.entries)) >= t.pastCap {
		return false
	}
	tm := ev.Time.UnixNano()
	if len(p.entries) > 0 && tm < p.last {
		p.err = errors.New("timeline: past events out of order")
		return false
	}
	p.last = tm
	p.entries = append(p.entries, entry{})
	t.mu.Lock() // the string store is the live ring's too
	t.encode(&p.entries[len(p.entries)-1], ev)
	t.mu.Unlock()
	return true
}

// Len is how many events were added.
func (p *Past) Len() int { return len(p.entries) }

// Commit puts the stretch before the ring and returns how many events it
// holds. A stretch that is not older than the ring's oldest event is refused.
func (p *Past) Commit() (int, error) {
	t := p.t
	if p.err != nil {
		return 0, p.err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	n := uint64(len(p.entries))
	if n == 0 {
		return 0, nil
	}
	if t.next > t.first && p.last > t.slot(t.first).time {
		return 0, errors.New("timeline: past events newer than the oldest held")
	}
	t.past = p.entries
	p.entries = nil
	return int(n), nil
}

// Backfill is a Past of evs (oldest first) committed: it keeps the oldest
// PastCapacity of them and returns how many it kept.
func (t *Timeline) Backfill(evs []event.Event) (int, error) {
	p := t.NewPast()
	for i := range evs {
		if !p.Add(&evs[i]) {
			break
		}
	}
	return p.Commit()
}

// low is the oldest seq held, past included.
func (t *Timeline) low() uint64 { return t.first - uint64(len(t.past)) }

// at is the entry of a held seq, in the past or the ring.
func (t *Timeline) at(seq uint64) *entry {
	if seq < t.first {
		return &t.past[seq-t.low()]
	}
	return t.slot(seq)
}

func (t *Timeline) slot(seq uint64) *entry {
	i := seq % t.cap
	c := &t.chunks[i/chunkSize]
	if *c == nil {
		*c = make([]entry, chunkSize)
	}
	return &(*c)[i%chunkSize]
}

// Append stores ev and returns its sequence number. The oldest event is
// dropped when the ring is full.
func (t *Timeline) Append(ev *event.Event) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	seq := t.next
	e := t.slot(seq)
	t.encode(e, ev)
	t.next++
	if t.next-t.first > t.cap {
		t.first = t.next - t.cap
		if len(t.past) > 0 { // no longer adjoins the ring
			t.past = nil // and its memory with it
		}
	}
	t.count(ev)
	return seq
}

func (t *Timeline) count(ev *event.Event) {
	if int(ev.Kind) < len(t.counts.Kind) {
		t.counts.Kind[ev.Kind]++
	}
	if ev.Kind != event.KindPacket {
		return
	}
	switch {
	case ev.Flood():
		t.counts.Flood++
	default:
		t.counts.Class[ev.Class()]++
	}
	if ev.Incident() {
		t.counts.Incident++
	}
}

// Counts returns the totals so far.
func (t *Timeline) Counts() Counts {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.counts
}

// Bounds returns the sequence numbers held: [first, next), backfilled past
// included.
func (t *Timeline) Bounds() (first, next uint64) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.low(), t.next
}

// PastBounds returns the backfilled past's sequence numbers, [first, end);
// empty when there is none.
func (t *Timeline) PastBounds() (first, end uint64) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.low(), t.first
}

// Get decodes event seq into ev; false when it is not (or no longer) held.
func (t *Timeline) Get(seq uint64, ev *event.Event) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if seq < t.low() || seq >= t.next {
		return false
	}
	t.decode(t.at(seq), ev)
	return true
}

// Search returns the first seq whose time is at or after tm (next when none).
// Arrival times only grow, so it is a binary search.
func (t *Timeline) Search(tm time.Time) uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	want := tm.UnixNano()
	lo, hi := t.low(), t.next
	for lo < hi {
		mid := lo + (hi-lo)/2
		if t.at(mid).time < want {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// Recent appends to dst up to n events with seq < before, oldest first.
func (t *Timeline) Recent(dst []event.Event, before uint64, n int) []event.Event {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if before > t.next {
		before = t.next
	}
	start := t.low()
	if before > uint64(n) && before-uint64(n) > start {
		start = before - uint64(n)
	}
	for s := start; s < before; s++ {
		dst = append(dst, event.Event{})
		t.decode(t.at(s), &dst[len(dst)-1])
	}
	return dst
}

// Replay calls fn for each event from seq from onwards, paced by the events'
// own time gaps divided by speed (0: as fast as possible). It follows the
// timeline as it grows and returns when ctx ends or fn fails.
func (t *Timeline) Replay(ctx context.Context, from uint64, speed float64, fn func(seq uint64, ev *event.Event) error) error {
	var ev event.Event
	var prev time.Time
	var wall time.Time
	idle := time.NewTimer(time.Hour)
	defer idle.Stop()
	for seq := from; ; {
		if err := ctx.Err(); err != nil {
			return err
		}
		first, next := t.Bounds()
		if seq < first {
			seq = first
		}
		if seq >= next {
			idle.Reset(50 * time.Millisecond)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-idle.C:
			}
			continue
		}
		if !t.Get(seq, &ev) {
			continue
		}
		if speed > 0 && !prev.IsZero() {
			gap := time.Duration(float64(ev.Time.Sub(prev)) / speed)
			if d := time.Until(wall.Add(gap)); d > 0 {
				idle.Reset(d)
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-idle.C:
				}
			}
			wall = wall.Add(gap)
		} else {
			wall = time.Now()
		}
		prev = ev.Time
		if err := fn(seq, &ev); err != nil {
			return err
		}
		seq++
	}
}

// BytesPerEvent is the memory held per event slot, for the benchmark's record.
const BytesPerEvent = int(unsafe.Sizeof(entry{}))

func (t *Timeline) encode(e *entry, ev *event.Event) {
	*e = entry{time: ev.Time.UnixNano(), kind: uint8(ev.Kind), flag: int32(ev.Flag)}
	if ev.Authed {
		e.bits |= authed
	}
	if !ev.Agent.Empty() {
		e.agent = uint16(t.agents.id(ev.Agent))
	}
	switch ev.Kind {
	case event.KindEarth:
		putFloats(&e.src, ev.Lat1, ev.Lon1)
		putFloats(&e.dst, ev.Lat2, ev.Lon2)
		e.str = t.str.put(ev.Desc, descRing)
		e.aux = t.str.put(ev.Model, keptRing)
		return
	case event.KindPacket:
		e.bits |= putAddr(&e.src, ev.Src, srcV6, srcNorm)
		e.bits |= putAddr(&e.dst, ev.Dst, dstV6, dstNorm)
		e.sport, e.bits = putPort(ev.SPort, e.bits, sportNorm)
		e.dport, e.bits = putPort(ev.DPort, e.bits, dportNorm)
		e.aux = t.str.put(ev.Model, keptRing)
		e.str = t.putDesc(e, ev)
		return
	}
	e.sport = uint32(int32(ev.Millis))
	e.str = t.str.put(ev.Text, keptRing)
	e.aux = t.str.put(ev.File, keptRing)
}

// putDesc returns a packet's str field: a description mode in the low two bits
// and, above them, a string reference. Default descriptions cost nothing: they
// are rebuilt from the fields on the way out.
func (t *Timeline) putDesc(e *entry, ev *event.Event) uint32 {
	rec := protocol.Record{Src: ev.Src, Dst: ev.Dst, SPort: ev.SPort, DPort: ev.DPort, Flag: ev.Flag}
	if ev.Model.Empty() {
		t.scratch = protocol.AppendDesc(t.scratch[:0], &rec)
		if string(t.scratch) == ev.Desc.String() {
			return descDefault
		}
	}
	if hash, host, ok := protocol.SplitTraceDesc(ev.Desc.String()); ok && e.bits&(srcV6|srcNorm|dstV6|dstNorm) == 0 && isLowerHex(hash) {
		var h [16]byte
		hex.Decode(h[:], []byte(hash))
		copy(e.src[4:16], h[:12])
		copy(e.dst[4:8], h[12:])
		return t.str.put(event.CleanText(host, event.MaxDesc), keptRing)<<2 | descHash
	}
	r := descRing
	if ev.Incident() {
		r = keptRing // an IDS alert's text is kept like any alert's
	}
	return t.str.put(ev.Desc, r)<<2 | descString
}

func (t *Timeline) decode(e *entry, ev *event.Event) {
	*ev = event.Event{
		Time:   time.Unix(0, e.time),
		Kind:   event.Kind(e.kind),
		Flag:   int(e.flag),
		Authed: e.bits&authed != 0,
	}
	if e.agent != 0 {
		ev.Agent = t.agents.get(uint32(e.agent))
	}
	switch ev.Kind {
	case event.KindEarth:
		ev.Lat1, ev.Lon1 = getFloats(&e.src)
		ev.Lat2, ev.Lon2 = getFloats(&e.dst)
		ev.Desc = t.text(e.str)
		ev.Model = t.text(e.aux)
		return
	case event.KindPacket:
		ev.Src = getAddr(&e.src, e.bits, srcV6, srcNorm)
		ev.Dst = getAddr(&e.dst, e.bits, dstV6, dstNorm)
		ev.SPort = getPort(e.sport, e.bits, sportNorm)
		ev.DPort = getPort(e.dport, e.bits, dportNorm)
		ev.Model = t.text(e.aux)
		switch e.str & 3 {
		case descDefault:
			rec := protocol.Record{Src: ev.Src, Dst: ev.Dst, SPort: ev.SPort, DPort: ev.DPort, Flag: ev.Flag}
			ev.Desc = event.CleanBytes(protocol.AppendDesc(nil, &rec), event.MaxDesc)
		case descHash:
			var h [16]byte
			copy(h[:12], e.src[4:16])
			copy(h[12:], e.dst[4:8])
			var b bytes.Buffer
			b.Grow(64)
			b.WriteString(hex.EncodeToString(h[:]))
			b.WriteByte('-')
			b.WriteString(t.text(e.str >> 2).String())
			ev.Desc = event.CleanText(b.String(), event.MaxDesc)
		default:
			ev.Desc = t.text(e.str >> 2)
		}
		return
	}
	ev.Millis = int(int32(e.sport))
	ev.Text = t.text(e.str)
	ev.File = t.text(e.aux)
}

// text resolves a string reference; text evicted to make room says so
// instead of reading as nothing.
func (t *Timeline) text(ref uint32) event.Text {
	v, kept := t.str.get(ref)
	if !kept {
		return event.NotKept()
	}
	return v
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func putAddr(b *[16]byte, a protocol.Addr, v6, norm uint8) uint8 {
	switch {
	case !a.IP.IsValid():
		putFloats(b, a.Norm, 0)
		return norm
	case a.IP.Is4():
		v := a.IP.As4()
		copy(b[:4], v[:])
		return 0
	default:
		*b = a.IP.As16()
		return v6
	}
}

func getAddr(b *[16]byte, bits, v6, norm uint8) protocol.Addr {
	switch {
	case bits&norm != 0:
		f, _ := getFloats(b)
		return protocol.Addr{Norm: f}
	case bits&v6 != 0:
		return protocol.Addr{IP: netip.AddrFrom16(*b)}
	default:
		return protocol.Addr{IP: netip.AddrFrom4([4]byte(b[:4]))}
	}
}

func putPort(p protocol.Port, bits, norm uint8) (uint32, uint8) {
	if p.IsNorm {
		return math.Float32bits(float32(p.Norm)), bits | norm
	}
	return p.Value, bits
}

func getPort(v uint32, bits, norm uint8) protocol.Port {
	if bits&norm != 0 {
		return protocol.Port{Norm: float64(math.Float32frombits(v)), IsNorm: true}
	}
	return protocol.Port{Value: v}
}

func putFloats(b *[16]byte, x, y float64) {
	u, v := math.Float64bits(x), math.Float64bits(y)
	for i := 0; i < 8; i++ {
		b[i] = byte(u >> (8 * i))
		b[8+i] = byte(v >> (8 * i))
	}
}

func getFloats(b *[16]byte) (float64, float64) {
	var u, v uint64
	for i := 0; i < 8; i++ {
		u |= uint64(b[i]) << (8 * i)
		v |= uint64(b[8+i]) << (8 * i)
	}
	return math.Float64frombits(u), math.Float64frombits(v)
}
