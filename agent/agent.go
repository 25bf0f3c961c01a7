// Package agent is Packter's capture agent, PACKTER's pt_agent rewritten: it
// reads packets (capture file or live interface) and collector inputs, turns
// them into PACKTER records, samples, detects floods and sends the records to
// viewers (or prints the wire text with -n).
package agent

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"time"

	"github.com/packter/packter/capture"
	"github.com/packter/packter/collect"
	"github.com/packter/packter/intertrack"
	"github.com/packter/packter/protocol"
)

// Config is the agent's configuration; the flags of `packter agent` map onto it.
type Config struct {
	Viewers     []string      // -v HOST[:PORT], repeatable; default port Port
	Port        int           // -p, 11300
	Iface       string        // -i
	ReadFile    string        // -r pcap/pcapng
	Input       io.Reader     // alternative to ReadFile (the demo feeds the embedded sample)
	Filter      string        // BPF from trailing words
	Sample      int           // -R N: send one packet in N on average (PACKTER's random countdown)
	TraceServer string        // -T: description becomes HASH-SERVER
	PrintOnly   bool          // -n: write the wire text to Stdout instead of sending
	FlagBase    int           // -f
	Bulk        time.Duration // -B
	BulkMax     int           // --bulk-max: bulk datagram size limit in bytes (protocol.DefaultBulkMax, MTU-sized)
	AgentID     string        // -A
	Key         []byte        // -K
	SE          bool          // -s: also send PACKTERSE se<flag>.wav
	Speed       float64       // pacing of ReadFile/Input: 1 capture time, 0 as fast as possible
	Detect      string        // --detect: "" off, "threshold[,k=v...]" or "adaptive[,k=v...]"

	SFlow, NetFlow, IPFIX, Snort, EVE string // collector inputs
	EVESeverity                       int    // minimum Suricata severity to report (0: collect's default)

	AS      uint32 // --as: this agent's AS number for digest answers
	Digests string // --digests ADDR: keep a traceback digest store and answer queries

	Stdout io.Writer
	Logger *slog.Logger

	// Seed fixes the sampling countdown (tests); 0 seeds from the clock.
	Seed uint64
	// Now is the clock for signatures (tests); nil means time.Now.
	Now func() time.Time
	// Ready, when set, is called once the live interface is open and capturing.
	Ready func()
}

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
	shared   bool // collectors run: take mu on the capture path too
	stats    Stats
	rng      *rand.Rand
	rate     int // PACKTER's countdown: send when it reaches 1
	pkt      capture.Packet
	rec      protocol.Record
	desc     []byte
	ctl      []byte
	filters  map[uint32]*capture.Filter
	det      detector
	digests  *intertrack.DigestStore
	traceBuf []byte
}

