package sonify

import "sync/atomic"

// cmdQueue is a bounded lock-free multi-producer, single-consumer queue
// (Vyukov's sequence-numbered ring): producers (Event, the file loader,
// PlaySpeech) claim a slot with one CAS and publish it by storing its
// sequence; the renderer takes slots in order without any lock. A full queue
// refuses, and the caller counts the drop: nothing ever waits.
type cmdQueue struct {
	slots []cmdSlot
	mask  uint64
	_     [56]byte // keep the producers' index off the consumer's cache line
	head  atomic.Uint64
	_     [56]byte
	tail  atomic.Uint64 // written by the consumer only; atomic so Len can read it
}

type cmdSlot struct {
	seq atomic.Uint64
	c   cmd
}

// newCmdQueue makes a queue of size slots, a power of two.
func newCmdQueue(size int) *cmdQueue {
	q := &cmdQueue{slots: make([]cmdSlot, size), mask: uint64(size - 1)}
	for i := range q.slots {
		q.slots[i].seq.Store(uint64(i))
	}
	return q
}

// push adds c; false when the queue is full.
func (q *cmdQueue) push(c cmd) bool {
	for {
		pos := q.head.Load()
		s := &q.slots[pos&q.mask]
		switch d := int64(s.seq.Load() - pos); {
		case d == 0:
			if q.head.CompareAndSwap(pos, pos+1) {
				s.c = c
				s.seq.Store(pos + 1)
				return true
			}
		case d < 0:
			return false // the consumer has not freed this slot: full
		}
		// Another producer took pos first: try the next one.
	}
}

// pop takes the oldest command. Only the renderer calls it.
func (q *cmdQueue) pop() (cmd, bool) {
	pos := q.tail.Load()
	s := &q.slots[pos&q.mask]
	if s.seq.Load() != pos+1 {
		return cmd{}, false // empty, or the next producer has not finished writing
	}
	c := s.c
	s.c = cmd{} // drop references (clips, speech) now
	s.seq.Store(pos + q.mask + 1)
	q.tail.Store(pos + 1)
	return c, true
}

// Len is how many commands wait (approximate while producers run).
func (q *cmdQueue) Len() int {
	h, t := q.head.Load(), q.tail.Load()
	if h < t {
		return 0
	}
	return int(h - t)
}
