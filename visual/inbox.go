package visual

import (
	"sync"

	"github.com/packter/packter/event"
)

// Inbox carries events from the receiving goroutine to the update loop. Push
// never blocks: when the update loop falls behind by more than the limit,
// events are dropped and counted, as a receive path must never stall.
type Inbox struct {
	mu      sync.Mutex
	q       []event.Event
	limit   int
	dropped uint64
}

// NewInbox holds at most limit events between two drains.
func NewInbox(limit int) *Inbox { return &Inbox{limit: max(limit, 1)} }

// Push queues a copy of ev; false means it was dropped.
func (b *Inbox) Push(ev *event.Event) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.q) >= b.limit {
		b.dropped++
		return false
	}
	b.q = append(b.q, *ev)
	return true
}

// Swap returns the queued events and takes buf (emptied) as the next queue,
// so two buffers alternate and nothing is allocated in steady state. It also
// returns how many events have been dropped so far.
func (b *Inbox) Swap(buf []event.Event) ([]event.Event, uint64) {
	clear(buf)
	b.mu.Lock()
	q := b.q
	b.q = buf[:0]
	d := b.dropped
	b.mu.Unlock()
	return q, d
}

// Dropped is how many events have been dropped so far.
func (b *Inbox) Dropped() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped
}
