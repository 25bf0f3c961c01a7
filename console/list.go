package console

import (
	"github.com/packter/packter/event"
	"github.com/packter/packter/timeline"
)

// Bounds on work per snapshot or key press, so that the console answers
// quickly at any packet rate and with any filter.
const (
	maxListScan = 20_000  // events examined to fill the list
	maxMoveScan = 200_000 // events examined to find the next match
	defaultRows = 10
)

type item struct {
	seq uint64
	ev  event.Event
}

// listState is the list and selection concern: the packets shown (those
// before the playhead's position that pass the filter), newest first, and
// the selected one.
type listState struct {
	rows        int // list length wanted
	pos         timeline.Position
	first, next uint64
	counts      timeline.Counts
	items       []item // newest first
	full        bool   // the scan limit ended the list before it was full
	sel         item
	hasSel      bool
}

// end is the seq the list ends before.
func (l *listState) end() uint64 { return min(l.pos.Seq, l.next) }

// contains reports whether seq is within the span the list shows.
func (l *listState) contains(seq uint64) bool {
	if len(l.items) == 0 {
		return false
	}
	return seq < l.end() && seq >= l.items[len(l.items)-1].seq
}

// index is the selection's place in the list (0: newest), or -1.
func (l *listState) index() int {
	for i := range l.items {
		if l.hasSel && l.items[i].seq == l.sel.seq {
			return i
		}
	}
	return -1
}

// snapshot is the list as a query found it, with the timeline's bounds,
// counts and the playhead's position at that moment. Taking one reads only
// the timeline and the playhead, so it is taken off the UI goroutine.
type snapshot struct {
	filter      Filter
	rows        int
	pos         timeline.Position
	first, next uint64
	counts      timeline.Counts
	items       []item
	full        bool
	hold        bool // the console holds a pause at holdAt (see core.holding)
	holdAt      uint64
}

// take fills in the snapshot q asks for.
func (q snapshot) take(rd *reader, ph Playhead) snapshot {
	s := q
	s.pos = ph.Position()
	// Counts first: every event they count is then below next, so a message
	// counted is always one the scan can find (messages.scan relies on it).
	s.counts = rd.tl.Counts()
	s.first, s.next = rd.tl.Bounds()
	if s.hold && s.pos.Live {
		s.pos.Live, s.pos.Seq, s.pos.Behind = false, min(s.holdAt, s.next), s.next-min(s.holdAt, s.next)
		var ev event.Event
		if s.pos.Seq > s.first && rd.tl.Get(s.pos.Seq-1, &ev) {
			s.pos.Time = ev.Time
		}
	}
	end := min(max(s.pos.Seq, s.first), s.next)
	if s.pos.Live {
		end = s.next
	}
	s.pos.Seq = end
	s.items = make([]item, 0, q.rows)
	from := s.first
	if end-from > maxListScan {
		from = end - maxListScan
	}
	rd.each(from, end, true, func(seq uint64, ev *event.Event) bool {
		if s.filter.Match(ev) {
			s.items = append(s.items, item{seq: seq, ev: *ev})
		}
		return len(s.items) < q.rows
	})
	s.full = len(s.items) < q.rows && from > s.first
	return s
}

// scan looks from seq (exclusive) in direction dir for an event f matches.
func (l *listState) scan(rd *reader, seq uint64, dir int, f *Filter) (item, bool) {
	var found item
	ok := false
	visit := func(s uint64, ev *event.Event) bool {
		if f.Match(ev) {
			found, ok = item{seq: s, ev: *ev}, true
			return false
		}
		return true
	}
	if dir < 0 {
		from := l.first
		if seq > l.first+maxMoveScan {
			from = seq - maxMoveScan
		}
		rd.each(from, seq, true, visit)
	} else {
		to := min(l.next, seq+1+maxMoveScan)
		rd.each(seq+1, to, false, visit)
	}
	return found, ok
}

// reader reads the timeline in chunks into a buffer of its own; one per
// goroutine.
type reader struct {
	tl  Timeline
	buf []event.Event
}

// readChunk is how many events each reads under one lock of the timeline.
const readChunk = 256

// each calls fn for the events with seq in [from, to), newest first or oldest
// first, until fn returns false. It reads the timeline a chunk at a time: one
// lock per chunk rather than per event keeps the writer (the monitor's
// ingest) and the console out of each other's way.
func (r *reader) each(from, to uint64, newestFirst bool, fn func(seq uint64, ev *event.Event) bool) {
	for from < to {
		lo, hi := from, to
		if newestFirst {
			if hi-lo > readChunk {
				lo = hi - readChunk
			}
		} else if hi-lo > readChunk {
			hi = lo + readChunk
		}
		r.buf = r.tl.Recent(r.buf[:0], hi, int(hi-lo))
		if len(r.buf) == 0 {
			return // evicted meanwhile
		}
		base := hi - uint64(len(r.buf))
		if newestFirst {
			for j := len(r.buf) - 1; j >= 0; j-- {
				if !fn(base+uint64(j), &r.buf[j]) {
					return
				}
			}
			to = base
		} else {
			for j := range r.buf {
				if !fn(base+uint64(j), &r.buf[j]) {
					return
				}
			}
			from = hi
		}
	}
}
