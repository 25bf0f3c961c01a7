package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
	"github.com/packter/packter/event"
	"github.com/packter/packter/internal/ratelog"
	"github.com/packter/packter/monitor"
	"github.com/packter/packter/protocol"
)

// SourceConfig configures a Source.
type SourceConfig struct {
	// Filters select what this monitor hears ("packter.>" when empty; e.g.
	// "packter.tokyo.>"): several monitors with different filters each get
	// their own subset.
	Filters []string
	// Durable names a consumer the servers keep, replicated as the stream
	// is: a monitor restarted under the same name carries on where it
	// stopped, and a node's death moves the consumer rather than ending it.
	// Empty: a consumer of the monitor's own, in one server's memory (a
	// replicated one costs the cluster a consensus round per delivery, and
	// halved throughput in BenchmarkClusterThroughput), removed 10 minutes
	// after the monitor stops. When its server dies, heartbeats stop, and it
	// is made again after the last message handed over: nothing missed or
	// seen twice.
	Durable string
	// Start, when set, delivers from that time (a monitor catching up);
	// otherwise only what is published from now on.
	Start time.Time
	// StreamOnly hears the stream only, not also the live path (bus/live.go):
	// for a test of the stream's own guarantees, or a monitor whose
	// credentials allow no plain subscription.
	StreamOnly bool
	Logger     *slog.Logger
}

// Source is a monitor.Source reading the stream.
type Source struct {
	nc    *nats.Conn
	owned bool          // OpenSource's connection: Close closes it
	name  string        // the consumer's name when not durable, with a serial
	made  atomic.Uint64 // consumers made, for that serial
	js    jetstream.JetStream
	cfg   SourceConfig
	log   *slog.Logger
	warn  *ratelog.Limiter
	sites Sites
	// startSeq is the first stream sequence the first consumer delivers:
	// what came before it is history (Archive).
	startSeq atomic.Uint64
	// The live path (bus/live.go): ready once subscribed and the servers
	// have the subscription; messages it delivered, and second copies
	// dropped on either path.
	liveReady     chan struct{}
	liveReadyOnce sync.Once
	liveN, dupN   atomic.Uint64
}

