package bus

import (
	"context"
	"fmt"
	"hash/maphash"
	"net/netip"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/packter/packter/event"
	"github.com/packter/packter/monitor"
	"github.com/packter/packter/protocol"
)

// The live path. A JetStream publish is also an ordinary NATS message on its
// subject, routed through the cluster whether or not the stream can store it
// at that moment. When a node leading the stream dies, the stream takes
// nothing until nats-server elects a new leader (its Raft election timeout,
// 4–9 s, not configurable), but the agents' messages (and their retries)
// still reach a plain subscription at once. So a Source that has caught up
// also subscribes to its filters on its own connection (its credentials,
// only what its filters match) and delivers what arrives there at once;
// each message goes to the monitor once, whichever copy comes first, by its
// Nats-Msg-Id. The stream stays the guarantee of completeness: core NATS is
// at most once, and whatever it misses comes through the consumer.

const (
	// liveMaxPending: the live path is used only while the consumer has at
	// most this many messages left to deliver. A message heard live is
	// remembered for a bounded time (recentIDs); its stream copy must come
	// within it, or it would be delivered twice. A consumer this close to the
	// end of the stream reaches it in well under a second (a message holds
	// up to hundreds of records; the monitor takes about a million records a
	// second), far inside the window; a monitor further behind (--nats-since,
	// a durable consumer with a backlog, a monitor that cannot keep up) hears
	// only the stream until it has caught up again.
	liveMaxPending = 1024
	// liveBuffer is how many live messages wait for the monitor (up to 60 kB
	// each); past it the server drops them for this subscription (a slow
	// consumer), and they come through the stream.
	liveBuffer = 256
	// recentMax and recentAge bound the message ids remembered: at least
	// recentAge (2 min) or recentMax/2 later ids, whichever is reached
	// first; at most recentMax ids (36 MB when full: BenchmarkRecentIDs).
	recentMax = 1 << 20
	recentAge = 2 * time.Minute
)

// recentIDs is a bounded set of message ids, each kept as a 64-bit hash (a
// collision, one in 2^64 per pair, would drop a record: a cost taken for
// the memory). Two generations: ids go into the current one; when it holds
// recentMax/2 ids or is recentAge old, the previous one is forgotten and the
// current one becomes the previous. Safe for concurrent use.
type recentIDs struct {
	mu       sync.Mutex
	seed     maphash.Seed
	cur, old map[uint64]struct{}
	since    time.Time // when cur was started
	max      int       // ids in one generation
	age      time.Duration
	now      func() time.Time
}

func newRecentIDs(max int, age time.Duration) *recentIDs {
	return &recentIDs{seed: maphash.MakeSeed(), cur: map[uint64]struct{}{}, old: map[uint64]struct{}{},
		since: time.Now(), max: max / 2, age: age, now: time.Now}
}

// first says whether id is new, and remembers it: of two copies of a
// message, only the first is delivered.
func (r *recentIDs) first(id string) bool {
	h := maphash.String(r.seed, id)
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.cur[h]; ok {
		return false
	}
	if _, ok := r.old[h]; ok {
		return false
	}
	if now := r.now(); len(r.cur) >= r.max || now.Sub(r.since) >= r.age {
		r.old, r.cur = r.cur, make(map[uint64]struct{}, len(r.cur))
		if now.Sub(r.since) >= 2*r.age { // quiet for longer than the window: nothing in old is needed
			r.old = map[uint64]struct{}{}
		}
		r.since = now
	}
	r.cur[h] = struct{}{}
	return true
}

// len is how many ids are remembered.
func (r *recentIDs) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.cur) + len(r.old)
}

// serialIntake hands over from two goroutines (the stream's and the live
// path's) one at a time, as monitor.Intake requires.
type serialIntake struct {
	mu sync.Mutex
	in monitor.Intake
}

func (s *serialIntake) Datagrams(pkts []protocol.Packet, done func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.in.Datagrams(pkts, done)
}

