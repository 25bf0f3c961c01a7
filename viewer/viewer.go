// Package viewer puts the monitor together from its options: the inputs (UDP
// sockets, a journal replay, the log's own alerts), the outputs (sound,
// speech, journal) and the views that follow the timeline (console, board).
// `packter monitor` and `packter demo` are flags and one call to Run.
package viewer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/packter/packter/bus"
	"github.com/packter/packter/console"
	"github.com/packter/packter/event"
	"github.com/packter/packter/ingest"
	"github.com/packter/packter/intertrack"
	"github.com/packter/packter/journal"
	"github.com/packter/packter/logalert"
	"github.com/packter/packter/monitor"
	"github.com/packter/packter/protocol"
	"github.com/packter/packter/sonify"
	"github.com/packter/packter/speech"
	"github.com/packter/packter/timeline"
	"github.com/packter/packter/visual/feed"
)

// Options are the monitor's settings (the flags of `packter monitor`).
type Options struct {
	Command string // "monitor" or "demo", for messages

	Listen      []string          // UDP addresses; default 127.0.0.1:11300
	Keys        map[string][]byte // agent id -> HMAC key
	RequireAuth bool
	Record      string  // journal file to append to
	Replay      string  // journal file to play back
	Speed       float64 // replay speed (0: as fast as possible)

	NoAudio   bool
	WAV       string
	Sounds    string
	Theme     string
	Voice     string // auto, speechd, espeak-ng, say, sapi, none
	VoiceName string
	VoiceRate int

	Accessible   bool
	Verbosity    console.Verbosity
	SummaryEvery time.Duration
	SpeakPrinted bool
	TraceTimeout time.Duration
	TCPort       int // traceback clients named without a port
	// TraceClients are the traceback clients T may send to besides this
	// machine's ("host" for any port, or "host:port"): descriptions come
	// from the network, so other hosts they name are refused.
	TraceClients []string

	Board      bool
	Assets     string
	BoardFlags []string

	Capacity   int           // timeline events
	MemLimit   int64         // soft memory limit for the Go runtime in bytes (0: DefaultMemLimit)
	Duration   time.Duration // stop after (0: until quit)
	Verbose    bool
	CPUProfile string

	NATS bus.MonitorOptions // --nats: also read the stream
}

// Session is a running viewer, for the demo to add to.
type Session struct {
	Monitor  *monitor.Monitor
	Timeline *timeline.Timeline
	Playhead *timeline.Playhead
	Sound    *sonify.Engine // nil with --no-audio and no --wav
	Voice    *speech.Queue
	Log      *slog.Logger
	Logs     *logalert.Sink
	Addr     string      // the first UDP address listened on
	NATS     *bus.Source // with --nats: its Sites() say which sites are heard

	closers []func() // run in reverse order when the session ends
}

// DefaultMemLimit is the runtime's soft memory limit: the garbage collector
// works harder as the heap nears it, so a flood does not double the live
// heap in garbage. With the default timeline the monitor stays under 512 MiB.
const DefaultMemLimit = 448 << 20

// onClose runs f when the session closes (last deferred, first run).
func (s *Session) onClose(f func()) { s.closers = append(s.closers, f) }

func (s *Session) close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
}

// ErrUsage marks options that cannot work together (exit status 2).
var ErrUsage = errors.New("usage")

func usagef(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrUsage, fmt.Sprintf(format, a...))
}