// NewSource reads from nc.
func NewSource(nc *nats.Conn, cfg SourceConfig) (*Source, error) {
	if len(cfg.Filters) == 0 {
		cfg.Filters = []string{SubjectPrefix + ".>"}
	}
	for _, f := range cfg.Filters {
		if err := ValidFilter(f); err != nil {
			return nil, err
		}
	}
	if strings.ContainsAny(cfg.Durable, ".*> \t") {
		return nil, fmt.Errorf("durable name %q: no dots, wildcards or spaces", cfg.Durable)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	return &Source{name: "packter-monitor-" + nuid.Next(), nc: nc, js: js, cfg: cfg, log: cfg.Logger,
		warn: ratelog.New(cfg.Logger, 5, 10*time.Second), liveReady: make(chan struct{})}, nil
}

var _ monitor.Source = (*Source)(nil)

// Sites is what this source has heard, per site.
func (s *Source) Sites() []SiteStatus { return s.sites.List() }

// StartSeq is the first stream sequence this source delivers (0 until its
// consumer is made): the monitor's timeline holds what it delivers, and the
// stream before it is history.
func (s *Source) StartSeq() uint64 { return s.startSeq.Load() }

// PathStats says how the source's messages came: delivered by the live path
// (bus/live.go), and second copies dropped (a message heard live and then
// from the stream, or an agent's retry heard twice).
type PathStats struct{ Live, Dropped uint64 }

// PathStats returns the counts so far.
func (s *Source) PathStats() PathStats {
	return PathStats{Live: s.liveN.Load(), Dropped: s.dupN.Load()}
}

// LiveReady is closed once the live path is subscribed and the servers
// have the subscription: what is published after it is heard live. A
// monitor need not wait for it (the stream has everything); tests do.
func (s *Source) LiveReady() <-chan struct{} { return s.liveReady }

// Filters are the subjects the source hears (its configuration's, with the
// default filled in).
func (s *Source) Filters() []string { return s.cfg.Filters }

// consumer makes (or finds) the consumer, delivering after stream sequence
// after when it is not 0.
func (s *Source) consumer(ctx context.Context, after uint64) (jetstream.Consumer, error) {
	cfg := jetstream.ConsumerConfig{
		Name: fmt.Sprintf("%s-%d", s.name, s.made.Add(1)), Durable: s.cfg.Durable, FilterSubjects: s.cfg.Filters,
		DeliverPolicy: jetstream.DeliverNewPolicy, AckPolicy: jetstream.AckNonePolicy,
		Replicas: 1, MemoryStorage: true, InactiveThreshold: 10 * time.Minute,
	}
	if s.cfg.Durable != "" {
		st, err := s.js.Stream(ctx, StreamName)
		if err != nil {
			return nil, err
		}
		cfg.Replicas, cfg.MemoryStorage = st.CachedInfo().Config.Replicas, false
		cfg.Name, cfg.InactiveThreshold = "", 0
		cfg.AckPolicy, cfg.AckWait, cfg.MaxAckPending = jetstream.AckAllPolicy, 30*time.Second, 4096
		if c, err := s.js.Consumer(ctx, StreamName, s.cfg.Durable); err == nil {
			return c, nil // carry on where it stopped
		}
	}
	switch {
	case after > 0:
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, after+1
	case !s.cfg.Start.IsZero():
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &s.cfg.Start
	}
	return s.js.CreateOrUpdateConsumer(ctx, StreamName, cfg)
}

// Run hands every message to in until ctx ends: from the consumer, and,
// once it has caught up, live as well (bus/live.go), each message once.
func (s *Source) Run(ctx context.Context, in monitor.Intake) error {
	ctx, cancel := context.WithCancel(ctx)
	serial := &serialIntake{in: in}
	lv := &live{ctx: ctx, s: s, in: serial, seen: newRecentIDs(recentMax, recentAge)}
	defer func() { cancel(); lv.stop() }() // the live path's goroutine ends with ctx
	var last uint64
	again := false // making the consumer again after it was lost
	for {
		tries := 0
		c, err := retry(ctx, s.warn, "nats consumer", func(ctx context.Context) (jetstream.Consumer, error) {
			// Made again after its server died, a consumer can be placed on
			// that server (the others learn it is gone only later) and is
			// then never answered for: the first try gets half a second,
			// not two, before another is made.
			if tries++; again && tries == 1 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, 500*time.Millisecond)
				defer cancel()
			}
			return s.consumer(ctx, last)
		})
		if err != nil {
			return fmt.Errorf("nats consumer on %s: %w", strings.Join(s.cfg.Filters, ","), err)
		}
		first := c.CachedInfo().Delivered.Stream + 1
		if s.cfg.Durable != "" { // what was delivered but not acknowledged comes again
			first = c.CachedInfo().AckFloor.Stream + 1
		}
		s.startSeq.CompareAndSwap(0, first)
		if !s.cfg.StreamOnly {
			lv.caughtUp(c.CachedInfo().NumPending)
		}
		d := deliver{
			durable: s.cfg.Durable != "", lostOnSilence: s.cfg.Durable == "", sites: &s.sites, warn: s.warn, lastSeq: &last,
			stamp: func(jetstream.MsgMetadata) time.Time { return time.Now() }, gaps: true,
		}
		if !s.cfg.StreamOnly {
			d.seen, d.dups, d.pending = lv.seen, &s.dupN, lv.caughtUp
		}
		err = consume(ctx, c, serial, d)
		if errors.Is(err, errGap) && s.cfg.Durable != "" {
			s.warn.Warn("nats delivery lost on its way; the consumer goes back for it", "after", last)
			s.rewind(ctx, last)
			continue
		}
		if !errors.Is(err, errLost) && !errors.Is(err, errGap) {
			return err
		}
		again = true
		if s.cfg.Durable == "" {
			name := c.CachedInfo().Name
			go func() { // the old one, if its server still has it, is not needed
				dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = s.js.DeleteConsumer(dctx, StreamName, name)
			}()
		}
		what := "nats consumer lost; making it again"
		if errors.Is(err, errGap) {
			what = "nats delivery lost on its way; making the consumer again"
		}
		s.warn.Warn(what, "after", last)
	}
}

// rewind sends the durable consumer back to what the monitor acknowledged,
// after a delivery was lost on its way: the consumer counts it delivered,
// so it would otherwise come again only after the ack wait, behind later
// ones the monitor had acknowledged (AckAll) and so covered. What the
// monitor has comes again too, and is skipped by sequence. A server without
// the consumer reset API answers with an error: the gap's records are then
// missing, and the monitor says so.
func (s *Source) rewind(ctx context.Context, last uint64) {
	_ = s.nc.FlushTimeout(2 * time.Second) // consume's pulls are gone from the servers too
	for deadline := time.Now().Add(30 * time.Second); ; {
		actx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := s.js.ResetConsumer(actx, StreamName, s.cfg.Durable)
		cancel()
		switch {
		case err == nil || ctx.Err() != nil || errors.Is(err, jetstream.ErrConsumerNotFound):
			return // not found: made again after the last message handed over
		case errors.Is(err, context.DeadlineExceeded) && time.Now().Before(deadline):
			s.warn.Warn("nats consumer reset: trying again", "err", err) // its leader is being elected
			continue
		}
		s.warn.Warn("nats delivery lost, and the consumer could not go back for it: records after this sequence may be missing", "after", last, "err", err)
		return
	}
}

