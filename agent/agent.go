// Package agent is Packter's capture agent, PACKTER's pt_agent rewritten: it
// reads packets (capture file or live interface) and collector inputs, turns
// them into PACKTER records, samples, detects floods and sends the records to
// viewers (or prints the wire text with -n).
package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/packter/packter/capture"
	"github.com/packter/packter/collect"
	"github.com/packter/packter/detect"
	"github.com/packter/packter/intertrack"
	"github.com/packter/packter/protocol"
)

// Stats counts what the agent did.
type Stats struct {
	Frames      uint64 // frames read from the file or interface
	Filtered    uint64 // frames the filter rejected (files; live filtering is in the kernel)
	NotIP       uint64 // frames that were not IPv4/IPv6 (ARP, ...)
	Ignored     uint64 // IP packets of protocols PACKTER does not draw
	Bad         uint64 // truncated or malformed frames, unknown link types
	Records     uint64 // records produced
	Sent        uint64 // records sent (or printed) after sampling
	Sampled     uint64 // records and sound effects dropped by -R
	Alerts      uint64 // flood alerts raised
	Flood       uint64 // records sent with the missile model
	KernelDrops uint64 // live capture: packets the kernel dropped
	Truncated   bool   // the capture file ended inside a packet
	SendErrors  uint64 // records and alerts from collectors that could not be sent (each logged)
	// Inputs is each collector or IDS input's counters, in flag order.
	Inputs []InputStats
}

// Skipped is every frame that produced no record.
func (s Stats) Skipped() uint64 { return s.Filtered + s.NotIP + s.Ignored + s.Bad }

// output is where records and control datagrams go: a viewer, stdout, or a callback.
type output interface {
	record(ts time.Time, rec *protocol.Record) error
	datagram(body []byte) error
	flush() error
	close() error
}

// agent is one running agent. mu serialises the packet path against
// collectors, which call the Sink methods from their own goroutines.
type agent struct {
	cfg Config
	log *slog.Logger
	out output

	mu       sync.Mutex
	shared   bool // other goroutines call in: take mu on the capture path too
	stats    Stats
	rng      *rand.Rand
	rate     int // PACKTER's countdown: send when it reaches 1
	pkt      capture.Packet
	rec      protocol.Record
	desc     []byte
	ctl      []byte
	filters  map[uint32]*capture.Filter
	det      detect.Detector
	digests  *intertrack.DigestStore
	traceBuf []byte
	live     *capture.Live // the open interface, for its drop counter
	inputs   []inputStat   // running collectors' counters
	gapSaid  bool          // the capped-gap warning is given once
	places   *places       // --geoip with --detect: sources' countries (geo.go)
}

func newAgent(cfg Config, out output) (*agent, error) {
	cfg.defaults()
	seed := cfg.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	a := &agent{
		cfg:     cfg,
		log:     cfg.Logger,
		out:     out,
		rng:     rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)),
		filters: make(map[uint32]*capture.Filter),
		desc:    make([]byte, 0, 256),
		ctl:     make([]byte, 0, 1024),
	}
	a.rate = a.countdown()
	a.shared = cfg.Input.hasCollectors()
	if cfg.Detection.Spec != "" {
		d, err := newDetector(cfg.Detection.Spec)
		if err != nil {
			return nil, err
		}
		a.det = d
	}
	a.places = usePlaces(a.det, out) // alert words say countries (geo.go)
	return a, nil
}

// lock and unlock guard the packet path when collectors may call in from
// their goroutines; without collectors the capture loop is the only caller.
func (a *agent) lock() {
	if a.shared {
		a.mu.Lock()
	}
}

func (a *agent) unlock() {
	if a.shared {
		a.mu.Unlock()
	}
}

// countdown is PACKTER's packter_rate: uniform in 1..N.
func (a *agent) countdown() int {
	if a.cfg.Output.Sample <= 1 {
		return 1
	}
	return a.rng.IntN(a.cfg.Output.Sample) + 1
}

// pass applies PACKTER's -R countdown to one message: every message (record or
// sound effect) decrements it, and the one that finds it at 1 is sent.
func (a *agent) pass() bool {
	if a.rate != 1 {
		a.rate--
		a.stats.Sampled++
		return false
	}
	a.rate = a.countdown()
	return true
}

