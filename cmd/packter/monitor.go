package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/packter/packter/console"
	"github.com/packter/packter/event"
	"github.com/packter/packter/intertrack"
	"github.com/packter/packter/journal"
	"github.com/packter/packter/monitor"
	"github.com/packter/packter/protocol"
	"github.com/packter/packter/sonify"
	"github.com/packter/packter/speech"
	"github.com/packter/packter/timeline"
)

// monitorOptions are the monitor's flags; the demo takes them too.
type monitorOptions struct {
	listen      multiFlag
	record      string
	replay      string
	speed       float64
	noAudio     bool
	wav         string
	voice       string
	rate        int
	voiceName   string
	accessible  bool
	board       bool
	keys        multiFlag
	requireAuth bool
	sounds      string
	assets      string
	boardFlags  string
	theme       string
	capacity    int
	duration    time.Duration
	tcPort      int
	verbose     bool
	cpuProfile  string
	command     string // "monitor" or "demo", for the closing line
}

func (o *monitorOptions) register(fs *flag.FlagSet) {
	fs.Var(&o.listen, "listen", "UDP `ADDR` to listen on (repeatable; default 127.0.0.1:11300)")
	fs.StringVar(&o.record, "record", "", "write every event to this journal `FILE` (JSON lines)")
	fs.StringVar(&o.replay, "replay", "", "play a journal `FILE` back")
	fs.Float64Var(&o.speed, "speed", 1, "replay speed (1 = as recorded, 0 = as fast as possible)")
	fs.BoolVar(&o.noAudio, "no-audio", false, "do not open the sound card")
	fs.StringVar(&o.wav, "wav", "", "also write everything heard, speech included, to this WAV `FILE`")
	fs.StringVar(&o.voice, "voice", "auto", "speech: auto, speechd, espeak-ng, say, sapi or none")
	fs.IntVar(&o.rate, "voice-rate", 0, "speaking rate in words per minute (0: the voice's default)")
	fs.StringVar(&o.voiceName, "voice-name", "", "the speech backend's `NAME` for the voice (e.g. en-us for espeak-ng)")
	fs.BoolVar(&o.accessible, "accessible", false, "linear screen-reader mode (also ACCESSIBLE=1, TERM=dumb, or output not a terminal)")
	fs.BoolVar(&o.board, "board", false, "also show the visual board (needs a display and packter-board)")
	fs.Var(&o.keys, "key", "agent key `ID=FILE` (repeatable): control messages then need a signature")
	fs.BoolVar(&o.requireAuth, "require-auth", false, "drop every datagram that is not signed by a known agent")
	fs.StringVar(&o.sounds, "sounds", "", "`DIR` of sounds that override the built-in ones by name")
	fs.StringVar(&o.boardFlags, "board-flags", "", "extra `FLAGS` for packter-board, space-separated (e.g. \"--vsync=false --size 1600x900\")")
	fs.StringVar(&o.assets, "assets", "", "`DIR` of pictures and sky textures the board may show (PACKTERMSG, PACKTERSKYDOMETEXTURE)")
	fs.StringVar(&o.theme, "theme", "calm", "sound theme: calm, alert, or a theme `FILE`")
	fs.IntVar(&o.capacity, "timeline", timeline.DefaultCapacity, "events kept for rewind")
	fs.DurationVar(&o.duration, "duration", 0, "stop after this long (0: until interrupted or q)")
	fs.IntVar(&o.tcPort, "tc-port", protocol.TracebackPort, "UDP `port` of traceback clients named without one")
	fs.BoolVar(&o.verbose, "verbose", false, "log more")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a Go CPU profile to `FILE` (for performance reports)")
}

func runMonitor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("monitor", flag.ContinueOnError)
	var o monitorOptions
	o.register(fs)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return o.run(ctx, stdout, stderr, nil)
}

// session is a running monitor with its outputs, for the demo to add to.
type session struct {
	opts    *monitorOptions
	mon     *monitor.Monitor
	tl      *timeline.Timeline
	sound   *sonify.Engine
	voice   *speech.Queue
	log     *slog.Logger
	logs    *logSink
	monAddr string // where the monitor listens (first address)
}