func (s *serialIntake) Events(evs []event.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.in.Events(evs)
}

// live is a Source's core NATS subscription and its gate.
type live struct {
	ctx  context.Context // the Source's Run: the live path ends with it
	s    *Source
	in   *serialIntake
	seen *recentIDs
	mu   sync.Mutex
	on   bool // the consumer is near the end of the stream: deliver live messages
	// started: subscribed (on first use). Paused, the subscription stays,
	// dropping what arrives: a monitor falls behind under load, and a
	// subscription made again each time it catches up would come and go
	// with every burst.
	started bool
	subs    []*nats.Subscription
	msgs    chan *nats.Msg
	wg      sync.WaitGroup
}

// caughtUp is told, by the stream's side, how many messages the consumer
// has left to deliver: the live path starts (subscribing on first use) or
// pauses accordingly.
func (l *live) caughtUp(pending uint64) {
	on := pending <= liveMaxPending
	l.mu.Lock()
	defer l.mu.Unlock()
	if on == l.on {
		return
	}
	l.on = on
	if !on {
		l.s.log.Info("nats consumer behind the stream: the live path pauses until it has caught up", "pending", pending)
		return
	}
	if l.started {
		return
	}
	l.started = true
	l.msgs = make(chan *nats.Msg, liveBuffer)
	for _, f := range l.s.cfg.Filters {
		sub, err := l.s.nc.ChanSubscribe(f, l.msgs)
		if err != nil {
			// Not fatal: the stream still delivers everything.
			l.s.warn.Warn("nats live subscription failed; hearing the stream only", "filter", f, "err", fmt.Errorf("subscribe: %w", err))
			continue
		}
		l.subs = append(l.subs, sub)
	}
	l.wg.Add(1)
	go l.run(l.ctx)
	go func() { // a flush answered means the servers have the subscriptions
		if l.s.nc.FlushTimeout(5*time.Second) == nil && len(l.subs) > 0 {
			l.s.liveReadyOnce.Do(func() { close(l.s.liveReady) })
		}
	}()
}

func (l *live) isOn() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.on
}

// run hands live messages to the monitor in batches until ctx ends.
func (l *live) run(ctx context.Context) {
	defer l.wg.Done()
	pkts := make([]protocol.Packet, 0, batchMax)
	for {
		pkts = pkts[:0]
		var m *nats.Msg
		select {
		case <-ctx.Done():
			return
		case m = <-l.msgs:
		}
		pkts = l.add(pkts, m)
	fill:
		for len(pkts) < batchMax {
			select {
			case m = <-l.msgs:
				pkts = l.add(pkts, m)
			default:
				break fill
			}
		}
		if len(pkts) > 0 {
			l.in.Datagrams(pkts, func() {})
		}
	}
}

// add appends m unless it is to be dropped: the live path is paused, it
// has no message id (so no way to know its stream copy: that one is
// delivered), or its stream copy (or an earlier live one: a retry) came
// first.
func (l *live) add(pkts []protocol.Packet, m *nats.Msg) []protocol.Packet {
	id := m.Header.Get(jetstream.MsgIDHeader)
	if id == "" || !l.isOn() {
		return pkts
	}
	if !l.seen.first(id) {
		l.s.dupN.Add(1)
		return pkts
	}
	l.s.liveN.Add(1)
	l.s.sites.saw(m.Subject, time.Now())
	from, _ := netip.ParseAddrPort(m.Header.Get(FromHeader))
	return append(pkts, protocol.Packet{Data: m.Data, From: from, Time: time.Now()})
}

// stop ends the live path: its subscriptions, then its goroutine (ctx
// must be done).
func (l *live) stop() {
	l.mu.Lock()
	for _, sub := range l.subs {
		_ = sub.Unsubscribe()
	}
	l.mu.Unlock()
	l.wg.Wait()
}