// retry calls f until it succeeds or ctx ends, each attempt bounded: a
// JetStream request made while the cluster has no leader (starting, or
// after a node died) is never answered, and a monitor started with its
// servers should wait for them, not give up.
func retry[T any](ctx context.Context, warn *ratelog.Limiter, what string, f func(context.Context) (T, error)) (T, error) {
	wait := 100 * time.Millisecond
	for {
		actx, cancel := context.WithTimeout(ctx, 2*time.Second)
		v, err := f(actx)
		cancel()
		if err == nil || ctx.Err() != nil {
			return v, err
		}
		warn.Warn(what+": trying again", "err", err)
		select {
		case <-ctx.Done():
			return v, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// deliver says how consume hands messages over.
type deliver struct {
	durable bool // ack (all up to the last of a batch) once the monitor is done
	sites   *Sites
	warn    *ratelog.Limiter
	stamp   func(jetstream.MsgMetadata) time.Time // the time a datagram is said to arrive
	end     func(md jetstream.MsgMetadata) bool   // stop before this message (History)
	last    func(md jetstream.MsgMetadata) bool   // stop after this message (History)
	lastSeq *uint64                               // stream sequence handed over last, kept across consumers
	// lostOnSilence: missed heartbeats mean the consumer's server is gone
	// (a consumer in one server's memory): make it again.
	lostOnSilence bool
	// gaps: a jump in the consumer's delivery sequence means a delivery was
	// lost on its way (the monitor's server died with it in flight): end
	// with errGap before the message after it, rather than hand that over
	// and, durable, acknowledge the lost one with it. (Not for an ordered
	// consumer, which renumbers when it is made again.)
	gaps bool
	// seen, when set, drops a message whose id it has seen (its copy came
	// by the live path first, which it shares), and remembers the others'.
	seen *recentIDs
	dups *atomic.Uint64 // counts what seen dropped
	// pending, when set, is told after each batch how many messages the
	// consumer has left to deliver.
	pending func(uint64)
}

// errLost ends consume when the servers no longer have the consumer.
var errLost = errors.New("consumer lost")

// errGap ends consume when a delivery was lost on its way.
var errGap = errors.New("delivery lost")

// errEnd ends consume when the range is played.
var errEnd = errors.New("end of range")

// batchMax is the most messages handed over at once: a bulk message holds
// hundreds of records, so a batch is already large.
const batchMax = 64

// consume reads c until ctx ends (or d.end says so) and hands the messages
// to in in batches: whatever has arrived, up to batchMax, without waiting
// for more, so a quiet stream is heard at once.
// It is over 80 lines because the pull, its heartbeats and the batching
// share one select loop and one cancellation: split, each part would need
// the others' channels.
func consume(ctx context.Context, c jetstream.Consumer, in monitor.Intake, d deliver) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lost := make(chan struct{})
	var lostOnce sync.Once
	msgs := make(chan jetstream.Msg, 4*batchMax)
	cc, err := c.Consume(func(m jetstream.Msg) {
		select {
		case msgs <- m:
		case <-ctx.Done():
		}
	}, jetstream.PullMaxMessages(2*batchMax),
		// Missed heartbeats are how a pull left with a dead server is
		// noticed and made again, reaching the consumer's new leader: a
		// second without one, rather than the default 30 s pull's 15.
		jetstream.PullExpiry(2*time.Second), jetstream.PullHeartbeat(500*time.Millisecond),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) ||
				(d.lostOnSilence && errors.Is(err, jetstream.ErrNoHeartbeat)) {
				lostOnce.Do(func() { close(lost) })
				return
			}
			d.warn.Warn("nats consumer", "err", err)
		}))
	if err != nil {
		return fmt.Errorf("nats consume: %w", err)
	}
	defer func() {
		// Gone, not only asked to stop: a pull still waiting would take
		// what a rewind (or a consumer made again) sends next. The
		// subscription ends once its handler returns, which it does at
		// once when ctx is done.
		cancel()
		cc.Stop()
		select {
		case <-cc.Closed():
		case <-time.After(5 * time.Second):
		}
	}()
	var last uint64 // stream sequence handed over last: redeliveries are skipped
	if d.lastSeq != nil {
		last = *d.lastSeq
		defer func() { *d.lastSeq = last }()
	}
	var dseq uint64 // the consumer's delivery sequence handed over last
	batch := make([]jetstream.Msg, 0, batchMax)
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-lost:
			return errLost
		case m := <-msgs:
			batch = append(batch, m)
		}
	fill:
		for len(batch) < batchMax {
			select {
			case m := <-msgs:
				batch = append(batch, m)
			default:
				break fill
			}
		}
		pkts := make([]protocol.Packet, 0, len(batch))
		var ack jetstream.Msg
		var pending uint64 // after the batch's last message
		stop, gap := false, false
		for _, m := range batch {
			md, err := m.Metadata()
			if err != nil {
				d.warn.Warn("nats message without metadata skipped", "subject", m.Subject(), "err", err)
				continue
			}
			if d.gaps && dseq != 0 && md.Sequence.Consumer != dseq+1 {
				gap = true
				break
			}
			dseq, pending = md.Sequence.Consumer, md.NumPending
			if d.end != nil && d.end(*md) {
				stop = true
				break
			}
			ack = m
			if d.last != nil && d.last(*md) {
				stop = true
			}
			if md.Sequence.Stream <= last {
				continue // delivered again after a failover: the monitor has it
			}
			last = md.Sequence.Stream
			if d.seen != nil {
				if id := m.Headers().Get(jetstream.MsgIDHeader); id != "" && !d.seen.first(id) {
					if d.dups != nil {
						d.dups.Add(1)
					}
					continue // heard live already (acknowledged with the batch all the same)
				}
			}
			if d.sites != nil {
				d.sites.saw(m.Subject(), time.Now())
			}
			from, _ := netip.ParseAddrPort(m.Headers().Get(FromHeader))
			pkts = append(pkts, protocol.Packet{Data: m.Data(), From: from, Time: d.stamp(*md)})
			if stop {
				break
			}
		}
		done := func() {}
		if d.durable && ack != nil {
			done = func() { _ = ack.Ack() } // AckAll: covers the batch; a lost ack is redelivered and skipped
		}
		in.Datagrams(pkts, done)
		if d.pending != nil && ack != nil {
			d.pending(pending)
		}
		if stop {
			return errEnd
		}
		if gap {
			return errGap
		}
	}
}