func newOutput(cfg Config) (output, error) {
	if cfg.Output.PrintOnly {
		return newPrinter(cfg), nil
	}
	if len(cfg.Output.Viewers) == 0 {
		return withNATS(cfg, nil) // --nats alone (nats.go)
	}
	s, err := protocol.NewSender(protocol.SenderConfig{
		Viewers: cfg.Output.Viewers, Port: cfg.Output.Port, Bulk: cfg.Output.Bulk, BulkMax: cfg.Output.BulkMax,
		AgentID: cfg.Auth.AgentID, Key: cfg.Auth.Key, Logger: cfg.Logger, Now: cfg.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("viewer: %w", err)
	}
	return withNATS(cfg, &senderOut{s: s})
}

// Run runs the agent until the capture ends or ctx is cancelled. With
// Trace.Digests or collectors it keeps running until ctx ends. Configuration
// errors are *UsageError.
func Run(ctx context.Context, cfg Config) (Stats, error) {
	cfg.defaults()
	if err := cfg.Validate(); err != nil {
		return Stats{}, err
	}
	gdb, err := openGeo(&cfg)
	if err != nil {
		return Stats{}, err
	}
	out, err := newOutput(cfg)
	if err != nil {
		return Stats{}, err
	}
	out = withGeo(&cfg, out, gdb) // PACKTEARTH beside records (geo.go)
	a, err := newAgent(cfg, out)
	if err != nil {
		out.close()
		return Stats{}, err
	}
	defer out.close()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, len(collectors)+3)
	side := func(name string, f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil && ctx.Err() == nil {
				errc <- fmt.Errorf("%s: %w", name, err)
				cancel()
			}
		}()
	}
	if err := a.startSides(ctx, out, side); err != nil {
		return Stats{}, err
	}

	runErr := a.runInput(ctx)
	if errors.Is(runErr, context.Canceled) {
		runErr = nil
	}
	a.mu.Lock()
	if err := out.flush(); err != nil && runErr == nil {
		runErr = err
	}
	a.mu.Unlock()
	// The capture has ended: collectors and the digest server keep running
	// until ctx ends; otherwise we are done.
	in := &cfg.Input
	source := in.fromFile() || in.Iface != ""
	if runErr == nil && source && (in.hasCollectors() || cfg.Trace.Digests != "") {
		<-ctx.Done()
	}
	cancel()
	wg.Wait()
	close(errc)
	for err := range errc {
		if runErr == nil {
			runErr = err
		}
	}
	return a.snapshot(), runErr
}

// runInput reads the configured packet source until it ends.
func (a *agent) runInput(ctx context.Context) error {
	in := &a.cfg.Input
	switch {
	case in.fromFile():
		return a.runFile(ctx)
	case in.Iface != "":
		return a.runLive(ctx)
	case in.hasCollectors() || a.cfg.Trace.Digests != "":
		<-ctx.Done()
		return nil
	}
	// As pt_agent: no -i and no -r means the first usable interface.
	iface, err := defaultIface()
	if err != nil {
		return err
	}
	in.Iface = iface
	a.log.Warn("capturing on the first interface that is up; choose one with -i", "iface", iface)
	return a.runLive(ctx)
}

// expireBulk prints -n's pending bulk datagram once its window has passed.
func (a *agent) expireBulk(ctx context.Context, p *printer) error {
	t := time.NewTicker(max(p.window/4, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			a.mu.Lock()
			err := p.expire()
			a.mu.Unlock()
			if err != nil {
				return err
			}
		}
	}
}

// defaultIface is the first interface that is up and not loopback.
func defaultIface() (string, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return "", fmt.Errorf("listing interfaces: %w", err)
	}
	for _, i := range ifs {
		if i.Flags&net.FlagUp != 0 && i.Flags&net.FlagLoopback == 0 {
			return i.Name, nil
		}
	}
	return "", errors.New("nothing to capture: no interface is up; give -i IFACE, -r FILE or a collector input")
}

// startSides starts what runs beside the packet input: the digest server,
// the collectors, the loss reports and a live bulk window.
func (a *agent) startSides(ctx context.Context, out output, side func(name string, f func() error)) error {
	cfg := &a.cfg
	if cfg.Trace.Digests != "" {
		ln, err := listenDigests(*cfg) // TCP, or NATS for --digests nats:
		if err != nil {
			return fmt.Errorf("digest server: %w", err)
		}
		a.digests = intertrack.NewDigestStore(intertrack.DigestConfig{})
		side("digest server", func() error { return intertrack.ServeDigests(ctx, ln, cfg.Trace.AS, a.digests, cfg.Logger) })
	}
	sink := (*agentSink)(a)
	for i := range collectors {
		c := &collectors[i]
		if v := cfg.Input.Collectors[c.Flag]; v != "" {
			st := new(collect.Stats)
			a.inputs = append(a.inputs, inputStat{flag: c.Flag, name: c.Name, st: st})
			o := collect.Options{Stats: st}
			if l := cfg.Input.Listening; l != nil {
				o.Listening = func(addr net.Addr) { l(c.Flag, addr) }
			}
			side(c.Name, func() error { return c.run(ctx, v, &a.cfg.Input, sink, cfg.Logger, o) })
		}
	}
	side("status", func() error { return a.reportLosses(ctx) })
	if p, ok := out.(*printer); ok && p.window > 0 && p.live {
		// A bulk datagram whose window has passed is printed even when no
		// record comes to push it out, as the sender does.
		a.shared = true
		side("bulk window", func() error { return a.expireBulk(ctx, p) })
	}
	return nil
}

// Records reads a capture from r and calls fn for every record, with capture
// timestamps, as fast as possible. cfg's Output.FlagBase and Sample,
// Trace.Server, Input.Filter and Detection apply (flood records carry
// protocol.FloodModel); sending settings are ignored. rec and its slices are
// only valid during the call.
func Records(ctx context.Context, r io.Reader, cfg Config, fn func(ts time.Time, rec *protocol.Record) error) error {
	cfg.Input.ReadFile, cfg.Input.Reader, cfg.Input.Speed, cfg.Output.PrintOnly = "", r, 0, false
	a, err := newAgent(cfg, funcOut(fn))
	if err != nil {
		return err
	}
	return a.runFile(ctx)
}
