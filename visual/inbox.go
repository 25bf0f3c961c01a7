package visual

import (
	"sync"
	"time"

	"github.com/packter/packter/event"
)

// Inbox carries events and clock lines from the receiving goroutine to the
// update loop. Push never blocks: when the update loop falls behind by more
// than the limit, events are dropped and counted, as a receive path must
// never stall.
type Inbox struct {
	mu      sync.Mutex
	q       []event.Event
	limit   int
	dropped uint64
	clock   Taken
}

// Taken is the clock state Take hands over with the events.
type Taken struct {
	Clock Clock     // the newest clock line
	At    time.Time // when it was received (wall clock)
	Set   bool      // a clock line has been received since the last Take
	Reset bool      // one of them was a reset: clear the scene before the events
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

// SetClock records a clock line received at wall time at. A reset drops the
// events queued before it: the scene they belonged to is gone.
func (b *Inbox) SetClock(c Clock, at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c.Reset {
		clear(b.q)
		b.q = b.q[:0]
		b.clock.Reset = true
	}
	b.clock.Clock, b.clock.At, b.clock.Set = c, at, true
}

// Take returns the queued events and the clock state, and takes buf
// (emptied) as the next queue, so two buffers alternate and nothing is
// allocated in steady state.
func (b *Inbox) Take(buf []event.Event) ([]event.Event, Taken) {
	clear(buf)
	b.mu.Lock()
	q := b.q
	b.q = buf[:0]
	c := b.clock
	b.clock.Set, b.clock.Reset = false, false
	b.mu.Unlock()
	return q, c
}

// Swap is Take without the clock, and with the drop count.
func (b *Inbox) Swap(buf []event.Event) ([]event.Event, uint64) {
	q, _ := b.Take(buf)
	return q, b.Dropped()
}

// Dropped is how many events have been dropped so far.
func (b *Inbox) Dropped() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped
}