// SiteStatus is one site as a monitor hears it.
type SiteStatus struct {
	// Subjects are the publishers' words: NATS lets them hold control
	// characters, and these reach the console's status line.
	Site     event.Text
	Agents   []event.Text // agents heard from, sorted
	LastSeen time.Time    // last message
	Messages uint64
}

// Sites tracks which sites are heard: the console's "connected sites".
type Sites struct {
	mu sync.Mutex
	m  map[string]*siteState
}

type siteState struct {
	last   time.Time
	n      uint64
	agents map[string]struct{}
}

// maxSites bounds what a flood of made-up subjects can cost.
const maxSites, maxAgents = 1024, 256

func (s *Sites) saw(subj string, t time.Time) {
	site, agent, err := ParseSubject(subj)
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]*siteState{}
	}
	st := s.m[site]
	if st == nil {
		if len(s.m) >= maxSites {
			return
		}
		st = &siteState{agents: map[string]struct{}{}}
		s.m[site] = st
	}
	st.last, st.n = t, st.n+1
	if len(st.agents) < maxAgents {
		st.agents[agent] = struct{}{}
	}
}

// List returns every site heard, sorted by name.
func (s *Sites) List() []SiteStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SiteStatus, 0, len(s.m))
	for name, st := range s.m {
		ag := make([]event.Text, 0, len(st.agents))
		for a := range st.agents {
			ag = append(ag, event.CleanText(a, event.MaxName))
		}
		slices.SortFunc(ag, func(a, b event.Text) int { return strings.Compare(a.String(), b.String()) })
		out = append(out, SiteStatus{Site: event.CleanText(name, event.MaxName), Agents: ag, LastSeen: st.last, Messages: st.n})
	}
	slices.SortFunc(out, func(a, b SiteStatus) int { return strings.Compare(a.Site.String(), b.Site.String()) })
	return out
}

// Summary says in one line which sites were heard within the last window:
// "2 sites: osaka (1 agent, 0.4 s ago), tokyo (2 agents, 1.2 s ago)".
func Summary(sites []SiteStatus, now time.Time, window time.Duration) string {
	var b strings.Builder
	n := 0
	for _, s := range sites {
		ago := now.Sub(s.LastSeen)
		if ago > window {
			continue
		}
		if n > 0 {
			b.WriteString(", ")
		}
		n++
		plural := "s"
		if len(s.Agents) == 1 {
			plural = ""
		}
		fmt.Fprintf(&b, "%s (%d agent%s, %.1f s ago)", s.Site, len(s.Agents), plural, ago.Seconds())
	}
	switch n {
	case 0:
		return "no site heard"
	case 1:
		return "1 site: " + b.String()
	}
	return fmt.Sprintf("%d sites: %s", n, b.String())
}
