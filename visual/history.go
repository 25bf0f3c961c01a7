package visual

import (
	"sort"

	"github.com/packter/packter/event"
)

// History is the board's own record of packet events (the paper's queue with
// time stamps), used to rewind when no monitor feeds the board. It is a ring:
// the oldest events give way when it is full. Entries are numbered by a
// sequence that keeps growing, so a replay cursor survives the ring turning.
type History struct {
	at    []float64
	evs   []event.Event
	total uint64
}

// NewHistory keeps at most n events.
func NewHistory(n int) *History {
	n = max(n, 1)
	return &History{at: make([]float64, n), evs: make([]event.Event, n)}
}

// Add records ev as arrived at time at (seconds, never decreasing).
func (h *History) Add(at float64, ev *event.Event) {
	i := h.total % uint64(len(h.at))
	h.at[i], h.evs[i] = at, *ev
	h.total++
}

// Len is the number of events held.
func (h *History) Len() int { return int(min(h.total, uint64(len(h.at)))) }

// Total is the sequence number the next event will get.
func (h *History) Total() uint64 { return h.total }

// Oldest is the sequence number of the oldest event held.
func (h *History) Oldest() uint64 { return h.total - uint64(h.Len()) }

// At returns entry seq (Oldest ≤ seq < Total).
func (h *History) At(seq uint64) (float64, *event.Event) {
	i := seq % uint64(len(h.at))
	return h.at[i], &h.evs[i]
}

// Search returns the sequence number of the first event that arrived after t
// (Total when none did).
func (h *History) Search(t float64) uint64 {
	o := h.Oldest()
	k := sort.Search(h.Len(), func(k int) bool {
		at, _ := h.At(o + uint64(k))
		return at > t
	})
	return o + uint64(k)
}