func (c *Config) defaults() {
	if c.Port == 0 {
		c.Port = protocol.ViewerPort
	}
	if c.BulkMax <= 0 {
		c.BulkMax = protocol.DefaultBulkMax
	}
	if c.Sample < 1 {
		c.Sample = 1
	}
	if c.FlagBase < 0 {
		c.FlagBase = 0 // as pt_agent
	}
	if c.Stdout == nil {
		c.Stdout = os.Stdout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
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
	a.shared = cfg.collectors()
	if cfg.Detect != "" {
		d, err := newDetector(cfg.Detect)
		if err != nil {
			return nil, err
		}
		a.det = d
	}
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
	if a.cfg.Sample <= 1 {
		return 1
	}
	return a.rng.IntN(a.cfg.Sample) + 1
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

// Run runs the agent until the capture ends or ctx is cancelled. With Digests
// it keeps answering digest queries until ctx ends.
func Run(ctx context.Context, cfg Config) (Stats, error) {
	cfg.defaults()
	if err := cfg.validate(); err != nil {
		return Stats{}, err
	}
	var out output
	if cfg.PrintOnly {
		out = newPrinter(cfg)
	} else {
		s, err := protocol.NewSender(protocol.SenderConfig{
			Viewers: cfg.Viewers, Port: cfg.Port, Bulk: cfg.Bulk, BulkMax: cfg.BulkMax,
			AgentID: cfg.AgentID, Key: cfg.Key, Logger: cfg.Logger,
		})
		if err != nil {
			return Stats{}, fmt.Errorf("viewer: %w", err)
		}
		out = &senderOut{s: s}
	}
	a, err := newAgent(cfg, out)
	if err != nil {
		out.close()
		return Stats{}, err
	}
	defer out.close()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 8)
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
	if cfg.Digests != "" {
		ln, err := net.Listen("tcp", cfg.Digests)
		if err != nil {
			return Stats{}, fmt.Errorf("digest server: %w", err)
		}
		a.digests = intertrack.NewDigestStore(intertrack.DigestConfig{})
		side("digest server", func() error { return intertrack.ServeDigests(ctx, ln, cfg.AS, a.digests, cfg.Logger) })
	}
	sink := (*agentSink)(a)
	if cfg.SFlow != "" {
		side("sFlow collector", func() error { return collect.RunSFlow(ctx, cfg.SFlow, sink, cfg.Logger) })
	}
	if cfg.NetFlow != "" {
		side("NetFlow collector", func() error { return collect.RunNetFlow(ctx, cfg.NetFlow, sink, cfg.Logger) })
	}
	if cfg.IPFIX != "" {
		side("IPFIX collector", func() error { return collect.RunIPFIX(ctx, cfg.IPFIX, sink, cfg.Logger) })
	}
	if cfg.Snort != "" {
		side("Snort input", func() error { return collect.RunSnort(ctx, cfg.Snort, sink, cfg.Logger) })
	}
	if cfg.EVE != "" {
		side("EVE input", func() error { return collect.RunEVE(ctx, cfg.EVE, cfg.EVESeverity, sink, cfg.Logger) })
	}

	var runErr error
	switch {
	case cfg.ReadFile != "" || cfg.Input != nil:
		runErr = a.runFile(ctx)
	case cfg.Iface != "":
		runErr = a.runLive(ctx)
	case cfg.collectors() || cfg.Digests != "":
		<-ctx.Done()
	default:
		// As pt_agent: no -i and no -r means the first usable interface.
		if a.cfg.Iface, runErr = defaultIface(); runErr == nil {
			a.log.Warn("capturing on the first interface that is up; choose one with -i", "iface", a.cfg.Iface)
			runErr = a.runLive(ctx)
		}
	}
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
	source := cfg.ReadFile != "" || cfg.Input != nil || cfg.Iface != ""
	if runErr == nil && source && (cfg.collectors() || cfg.Digests != "") {
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
	a.mu.Lock()
	st := a.stats
	a.mu.Unlock()
	return st, runErr
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

func (c *Config) collectors() bool {
	return c.SFlow != "" || c.NetFlow != "" || c.IPFIX != "" || c.Snort != "" || c.EVE != ""
}

func (c *Config) validate() error {
	if c.BulkMax > protocol.MaxDatagram {
		return fmt.Errorf("--bulk-max %d is over the UDP limit of %d bytes", c.BulkMax, protocol.MaxDatagram)
	}
	if c.ReadFile != "" && c.Iface != "" {
		return errors.New("give either -r FILE or -i IFACE, not both")
	}
	if !c.PrintOnly && len(c.Viewers) == 0 {
		return errors.New("no viewer: give -v HOST[:PORT] (or -n to print instead of sending)")
	}
	if len(c.Key) > 0 && c.AgentID == "" {
		return errors.New("an HMAC key (-K) needs an agent id (-A)")
	}
	if c.Speed < 0 {
		return errors.New("--speed must be 0 or more")
	}
	if c.Detect != "" {
		if _, err := newDetector(c.Detect); err != nil {
			return err
		}
	}
	return nil
}

// Records reads a capture from r and calls fn for every record, with capture
// timestamps, as fast as possible. cfg's FlagBase, TraceServer, Filter, Sample
// and Detect apply (flood records carry protocol.FloodModel); sending fields
// are ignored. rec and its slices are only valid during the call.
func Records(ctx context.Context, r io.Reader, cfg Config, fn func(ts time.Time, rec *protocol.Record) error) error {
	cfg.ReadFile, cfg.Input, cfg.Speed, cfg.PrintOnly = "", r, 0, false
	a, err := newAgent(cfg, funcOut(fn))
	if err != nil {
		return err
	}
	return a.runFile(ctx)
}

// runFile reads the capture file or Input, paced by Speed.
func (a *agent) runFile(ctx context.Context) error {
	r := a.cfg.Input
	name := "input"
	if r == nil {
		name = a.cfg.ReadFile
		f, err := os.Open(a.cfg.ReadFile)
		if err != nil {
			return fmt.Errorf("cannot read capture %s: %w", a.cfg.ReadFile, unwrapPath(err))
		}
		defer f.Close()
		r = f
	}
	rd, err := capture.NewReader(bufio.NewReaderSize(r, 0)) // the reader buffers itself
	if err != nil {
		return fmt.Errorf("cannot read capture %s: %w", name, err)
	}
	var fr capture.Frame
	var first time.Time
	var wall time.Time
	var timer *time.Timer
	for n := 0; ; n++ {
		if n&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		err := rd.Next(&fr)
		if err == io.EOF {
			return nil
		}
		if errors.Is(err, capture.ErrTruncated) {
			a.mu.Lock()
			a.stats.Truncated = true
			a.stats.Bad++
			a.mu.Unlock()
			a.log.Warn("capture ends in the middle of a packet; the last one was skipped", "file", name)
			return nil
		}
		if err != nil {
			return fmt.Errorf("cannot read capture %s: %w", name, err)
		}
		if a.cfg.Speed > 0 && !fr.Time.IsZero() {
			if first.IsZero() {
				first, wall = fr.Time, time.Now()
			} else if d := time.Duration(float64(fr.Time.Sub(first))/a.cfg.Speed) - time.Since(wall); d > time.Millisecond {
				if timer == nil {
					timer = time.NewTimer(d)
				} else {
					timer.Reset(d)
				}
				select {
				case <-ctx.Done():
					timer.Stop()
					return ctx.Err()
				case <-timer.C:
				}
			}
		}
		a.lock()
		err = a.frame(ctx, fr.Link, fr.Data, fr.Time, "", true)
		a.unlock()
		if err != nil {
			return err
		}
	}
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// runLive captures from the interface until ctx ends.
func (a *agent) runLive(ctx context.Context) error {
	l, err := capture.OpenLive(ctx, a.cfg.Iface, a.cfg.Filter)
	if err != nil {
		return err
	}
	defer l.Close()
	if a.cfg.Ready != nil {
		a.cfg.Ready()
	}
	var fr capture.Frame
	for {
		if err := l.Next(ctx, &fr); err != nil {
			_, drops := l.Stats()
			a.mu.Lock()
			a.stats.KernelDrops += drops
			a.mu.Unlock()
			return err
		}
		a.lock()
		err := a.frame(ctx, fr.Link, fr.Data, fr.Time, "", false)
		a.unlock()
		if err != nil {
			return err
		}
	}
}

// frame is the packet path: filter, decode, digest, detect, record, send.
// userFilter applies the BPF filter in user space (files; live filters run in
// the kernel). desc overrides the default description (collectors). a.mu is held.
func (a *agent) frame(ctx context.Context, link uint32, data []byte, ts time.Time, desc string, userFilter bool) error {
	a.stats.Frames++
	if userFilter && a.cfg.Filter != "" {
		f, ok := a.filters[link]
		if !ok {
			prog, err := capture.CompileFilter(ctx, link, 1<<18, a.cfg.Filter)
			if err != nil {
				return err
			}
			if f, err = capture.NewFilter(prog); err != nil {
				return err
			}
			a.filters[link] = f
		}
		if !f.Match(data) {
			a.stats.Filtered++
			return nil
		}
	}
	p := &a.pkt
	if err := capture.Decode(link, data, p); err != nil {
		switch {
		case err == capture.ErrNotIP:
			a.stats.NotIP++
		case err == capture.ErrProtocol:
			a.stats.Ignored++
		default:
			a.stats.Bad++
		}
		return nil
	}
	var sum [16]byte
	hashed := false
	if a.digests != nil || a.cfg.TraceServer != "" {
		sum, hashed = capture.TraceHash(p.IP, p.V6)
		if hashed && a.digests != nil {
			a.digests.Insert(sum, ts)
		}
	}
	flood := false
	if a.det != nil {
		if al := a.det.observe(ts, p); al != nil {
			if err := a.alert(al); err != nil {
				return err
			}
		}
		flood = a.det.flooding(ts, p)
	}
	return a.packet(ts, p, desc, sum, hashed, flood)
}

// packet builds and emits the record for a decoded packet. a.mu is held.
func (a *agent) packet(ts time.Time, p *capture.Packet, desc string, sum [16]byte, hashed, flood bool) error {
	flag := p.Flag()
	r := &a.rec
	r.Src, r.Dst = protocol.AddrFrom(p.Src), protocol.AddrFrom(p.Dst)
	sp, dp := p.Ports()
	r.SPort, r.DPort = protocol.PortFrom(sp), protocol.PortFrom(dp)
	r.Flag = flag + a.cfg.FlagBase
	r.Model = nil
	if flood {
		r.Model = floodModel
	}
	d := a.desc[:0]
	switch {
	case a.cfg.TraceServer != "":
		if hashed {
			d = capture.AppendHex(d, sum)
		}
		d = append(d, '-')
		d = append(d, a.cfg.TraceServer...)
	case desc != "":
		d = append(d, desc...)
	default:
		d = p.AppendDesc(d)
	}
	a.desc = d
	r.Desc = d
	return a.emit(ts, r, flag)
}

var floodModel = []byte(protocol.FloodModel)

// emit sends a record, and with -s its sound effect, through the countdown.
func (a *agent) emit(ts time.Time, r *protocol.Record, flag int) error {
	a.stats.Records++
	if r.Model != nil {
		a.stats.Flood++
	}
	if a.pass() {
		a.stats.Sent++
		if err := a.out.record(ts, r); err != nil {
			return err
		}
	}
	if a.cfg.SE && a.pass() {
		// PACKTER names the effect by the flag without its base: se0.wav .. se9.wav.
		a.ctl = appendSEName(protocol.AppendSE(a.ctl[:0], ""), flag)
		if err := a.out.datagram(a.ctl); err != nil {
			return err
		}
	}
	return nil
}

func appendSEName(b []byte, flag int) []byte {
	b = append(b, "se"...)
	if flag >= 0 && flag <= 9 {
		b = append(b, byte('0'+flag))
	} else {
		b = fmt.Appendf(b, "%d", flag)
	}
	return append(b, ".wav"...)
}
