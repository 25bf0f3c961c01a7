// Package monitor is the viewer's core: it receives PACKTER datagrams, checks
// agents' signatures, turns every accepted datagram into timestamped events on
// the timeline, writes the journal, and hands each event to the outputs
// (sound, speech, console, board) through one small interface.
package monitor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/packter/packter/event"
	"github.com/packter/packter/internal/ratelog"
	"github.com/packter/packter/journal"
	"github.com/packter/packter/protocol"
	"github.com/packter/packter/timeline"
)

// Output receives every event in arrival order. Event must not block and must
// copy what it keeps beyond the call.
type Output interface {
	Event(ev *event.Event)
}

// OutputFunc adapts a function to Output.
type OutputFunc func(ev *event.Event)

// Event calls f.
func (f OutputFunc) Event(ev *event.Event) { f(ev) }

// Config configures a Monitor.
type Config struct {
	Listen      []string          // UDP addresses; default 127.0.0.1:11300
	Keys        map[string][]byte // agent id -> HMAC key (--key ID=FILE)
	RequireAuth bool              // drop everything that is not authenticated
	Timeline    *timeline.Timeline
	Journal     *journal.Writer // --record; nil for none
	Outputs     []Output
	Logger      *slog.Logger
	Now         func() time.Time
}

// Stats counts what the monitor did with what it received.
type Stats struct {
	Datagrams     uint64 // handled
	Events        uint64 // appended to the timeline
	Malformed     uint64 // datagrams that did not parse
	BadLines      uint64 // record lines skipped inside otherwise good bulk datagrams
	Unauthorized  uint64 // dropped by the authentication policy (bad or missing signature)
	Replayed      uint64 // signed datagrams seen before
	Dropped       uint64 // read from the socket but dropped because the monitor was behind
	KernelDropped uint64 // dropped by the kernel before the monitor could read them
}

// Monitor is the running core.
type Monitor struct {
	cfg  Config
	tl   *timeline.Timeline
	log  *slog.Logger
	warn *ratelog.Limiter

	mu       sync.Mutex // serialises the event path: journal, outputs and timeline order
	d        protocol.Datagram
	scratch  []event.Event // HandleDatagram's events, reused
	replay   *replayCache
	outputs  []Output
	journalE error

	listeners []*protocol.Listener
	stats     struct {
		datagrams, malformed, badLines, unauthorized, replayed atomic.Uint64 // decoder's
		_                                                      [64]byte
		events                                                 atomic.Uint64 // emitter's
	}
}

// New checks the configuration and builds a monitor; Run starts it.
func New(cfg Config) (*Monitor, error) {
	if cfg.RequireAuth && len(cfg.Keys) == 0 {
		return nil, errors.New("--require-auth needs at least one --key ID=FILE")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Timeline == nil {
		cfg.Timeline = timeline.New(timeline.DefaultCapacity)
	}
	return &Monitor{
		cfg:     cfg,
		tl:      cfg.Timeline,
		log:     cfg.Logger,
		warn:    ratelog.New(cfg.Logger, 10, 10*time.Second),
		replay:  newReplayCache(1 << 20),
		outputs: cfg.Outputs,
	}, nil
}

// Timeline is the monitor's event history.
func (m *Monitor) Timeline() *timeline.Timeline { return m.tl }

// AddOutput adds an output; safe while running.
func (m *Monitor) AddOutput(o Output) {
	m.mu.Lock()
	m.outputs = append(m.outputs, o)
	m.mu.Unlock()
}

// Listen opens the configured sockets. Run calls it if it was not called; call
// it first to learn the bound addresses (port 0).
func (m *Monitor) Listen() ([]netip.AddrPort, error) {
	if len(m.listeners) == 0 {
		addrs := m.cfg.Listen
		if len(addrs) == 0 {
			addrs = []string{fmt.Sprintf("127.0.0.1:%d", protocol.ViewerPort)}
		}
		for _, a := range addrs {
			l, err := protocol.Listen(protocol.ListenConfig{Addr: a, Logger: m.log})
			if err != nil {
				for _, l := range m.listeners {
					l.Close()
				}
				m.listeners = nil
				return nil, err
			}
			m.listeners = append(m.listeners, l)
		}
	}
	var out []netip.AddrPort
	for _, l := range m.listeners {
		out = append(out, l.Addr())
	}
	return out, nil
}

// Run serves datagrams until ctx ends, then flushes the journal.
func (m *Monitor) Run(ctx context.Context) error {
	if _, err := m.Listen(); err != nil {
		return err
	}
	var wg sync.WaitGroup
	for _, l := range m.listeners {
		wg.Add(2)
		// Two stages per socket, so parsing and emitting use both cores:
		// decode turns a batch of datagrams into events (which view the batch's
		// bytes), emit appends them in order under the lock, then gives the
		// batch back to the listener.
		work := make(chan *decoded, 4)
		free := make(chan *decoded, 6)
		for i := 0; i < cap(free); i++ {
			free <- &decoded{}
		}
		go func(l *protocol.Listener) {
			defer wg.Done()
			defer close(work)
			stop := context.AfterFunc(ctx, func() { l.Close() })
			defer stop()
			var d protocol.Datagram
			for b := l.Next(); b != nil; b = l.Next() {
				p := <-free
				p.batch, p.events = b, p.events[:0]
				for i := range b.Packets {
					pk := &b.Packets[i]
					p.events = m.decode(&d, pk.Data, pk.From, pk.Time, p.events)
				}
				work <- p
			}
		}(l)
		go func(l *protocol.Listener) {
			defer wg.Done()
			for p := range work {
				m.mu.Lock()
				for i := range p.events {
					m.emitLocked(&p.events[i])
				}
				m.mu.Unlock()
				// Counted once a batch: the decoder updates its counters on the
				// other core, and a shared cache line per event is costly.
				m.stats.events.Add(uint64(len(p.events)))
				l.Release(p.batch)
				p.batch = nil
				free <- p
			}
		}(l)
	}
	wg.Wait()
	return m.Flush()
}

// Flush writes out the journal.
func (m *Monitor) Flush() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cfg.Journal == nil {
		return m.journalE
	}
	if err := m.cfg.Journal.Flush(); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return m.journalE
}

