package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"
)

type replayVerdict uint8

const (
	fresh replayVerdict = iota
	seen
	full
)

// replayCache remembers the MACs of signed datagrams for as long as their
// timestamps are inside the acceptance window, so a captured datagram sent
// again is refused. It is exact within the window: entries are kept in
// one-second buckets by the datagram's own timestamp and a bucket is dropped
// only when every timestamp in it is outside the window (Verify refuses
// those anyway). When max entries are held, new signed datagrams are refused
// rather than anything forgotten early.
type replayCache struct {
	mu      sync.Mutex // one decoder per socket shares it
	max     int
	window  int64 // seconds either side of now
	n       int
	buckets map[int64]map[[sha256.Size]byte]struct{}
}

func newReplayCache(max int, window int64) *replayCache {
	return &replayCache{max: max, window: window, buckets: make(map[int64]map[[sha256.Size]byte]struct{})}
}

// check records a MAC signed at ts (unix seconds) and says whether it was
// seen before, or could not be remembered.
func (c *replayCache) check(macHex []byte, ts int64, now time.Time) replayVerdict {
	var k [sha256.Size]byte
	if _, err := hex.Decode(k[:], macHex); err != nil {
		return fresh // Verify already refused such a MAC
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if b := c.buckets[ts]; b != nil {
		if _, dup := b[k]; dup {
			return seen
		}
	}
	if c.n >= c.max {
		c.expire(now.Unix())
		if c.n >= c.max {
			return full
		}
	}
	b := c.buckets[ts]
	if b == nil {
		b = make(map[[sha256.Size]byte]struct{})
		c.buckets[ts] = b
	}
	b[k] = struct{}{}
	c.n++
	if len(c.buckets) > int(2*c.window+2) {
		c.expire(now.Unix())
	}
	return fresh
}

// expire drops the buckets whose timestamps the window no longer accepts.
func (c *replayCache) expire(now int64) {
	for ts, b := range c.buckets {
		if ts < now-c.window || ts > now+c.window {
			c.n -= len(b)
			delete(c.buckets, ts)
		}
	}
}