// run starts everything, calls ready (if any) once the monitor listens, and
// serves until ctx ends, the duration passes or the console quits.
func (o *monitorOptions) run(ctx context.Context, stdout, stderr io.Writer, ready func(ctx context.Context, s *session) error) error {
	if o.speed < 0 {
		return usagef("--speed must be 0 or more")
	}
	if o.capacity < 1 {
		return usagef("--timeline must be at least 1")
	}
	keys, err := parseKeyFlags(o.keys)
	if err != nil {
		return err
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if o.duration > 0 {
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	accessible := console.UseAccessible(o.accessible, stdout, os.Getenv)
	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelInfo
	}
	// In full-screen mode log lines would tear the screen: they become events
	// the console shows instead (and are printed again on exit).
	logs := newLogSink(stderr, !accessible, level)
	log := slog.New(logs)

	s := &session{opts: o, tl: timeline.New(o.capacity), log: log, logs: logs}
	var outputs []monitor.Output

	// Sound first: speech mixes into it.
	if !o.noAudio || o.wav != "" {
		eng, err := sonify.New(ctx, sonify.Options{Theme: o.theme, SoundsDir: o.sounds, Device: !o.noAudio, WAV: o.wav, Logger: log})
		if err != nil {
			return err
		}
		s.sound = eng
		defer func() {
			if err := eng.Close(); err != nil {
				log.Error("closing the sound engine", "err", err)
			}
		}()
		outputs = append(outputs, eng)
	}
	scfg := speech.Config{Backend: o.voice, Rate: o.rate, Voice: o.voiceName, Logger: log, PreferPCM: o.wav != ""}
	if s.sound != nil {
		scfg.PCM = s.sound
	}
	if o.voice == "none" {
		scfg.Backend = "none"
	}
	q, err := speech.New(ctx, scfg)
	if err != nil {
		return usagef("%v", err)
	}
	s.voice = q
	defer q.Close()
	o.sayOutputs(stderr, s)
	outputs = append(outputs, speechOutput{q})

	var jw *journal.Writer
	if o.record != "" {
		f, err := os.Create(o.record)
		if err != nil {
			return fmt.Errorf("journal: %w", err)
		}
		defer f.Close()
		jw = journal.NewWriter(f)
	}
	mon, err := monitor.New(monitor.Config{
		Listen: o.listen, Keys: keys, RequireAuth: o.requireAuth, Timeline: s.tl,
		Journal: jw, Outputs: outputs, Logger: log,
	})
	if err != nil {
		return usagef("%v", err)
	}
	s.mon = mon
	logs.attach(mon)
	addrs, err := mon.Listen()
	if err != nil {
		return err
	}
	s.monAddr = addrs[0].String()
	// Said always: with --listen …:0 this is how scripts and tests learn the port.
	for _, a := range addrs {
		fmt.Fprintf(stderr, "packter %s: listening on UDP %s\n", o.name(), a)
	}

	errc := make(chan error, 4)
	go func() { errc <- mon.Run(ctx) }()

	if o.board {
		b, err := startBoard(ctx, s)
		if err != nil {
			log.Warn("no visual board: " + err.Error())
		} else {
			mon.AddOutput(b)
			defer b.Close()
		}
	}
	if o.replay != "" {
		go func() {
			if err := replayJournal(ctx, o.replay, o.speed, mon); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("replay stopped", "err", err)
			}
		}()
	}
	if ready != nil {
		if err := ready(ctx, s); err != nil {
			return err
		}
	}

	tracer := tracerFunc(func(ctx context.Context, ev *event.Event) error {
		if err := intertrack.LaunchTrace(ctx, ev, o.tcPort); err != nil {
			return err
		}
		hash, host, _ := ev.Traceable()
		mon.Inject(&event.Event{Time: time.Now(), Kind: event.KindTrace, Text: "traceback requested for " + hash + " from " + host, Desc: ev.Desc})
		return nil
	})
	ccfg := console.Config{
		Timeline: s.tl, Speech: q, Tracer: tracer, Out: stdout,
		Accessible: accessible, Bell: true,
	}
	if s.sound != nil {
		ccfg.Sound = s.sound
	}
	cerr := console.Run(ctx, ccfg)
	cancel()
	merr := <-errc
	logs.replay()
	st := mon.Stats()
	if o.command == "" {
		o.command = "monitor"
	}
	fmt.Fprintf(stderr, "packter %s: %d datagrams, %d events, %d malformed, %d bad lines, %d unauthorized, %d replayed, %d dropped (%d by the kernel)\n",
		o.command, st.Datagrams, st.Events, st.Malformed, st.BadLines, st.Unauthorized, st.Replayed, st.Dropped+st.KernelDropped, st.KernelDropped)
	if cerr != nil && !errors.Is(cerr, context.Canceled) && !errors.Is(cerr, context.DeadlineExceeded) {
		return cerr
	}
	if merr != nil && !errors.Is(merr, context.Canceled) && !errors.Is(merr, context.DeadlineExceeded) {
		return merr
	}
	return nil
}

