package collect

import (
	"net/netip"
	"sync/atomic"
	"time"
)

// ring is the queue between a socket reader and its decoder: datagrams are
// copied into one preallocated arena, end to end, so a burst is absorbed by
// bytes (8 MiB holds about 6,000 full-size NetFlow datagrams) instead of by a
// handful of 64 KiB slots. One goroutine puts, one takes; the taker releases
// space in the order it was put, so one atomic position is all they share.
type ring struct {
	arena []byte
	size  uint64
	head  uint64        // next write position, absolute (producer only)
	tail  atomic.Uint64 // released up to here, absolute (consumer stores)
	slots chan slot
}

// slot is one queued datagram: arena bytes [start, end) in absolute positions.
type slot struct {
	start, end uint64
	from       netip.AddrPort
	at         time.Time
}

func newRing(bytes, datagrams int) *ring {
	return &ring{arena: make([]byte, bytes), size: uint64(bytes), slots: make(chan slot, datagrams)}
}

// put copies b into the arena and queues it; false when there is no room
// (the caller counts the drop). It never blocks.
func (r *ring) put(b []byte, from netip.AddrPort, at time.Time) bool {
	n := uint64(len(b))
	if n > r.size {
		return false
	}
	pos := r.head
	off := pos % r.size
	if off+n > r.size { // no room before the end: skip to the start
		pos += r.size - off
		off = 0
	}
	if pos+n-r.tail.Load() > r.size {
		return false
	}
	copy(r.arena[off:off+n], b)
	select {
	case r.slots <- slot{start: pos, end: pos + n, from: from, at: at}:
		r.head = pos + n
		return true
	default:
		return false
	}
}

// bytes is the datagram of s; valid until release(s).
func (r *ring) bytes(s slot) []byte {
	off := s.start % r.size
	return r.arena[off : off+(s.end-s.start)]
}

// release frees s and everything queued before it.
func (r *ring) release(s slot) { r.tail.Store(s.end) }