// Run starts everything, calls ready (if any) once the monitor listens, and
// serves until ctx ends, the duration passes or the console quits. Its last
// line on stderr counts what the monitor received.
func Run(ctx context.Context, o Options, stdout, stderr io.Writer, ready func(ctx context.Context, s *Session) error) (err error) {
	if err := o.check(); err != nil {
		return err
	}
	if o.CPUProfile != "" {
		stop, err := startProfile(o.CPUProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(o.MemLimit))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if o.Duration > 0 {
		ctx, cancel = context.WithTimeout(ctx, o.Duration)
		defer cancel()
	}
	accessible := console.UseAccessible(o.Accessible, stdout, os.Getenv)
	s := o.newSession(stderr, accessible)
	defer s.close()
	outputs, err := o.outputs(ctx, s, stderr)
	if err != nil {
		return err
	}
	sources, err := o.sources(ctx, s, stderr)
	if err != nil {
		return err
	}
	mon, err := monitor.New(monitor.Config{
		Ingest:   o.ingestConfig(s),
		Timeline: s.Timeline, Sources: sources, Outputs: outputs, Logger: s.Log,
	})
	if err != nil {
		return usagef("%v", err)
	}
	s.Monitor = mon
	monDone := make(chan error, 1)
	go func() { monDone <- mon.Run(ctx) }()
	o.startBoard(ctx, s)
	if ready != nil {
		if err := ready(ctx, s); err != nil {
			cancel()
			<-monDone
			return err
		}
	}
	cerr := console.Run(ctx, o.consoleConfig(s, accessible, stdout))
	cancel()
	merr := <-monDone
	s.Logs.Release()
	o.closingLines(stderr, s)
	for _, err := range []error{cerr, merr} {
		if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
	}
	return nil
}

// newSession makes the timeline, its playhead and the log. Under the
// full-screen console, log lines would tear the screen: they are held, shown
// as alerts, and printed once the screen is gone.
func (o *Options) newSession(stderr io.Writer, accessible bool) *Session {
	level := slog.LevelWarn
	if o.Verbose {
		level = slog.LevelInfo
	}
	logs := logalert.New(stderr, "packter", !accessible, level)
	tl := timeline.New(o.Capacity)
	s := &Session{Timeline: tl, Playhead: timeline.NewPlayhead(tl, nil), Log: slog.New(logs), Logs: logs}
	s.onClose(logs.Release)
	return s
}

// outputs opens what every event goes to: sound, speech, the journal.
func (o *Options) outputs(ctx context.Context, s *Session, stderr io.Writer) ([]monitor.Output, error) {
	var outputs []monitor.Output
	if !o.NoAudio || o.WAV != "" {
		eng, err := sonify.New(ctx, sonify.Options{Theme: o.Theme, SoundsDir: o.Sounds, Device: !o.NoAudio, WAV: o.WAV, Logger: s.Log})
		if err != nil {
			return nil, err
		}
		s.Sound = eng
		s.onClose(func() { closeLogged(s.Log, "the sound engine", eng) })
		outputs = append(outputs, eng)
	}
	q, err := o.speech(ctx, s)
	if err != nil {
		return nil, err
	}
	s.Voice = q
	s.onClose(func() { q.Close() })
	// The console says one line per trace; the client's own words for it would be heard twice.
	outputs = append(outputs, speech.Voices{Q: q, SkipResults: true})
	o.sayOutputs(stderr, s)
	if o.Record != "" {
		rec, err := journal.Record(o.Record, s.Log)
		if err != nil {
			return nil, err
		}
		s.onClose(func() { closeLogged(s.Log, "the journal", rec) })
		outputs = append(outputs, rec)
	}
	return outputs, nil
}

// sources opens what events come from: the log's alerts, the UDP sockets, a
// message bus, a journal replay.
func (o *Options) sources(ctx context.Context, s *Session, stderr io.Writer) ([]monitor.Source, error) {
	if len(o.Keys) > 0 && !o.RequireAuth {
		fmt.Fprintf(stderr, "packter %s: note: agent keys are set without --require-auth: control messages need a signature, but unsigned packet records from anyone are still shown\n", o.Command)
	}
	sources := []monitor.Source{s.Logs.Source()}
	for _, a := range o.listenAddrs() {
		u, err := monitor.ListenUDP(a, s.Log)
		if err != nil {
			return nil, err
		}
		s.onClose(func() { u.Close() })
		// Said always: with --listen …:0 this is how scripts and tests learn the port.
		fmt.Fprintf(stderr, "packter %s: listening on UDP %s\n", o.Command, u.Addr())
		if s.Addr == "" {
			s.Addr = u.Addr().String()
		}
		sources = append(sources, u)
	}
	if o.NATS.Client.URLs != "" {
		src, err := bus.OpenSource(ctx, o.NATS, s.Log)
		if err != nil {
			return nil, err
		}
		s.onClose(func() { src.Close() })
		s.NATS = src
		sources = append(sources, src)
		if err := o.streamHistory(s, src); err != nil {
			return nil, err
		}
	}
	if o.Replay != "" {
		sources = append(sources, &journal.Replayer{Path: o.Replay, Speed: o.Speed, Logger: s.Log})
	}
	return sources, nil
}

// ingestConfig is the authentication policy of everything the monitor hears.
func (o *Options) ingestConfig(s *Session) ingest.Config {
	return ingest.Config{Keys: o.Keys, RequireAuth: o.RequireAuth, Logger: s.Log}
}

// streamHistory lets the console and the board rewind past the timeline
// into the stream's history: up to a third of the timeline's size again is
// loaded before it on demand (64 bytes an event: 64 MB at the default).
func (o *Options) streamHistory(s *Session, src *bus.Source) error {
	if err := s.Timeline.AllowPast(s.Timeline.Capacity() / 3); err != nil {
		return err
	}
	arch, err := bus.NewArchive(src.Conn(), src.Filters(), o.ingestConfig(s), src)
	if err != nil {
		return err
	}
	s.Playhead.SetArchive(arch)
	return nil
}

// startBoard starts the visual board beside the console, if asked; without a
// display or packter-board the rest runs on, and says why.
func (o *Options) startBoard(ctx context.Context, s *Session) {
	if !o.Board {
		return
	}
	flags := slices.Clone(o.BoardFlags)
	for _, c := range o.TraceClients {
		flags = append(flags, "--trace-client", c) // the board's T is guarded alike
	}
	b, err := feed.Start(ctx, feed.Config{Timeline: s.Timeline, Playhead: s.Playhead, Assets: o.Assets, ExtraFlags: flags, Logger: s.Log})
	if err != nil {
		s.Log.Warn("no visual board: " + err.Error())
		return
	}
	s.onClose(func() { closeLogged(s.Log, "the board", b) })
}

// closingLines count what the monitor received and what the sound engine had
// to leave out: nothing is lost silently.
func (o *Options) closingLines(stderr io.Writer, s *Session) {
	fmt.Fprintf(stderr, "packter %s: %s\n", o.Command, s.Monitor.Stats())
	if s.Sound == nil {
		return
	}
	if d := s.Sound.Drops(); d != (sonify.Drops{}) {
		fmt.Fprintf(stderr, "packter %s: sound left out %d late events, %d when its queue was full, %d cues with no room, %d WAV samples\n",
			o.Command, d.Late, d.QueueFull, d.NoRoom, d.WAVSamples)
	}
}

func (o *Options) check() error {
	if o.Command == "" {
		o.Command = "monitor"
	}
	switch {
	case o.Speed < 0:
		return usagef("--speed must be 0 or more")
	case o.Capacity < 1:
		return usagef("--timeline must be at least 1")
	case o.RequireAuth && len(o.Keys) == 0:
		return usagef("%v", ingest.ErrRequireAuthNoKey)
	}
	if o.TCPort == 0 {
		o.TCPort = protocol.TracebackPort
	}
	if o.MemLimit == 0 {
		o.MemLimit = DefaultMemLimit
	}
	if o.NATS.Client.URLs != "" {
		if o.NATS.Since < 0 {
			return usagef("--nats-since must not be negative")
		}
		if err := o.NATS.Client.Check(); err != nil {
			return usagef("%v", err)
		}
	}
	return nil
}

func (o *Options) listenAddrs() []string {
	if len(o.Listen) == 0 {
		return []string{fmt.Sprintf("127.0.0.1:%d", protocol.ViewerPort)}
	}
	return o.Listen
}

func (o *Options) speech(ctx context.Context, s *Session) (*speech.Queue, error) {
	cfg := speech.Config{Backend: o.Voice, Rate: o.VoiceRate, Voice: o.VoiceName, Logger: s.Log, PreferPCM: o.WAV != ""}
	if s.Sound != nil {
		cfg.PCM, cfg.Duck = s.Sound, s.Sound
	}
	q, err := speech.New(ctx, cfg)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return q, nil
}

func (o *Options) consoleConfig(s *Session, accessible bool, stdout io.Writer) console.Config {
	mon := s.Monitor
	tracer := tracerFunc(func(ctx context.Context, ev *event.Event) error {
		if err := intertrack.LaunchTrace(ctx, ev, o.TCPort, o.TraceClients...); err != nil {
			return err
		}
		hash, host, _ := ev.Traceable()
		mon.Inject(&event.Event{Time: time.Now(), Kind: event.KindTrace, Text: event.CleanText("traceback requested for "+hash+" from "+host, event.MaxText), Desc: ev.Desc})
		return nil
	})
	cfg := console.Config{
		Timeline: s.Timeline, Playhead: s.Playhead, Speech: s.Voice, Tracer: tracer, Out: stdout,
		Accessible: accessible, Bell: true, FromStart: true,
		Verbosity: o.Verbosity, SummaryEvery: o.SummaryEvery, SpeakPrinted: o.SpeakPrinted, TraceTimeout: o.TraceTimeout,
	}
	if s.Sound != nil {
		cfg.Sound = s.Sound
	}
	if src := s.NATS; src != nil {
		// Which sites are heard, said with the status.
		cfg.Status = func() string { return bus.Summary(src.Sites(), time.Now(), time.Minute) }
	}
	return cfg
}

// sayOutputs names, first thing, what the user will hear through: the voice
// and the sound output, so a silent run explains itself.
func (o *Options) sayOutputs(w io.Writer, s *Session) {
	voice := s.Voice.Backend()
	if voice == "none" && o.Voice != "none" {
		voice = "none (install espeak-ng or speech-dispatcher to hear alerts spoken)"
	}
	sound := "off (--no-audio)"
	if s.Sound != nil {
		sound = s.Sound.Status()
	}
	fmt.Fprintf(w, "packter %s: voice %s; sound: %s\n", o.Command, voice, sound)
}

type tracerFunc func(ctx context.Context, ev *event.Event) error

func (f tracerFunc) Trace(ctx context.Context, ev *event.Event) error { return f(ctx, ev) }

func closeLogged(log *slog.Logger, what string, c io.Closer) {
	if err := c.Close(); err != nil {
		log.Error("closing "+what, "err", err)
	}
}

func startProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