// sayOutputs names, first thing, what the user will hear through: the voice
// and the sound output, so a silent run explains itself.
func (o *monitorOptions) sayOutputs(w io.Writer, s *session) {
	cmd := o.name()
	voice := s.voice.Backend()
	if voice == "none" && o.voice != "none" {
		voice = "none (install espeak-ng or speech-dispatcher to hear alerts spoken)"
	}
	sound := "off (--no-audio)"
	if s.sound != nil {
		sound = s.sound.Status()
	}
	fmt.Fprintf(w, "packter %s: voice %s; sound: %s\n", cmd, voice, sound)
}

// name is the command for messages: monitor or demo.
func (o *monitorOptions) name() string {
	if o.command == "" {
		return "monitor"
	}
	return o.command
}

type tracerFunc func(ctx context.Context, ev *event.Event) error

func (f tracerFunc) Trace(ctx context.Context, ev *event.Event) error { return f(ctx, ev) }

// speechOutput speaks PACKTERVOICE messages. Texts that announce an attack
// interrupt chatter; repeats of one alert are coalesced on the words before
// the first comma ("SYN flood toward 10.1.2.3").
type speechOutput struct{ q *speech.Queue }

func (s speechOutput) Event(ev *event.Event) {
	if ev.Kind != event.KindVoice {
		return
	}
	text := ev.Text
	key, _, _ := strings.Cut(text, ",")
	p := speech.Message
	if urgent(text) {
		p = speech.Alert
	}
	s.q.SayKeyed(key, text, "", p)
}

func urgent(text string) bool {
	t := strings.ToLower(text)
	for _, w := range []string{"flood", "attack", "incident", "scan", "alert", "traceback"} {
		if strings.Contains(t, w) {
			return true
		}
	}
	return false
}

// replayJournal plays a journal back into the monitor, keeping the recorded
// gaps divided by speed, stamping events with the time they are replayed.
func replayJournal(ctx context.Context, path string, speed float64, mon *monitor.Monitor) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	defer f.Close()
	dec := journal.NewDecoder(f)
	var ev event.Event
	var first time.Time
	start := time.Now()
	bad := 0
	for {
		err := dec.Next(&ev)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if bad++; bad > 1000 {
				return fmt.Errorf("replay %s: too many bad lines, last: %w", path, err)
			}
			continue
		}
		if first.IsZero() {
			first = ev.Time
		}
		if speed > 0 {
			due := start.Add(time.Duration(float64(ev.Time.Sub(first)) / speed))
			if d := time.Until(due); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-ctx.Done():
					t.Stop()
					return ctx.Err()
				case <-t.C:
				}
			}
		} else if ctx.Err() != nil {
			return ctx.Err()
		}
		ev.Time = time.Now()
		mon.Inject(&ev)
	}
}