// Stats returns the counts so far.
func (m *Monitor) Stats() Stats {
	s := Stats{
		Datagrams:    m.stats.datagrams.Load(),
		Events:       m.stats.events.Load(),
		Malformed:    m.stats.malformed.Load(),
		BadLines:     m.stats.badLines.Load(),
		Unauthorized: m.stats.unauthorized.Load(),
		Replayed:     m.stats.replayed.Load(),
	}
	for _, l := range m.listeners {
		ls := l.Stats()
		s.Dropped += ls.Dropped
		s.KernelDropped += ls.KernelDropped
	}
	return s
}

// decoded is one batch of datagrams turned into events, waiting to be emitted.
type decoded struct {
	batch  *protocol.Batch
	events []event.Event
}

// HandleDatagram processes one datagram as if received from `from` at t.
func (m *Monitor) HandleDatagram(b []byte, from netip.AddrPort, t time.Time) {
	m.mu.Lock()
	m.scratch = m.decode(&m.d, b, from, t, m.scratch[:0])
	for i := range m.scratch {
		m.emitLocked(&m.scratch[i])
	}
	m.stats.events.Add(uint64(len(m.scratch)))
	m.mu.Unlock()
}

// Inject adds an event made inside the process (an alert, a trace launched, a
// replayed journal line) to the timeline, journal and outputs.
func (m *Monitor) Inject(ev *event.Event) {
	m.mu.Lock()
	m.emitLocked(ev)
	m.mu.Unlock()
	m.stats.events.Add(1)
}

// decode parses one datagram, applies the authentication policy and appends
// its events to out. Packet events' strings view b: they are valid while b is.
func (m *Monitor) decode(d *protocol.Datagram, b []byte, from netip.AddrPort, t time.Time, out []event.Event) []event.Event {
	m.stats.datagrams.Add(1)
	if err := protocol.Parse(b, d); err != nil {
		m.stats.malformed.Add(1)
		m.warn.Warn("malformed datagram dropped", "from", from.String(), "err", err)
		return out
	}
	if d.Bad > 0 {
		m.stats.badLines.Add(uint64(d.Bad))
		m.warn.Warn("bad record lines skipped", "from", from.String(), "lines", d.Bad, "err", d.BadErr)
	}
	authed, ok := m.authorize(d, from, t)
	if !ok {
		return out
	}
	agent := view(d.Agent.ID)
	switch d.Header {
	case protocol.HeaderPacket, protocol.HeaderBallistic, protocol.HeaderGateway:
		for i := range d.Records {
			r := &d.Records[i]
			// No copies: outputs copy what they keep (the Output contract), so
			// the hot path allocates nothing per record.
			// Filled in place: an Event is large, and a temporary plus a copy
			// was a tenth of the ingest path.
			out = slices.Grow(out, 1)[:len(out)+1]
			ev := &out[len(out)-1]
			*ev = event.Event{}
			ev.Time, ev.Kind, ev.Agent, ev.Authed = t, event.KindPacket, agent, authed
			ev.Src, ev.Dst, ev.SPort, ev.DPort, ev.Flag = r.Src, r.Dst, r.SPort, r.DPort, r.Flag
			ev.Model, ev.Desc = view(r.Model), view(r.Desc)
		}
	case protocol.HeaderEarth:
		for i := range d.Earth {
			e := &d.Earth[i]
			out = append(out, event.Event{Time: t, Kind: event.KindEarth, Agent: agent, Authed: authed,
				Lat1: e.Lat1, Lon1: e.Lon1, Lat2: e.Lat2, Lon2: e.Lon2,
				Flag: e.Flag, Model: view(e.Model), Desc: view(e.Desc)})
		}
	default:
		ev := event.Event{Time: t, Kind: controlKind[d.Header], Agent: agent, Authed: authed,
			Text: string(d.Text), File: string(d.File), Millis: d.Millis}
		if d.Header == protocol.HeaderMessage {
			ev.File = string(d.Picture)
		}
		out = append(out, ev)
	}
	return out
}

