// Package monitor is the viewer's pipeline, one way in and one way out:
//
//	sources ──▶ ingest ──▶ timeline ──▶ outputs
//
// A Source (the UDP listener, a journal replay, log alerts, a message bus)
// hands datagrams or ready-made events to its Intake; ingest decodes and
// authenticates datagrams into events that own their cleaned text; each
// event gets its place on the timeline and then goes to every Output (sound,
// speech, journal, …) in arrival order. Views that read rather than listen
// (console, board) follow the timeline through its Playhead.
//
// A new input is a package with a Source; a new output a package with an
// Output; either is one line where the monitor is put together.
package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/ingest"
	"github.com/packter/packter/protocol"
	"github.com/packter/packter/timeline"
)

// Source puts events into the monitor until ctx ends or it has no more.
type Source interface {
	Run(ctx context.Context, in Intake) error
}

// Intake is where a source delivers. Each source gets its own; calls on one
// Intake come from one goroutine at a time, and are handled in order.
type Intake interface {
	// Datagrams hands over PACKTER datagrams. Their bytes are the source's
	// until done is called (once, when the monitor no longer needs them).
	Datagrams(pkts []protocol.Packet, done func())
	// Events hands over events made elsewhere (a journal, log alerts); their
	// text is event.Text, cleaned when made. The caller may reuse evs at once.
	Events(evs []event.Event)
}

// Output receives every event in arrival order, from one goroutine. Events
// own their text and may be kept; the *Event itself is reused after the call,
// so copy the struct to keep it. Event must not block.
type Output interface {
	Event(ev *event.Event)
}

// OutputFunc adapts a function to Output.
type OutputFunc func(ev *event.Event)

// Event calls f.
func (f OutputFunc) Event(ev *event.Event) { f(ev) }

// Config is what the monitor wires together.
type Config struct {
	Ingest   ingest.Config
	Timeline *timeline.Timeline
	Sources  []Source
	Outputs  []Output
	Logger   *slog.Logger
}

// Stats counts what the monitor did with what it received.
type Stats struct {
	ingest.Stats
	Emitted       uint64 // events appended to the timeline and handed to outputs
	Dropped       uint64 // datagrams read but dropped: no room in the listener's byte budget
	Shed          uint64 // datagrams that waited over a second and were shed unread
	KernelDropped uint64 // datagrams the kernel dropped before they could be read
}

// Monitor runs the pipeline.
type Monitor struct {
	cfg Config
	tl  *timeline.Timeline
	in  *ingest.Ingest
	log *slog.Logger

	mu      sync.Mutex // serialises emission: timeline order, outputs
	outputs []Output
	sources []Source
	udp     []*UDP

	work    chan *batch
	emitted atomic.Uint64
	// HandleDatagram and Inject decode outside any source, under mu.
	dec     *ingest.Decoder
	scratch []event.Event
}

// batch is one delivery, decoded, waiting to be emitted.
type batch struct {
	events []event.Event
	done   func()
	free   chan *batch // where it goes back to, or nil
}

// New checks the configuration and builds a monitor; Run starts it.
func New(cfg Config) (*Monitor, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Ingest.Logger == nil {
		cfg.Ingest.Logger = cfg.Logger
	}
	if cfg.Timeline == nil {
		cfg.Timeline = timeline.New(timeline.DefaultCapacity)
	}
	in, err := ingest.New(cfg.Ingest)
	if err != nil {
		return nil, err
	}
	m := &Monitor{
		cfg: cfg, tl: cfg.Timeline, in: in, log: cfg.Logger,
		outputs: cfg.Outputs,
		work:    make(chan *batch, 16),
	}
	m.dec = in.NewDecoder()
	for _, s := range cfg.Sources {
		m.Add(s)
	}
	return m, nil
}

// Timeline is the monitor's event history.
func (m *Monitor) Timeline() *timeline.Timeline { return m.tl }

// Add adds a source; call it before Run.
func (m *Monitor) Add(s Source) {
	m.sources = append(m.sources, s)
	if u, ok := s.(*UDP); ok {
		m.udp = append(m.udp, u)
	}
}

// AddOutput adds an output; safe while running.
func (m *Monitor) AddOutput(o Output) {
	m.mu.Lock()
	m.outputs = append(m.outputs, o)
	m.mu.Unlock()
}

// Run runs every source and emits what they deliver until ctx ends. Sources
// that finish early (a replay at its end) leave the rest running. It returns
// once everything delivered has been emitted.
func (m *Monitor) Run(ctx context.Context) error {
	emitted := make(chan struct{})
	go func() {
		defer close(emitted)
		for b := range m.work {
			m.emit(b)
		}
	}()
	var wg sync.WaitGroup
	errs := make([]error, len(m.sources))
	for i, s := range m.sources {
		wg.Go(func() {
			if err := s.Run(ctx, m.newIntake()); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				errs[i] = err
				m.log.Error("input stopped", "err", err)
			}
		})
	}
	wg.Wait()
	<-ctx.Done()
	close(m.work)
	<-emitted
	return errors.Join(errs...)
}

// emit appends a batch's events to the timeline and hands them to outputs.
func (m *Monitor) emit(b *batch) {
	m.mu.Lock()
	for i := range b.events {
		m.emitLocked(&b.events[i])
	}
	m.mu.Unlock()
	// Counted once a batch: the decoder counts on the other core, and a
	// shared cache line per event is costly.
	m.emitted.Add(uint64(len(b.events)))
	if b.done != nil {
		b.done()
	}
	if b.free != nil {
		clear(b.events) // drop references to text: outputs own what they kept
		b.events, b.done = b.events[:0], nil
		b.free <- b
	}
}

func (m *Monitor) emitLocked(ev *event.Event) {
	m.tl.Append(ev)
	for _, o := range m.outputs {
		o.Event(ev)
	}
}

// HandleDatagram decodes and emits one datagram at once, as if received from
// `from` at t (tests, benchmarks, in-process senders).
func (m *Monitor) HandleDatagram(b []byte, from netip.AddrPort, t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.scratch = m.dec.Decode(b, from, t, m.scratch[:0])
	for i := range m.scratch {
		m.emitLocked(&m.scratch[i])
	}
	m.emitted.Add(uint64(len(m.scratch)))
}

// Inject adds an event made inside the process (a trace launched) at once.
func (m *Monitor) Inject(ev *event.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := *ev
	m.emitLocked(&e)
	m.emitted.Add(1)
}

// Stats returns the counts so far.
func (m *Monitor) Stats() Stats {
	s := Stats{Stats: m.in.Stats(), Emitted: m.emitted.Load()}
	for _, u := range m.udp {
		ls := u.l.Stats()
		s.Dropped += ls.Dropped
		s.Shed += ls.Shed
		s.KernelDropped += ls.KernelDropped
	}
	return s
}

// String is the closing line's summary.
func (s Stats) String() string {
	return fmt.Sprintf("%d datagrams, %d events, %d malformed, %d bad lines, %d unauthorized, %d replayed, %d dropped (%d by the kernel, %d shed as late)",
		s.Datagrams, s.Emitted, s.Malformed, s.BadLines, s.Unauthorized+s.ReplayFull, s.Replayed, s.Dropped+s.KernelDropped+s.Shed, s.KernelDropped, s.Shed)
}