var controlKind = map[protocol.Header]event.Kind{
	protocol.HeaderMessage: event.KindMessage,
	protocol.HeaderHTML:    event.KindHTML,
	protocol.HeaderSound:   event.KindSound,
	protocol.HeaderSE:      event.KindSE,
	protocol.HeaderVoice:   event.KindVoice,
	protocol.HeaderSky:     event.KindSky,
}

// authorize applies PACKTER 3.0's policy. Once any key is configured, control
// messages need an authenticated agent; with RequireAuth everything does. A
// datagram signed by a known agent must verify, whatever it carries.
func (m *Monitor) authorize(d *protocol.Datagram, from netip.AddrPort, t time.Time) (authed, ok bool) {
	if len(m.cfg.Keys) == 0 {
		return false, true
	}
	if d.Agent.Present {
		if key, known := m.cfg.Keys[string(d.Agent.ID)]; known && d.Agent.MAC != nil {
			if err := d.Verify(key, t); err != nil {
				m.stats.unauthorized.Add(1)
				m.warn.Warn("datagram with a bad signature dropped", "from", from.String(), "agent", string(d.Agent.ID), "err", err)
				return false, false
			}
			if m.replay.check(d.Agent.MAC, d.Agent.Time, t) {
				m.stats.replayed.Add(1)
				m.warn.Warn("replayed datagram dropped", "from", from.String(), "agent", string(d.Agent.ID))
				return false, false
			}
			return true, true
		}
	}
	if m.cfg.RequireAuth || d.Header.Control() {
		m.stats.unauthorized.Add(1)
		m.warn.Warn("unauthenticated datagram dropped", "from", from.String(), "header", d.Header.String(), "agent", string(d.Agent.ID))
		return false, false
	}
	return false, true
}

func (m *Monitor) emitLocked(ev *event.Event) {
	m.tl.Append(ev)
	if m.cfg.Journal != nil && m.journalE == nil {
		if err := m.cfg.Journal.Write(ev); err != nil {
			m.journalE = fmt.Errorf("journal: %w", err)
			m.log.Error("journal write failed; recording stopped", "err", err)
		}
	}
	for _, o := range m.outputs {
		o.Event(ev)
	}
}

// view is b as a string without a copy; valid while b is unchanged.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// replayCache remembers the MACs of signed datagrams inside the ±300 s window,
// so a captured datagram sent again is refused. Bounded: when full, the oldest
// half of the window is forgotten first.
type replayCache struct {
	mu   sync.Mutex // one decoder per socket shares it
	max  int
	seen map[[sha256.Size]byte]int64
}

func newReplayCache(max int) *replayCache {
	return &replayCache{max: max, seen: make(map[[sha256.Size]byte]int64)}
}

// check records a MAC and reports whether it was seen before.
func (c *replayCache) check(macHex []byte, ts int64, now time.Time) bool {
	var k [sha256.Size]byte
	if _, err := hex.Decode(k[:], macHex); err != nil {
		return false // Verify already refused such a MAC
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.seen[k]; dup {
		return true
	}
	if len(c.seen) >= c.max {
		cut := now.Unix() - int64(protocol.MaxSkew/time.Second)
		for k, t := range c.seen {
			if t < cut {
				delete(c.seen, k)
			}
		}
		if len(c.seen) >= c.max { // a flood inside the window: forget half
			n := 0
			for k := range c.seen {
				delete(c.seen, k)
				if n++; n >= c.max/2 {
					break
				}
			}
		}
	}
	c.seen[k] = ts
	return false
}
