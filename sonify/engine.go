// Package sonify turns network events into sound: a pure mapping from event to
// cue (mapping.go), density control that folds busy classes into textures, and
// the engine that schedules cues sample-accurately, mixes them through a
// limiter and plays them on the sound card, into a WAV file, or both. It is the
// only package that opens the sound device.
//
// The engine is small types by concern: the intake (intake.go: clock mapping
// and rate limits, under its own mutex) sends commands through a lock-free
// queue (queue.go) to the renderer (mixer.go, voices.go, texture.go,
// speechmix.go), which one goroutine runs without any lock and which
// publishes back through atomics; user controls are an atomically swapped
// snapshot (controls.go); outputs are the device callback, and a WAV writer
// on its own goroutine fed by a lock-free ring (sink.go).
package sonify

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/internal/safefile"
	"github.com/packter/packter/sounds"
	"github.com/packter/packter/wav"
)

// Options configures an Engine.
type Options struct {
	SampleRate int    // output rate, stereo; default 48000
	Theme      string // "calm" (default), "alert", or the path of a theme file
	SoundsDir  string // user sounds that override the embedded ones by name
	Device     bool   // play on the sound card
	WAV        string // also write everything heard to this WAV file
	Logger     *slog.Logger
}

// Engine limits and tuning.
const (
	maxVoices      = 64
	maxBlock       = 512  // frames rendered per step; cues start at any frame within it
	queueSize      = 4096 // commands waiting to be taken by the renderer (a power of two)
	schedCap       = 1024 // cues taken and waiting for their onset
	maxSE          = 10   // PACKTER 2.5 plays at most 10 sound effects at once
	recentSize     = 8    // recent notes per class that texture grains borrow
	lateTolerMs    = 100  // an event later than this is dropped, not queued
	resyncSecs     = 5    // event clocks further than this from ours re-anchor
	maxGapSecs     = 60   // offline, longer silences between events shrink to 1 s
	noteBurst      = 3    // notes a class may play in a burst before the rate limit
	limitCeiling   = 0.89 // no sample goes beyond: -1 dBFS
	limitThreshold = 0.6  // the limiter's gain starts working above this
	maxSpeech      = 4
	maxSpeechSec   = 300
)

type cmdKind uint8

const (
	cmdCue cmdKind = iota + 1
	cmdFore
	cmdSE
	cmdSound
	cmdStopSound
	cmdSpeech
	cmdDuck
)

// cmd is one thing sent to the renderer: a cue, a clip or a background-sound
// change at an output frame, an utterance, or a duck.
type cmd struct {
	kind   cmdKind
	at     int64
	cue    Cue
	clip   *clip
	millis int
	sp     *speech
}

// Engine is the sonification engine. Its methods are safe for concurrent use.
type Engine struct {
	opts    Options
	log     *slog.Logger
	rate    int
	lib     *library
	sh      *shared
	in      intake
	r       *renderer
	offline bool

	loads    chan loadReq
	output   string // "sound card", "WAV only", "silent"
	noDevice bool
	speaker  bool
	closed   atomic.Bool
	// speechRef is the voiced RMS of the loudest utterance yet (float64
	// bits): speech is normalised against it.
	speechRef atomic.Uint64

	ring    *sampleRing // renderer → WAV writer
	wavOut  *wav.Writer
	wavFile *os.File
	stopWAV context.CancelFunc
	wavWG   sync.WaitGroup

	stop      context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

type loadReq struct {
	kind   cmdKind
	name   string
	at     int64
	millis int
}

// New starts an engine. With Device it plays on the sound card (or says once
// why it cannot and continues silent); with WAV it writes what is heard; with
// neither it keeps state (for the console) but renders nothing.
func New(ctx context.Context, opts Options) (*Engine, error) {
	e, err := newEngine(opts)
	if err != nil {
		return nil, err
	}
	ctx, e.stop = context.WithCancel(ctx)
	e.wg.Add(1)
	go e.loader(ctx)
	if opts.WAV != "" {
		if err := e.openWAV(context.WithoutCancel(ctx), opts.WAV); err != nil {
			e.Close()
			return nil, err
		}
	}
	e.output = "silent"
	if opts.Device {
		if err := e.openDevice(); err != nil {
			e.log.Warn("No sound device could be opened, so Packter continues without sound: " + oneLine(err))
			e.noDevice = true
		} else {
			e.output = "sound card"
			return e, nil
		}
	}
	if e.ring != nil {
		e.output = "WAV only"
		start := time.Now()
		e.anchor(start, int64(e.rate)*30/1000)
		e.wg.Add(1)
		go e.clockDriver(ctx, start)
	}
	return e, nil
}

func newEngine(opts Options) (*Engine, error) {
	if opts.SampleRate == 0 {
		opts.SampleRate = 48000
	}
	if opts.SampleRate < 8000 || opts.SampleRate > 192000 {
		return nil, fmt.Errorf("sonify: sample rate %d outside 8000..192000", opts.SampleRate)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	lib, err := newLibrary(opts.SoundsDir, sounds.FS(), opts.SampleRate)
	if err != nil {
		return nil, fmt.Errorf("sonify: %w", err)
	}
	sh := &shared{q: newCmdQueue(queueSize)}
	sh.obs.base = time.Now()
	e := &Engine{opts: opts, log: log, rate: opts.SampleRate, lib: lib, sh: sh,
		r: newRenderer(sh, opts.SampleRate), loads: make(chan loadReq, 32)}
	e.in.init(sh, opts.SampleRate)
	th, err := e.loadTheme(opts.Theme)
	if err != nil {
		lib.close()
		return nil, err
	}
	st := &controlState{theme: th, volume: th.Volume, solo: -1, fg: e.loadForeground(th)}
	if _, builtin := builtinTheme(opts.Theme); !builtin {
		st.fileTheme = th
	}
	sh.ctl.cur.Store(st)
	return e, nil
}

// anchor sets the output latency and maps t to the frame it stands for.
func (e *Engine) anchor(t time.Time, latency int64) {
	e.in.mu.Lock()
	c := &e.in.clk
	c.latency = latency
	c.anchored, c.anchorT, c.anchorFrame = true, t, latency
	e.in.mu.Unlock()
}

func oneLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// loadTheme returns a built-in theme or parses a theme file.
func (e *Engine) loadTheme(name string) (*Theme, error) {
	if t, ok := builtinTheme(name); ok {
		return &t, nil
	}
	f, err := safefile.Open(name)
	if err != nil {
		return nil, fmt.Errorf("sonify: theme %q is neither calm, alert nor a readable file: %w", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxThemeSize+1))
	if err != nil {
		return nil, fmt.Errorf("sonify: theme %s: %w", name, err)
	}
	t, err := ParseTheme(b)
	if err != nil {
		return nil, fmt.Errorf("sonify: theme %s: %w", name, err)
	}
	if cur := e.sh.ctl.load(); cur != nil {
		e.sh.ctl.update(func(s *controlState) { s.fileTheme = &t })
	}
	return &t, nil
}

func (e *Engine) loadForeground(t *Theme) [3]*clip {
	var fg [3]*clip
	for i, n := range [3]string{t.Flood, t.Incident, t.Alert} {
		c, err := e.lib.get(n)
		if err != nil {
			e.log.Warn("sonify: theme sound missing", "theme", t.Name, "file", n, "err", err)
			continue
		}
		fg[i] = c
	}
	return fg
}

// rendering reports whether anything renders what is queued.
func (e *Engine) rendering() bool {
	return e.output == "sound card" || e.output == "WAV only" || e.offline
}

// Event schedules the sound of one event by its time. It never blocks on the
// device, the renderer or I/O, and allocates nothing for packets.
func (e *Engine) Event(ev *event.Event) {
	if ev == nil {
		return
	}
	switch ev.Kind {
	case event.KindPacket, event.KindAlert:
		e.in.packet(ev, e.sh.ctl.load().theme)
	case event.KindSE, event.KindSound:
		e.fileEvent(ev)
	}
}

// fileEvent handles PACKTERSE and PACKTERSOUND: the file is resolved and
// decoded off the caller's goroutine.
func (e *Engine) fileEvent(ev *event.Event) {
	e.in.mu.Lock()
	e.in.total++
	at, ok := e.in.schedulable(e.in.frame(ev.Time))
	if !ok { // a file event is never too late: play it now
		at = e.sh.pos.Load()
	}
	stop := ev.Kind == event.KindSound && (ev.Millis == 0 || ev.File.Empty())
	if stop {
		e.in.push(cmd{kind: cmdStopSound, at: at})
	}
	e.in.mu.Unlock()
	if stop {
		return
	}
	k := cmdSE
	if ev.Kind == event.KindSound {
		k = cmdSound
	}
	req := loadReq{kind: k, name: ev.File.String(), at: at, millis: ev.Millis}
	if e.offline { // resolve here, in order
		e.load(req)
		return
	}
	select {
	case e.loads <- req:
	default:
		e.sh.dropFull.Add(1)
	}
}

func (e *Engine) loader(ctx context.Context) {
	defer e.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-e.loads:
			e.load(r)
		}
	}
}

func (e *Engine) load(r loadReq) {
	c, err := e.lib.get(r.name)
	if err != nil {
		if e.lib.firstMiss(r.name) {
			e.log.Warn("sonify: sound file not played", "file", r.name, "err", err)
		}
		return
	}
	at := max(r.at, e.sh.pos.Load())
	if !e.sh.q.push(cmd{kind: r.kind, at: at, clip: c, millis: r.millis}) {
		e.sh.dropFull.Add(1)
	}
}

// Close stops the engine, finishes pending speech, and finalises the WAV file.
func (e *Engine) Close() error {
	e.closeOnce.Do(func() {
		e.closed.Store(true)
		if e.stop != nil {
			e.stop()
		}
		if e.speaker {
			closeSpeaker() // after this the callback is not called again
		}
		e.wg.Wait() // the clock driver and the loader have returned: nothing renders
		if e.stopWAV != nil {
			e.stopWAV()
			e.wavWG.Wait()
		}
		if e.wavOut != nil {
			e.closeErr = e.wavOut.Close()
			if d := e.ring.dropped.Load(); d > 0 {
				e.log.Warn("sonify: the WAV writer fell behind; samples were left out", "samples", d)
			}
		}
		if e.wavFile != nil {
			if err := e.wavFile.Close(); err != nil && e.closeErr == nil {
				e.closeErr = fmt.Errorf("sonify: wav output: %w", err)
			}
		}
		for _, s := range e.r.speeches {
			s.finish()
		}
		e.r.speeches = nil
		for c, ok := e.sh.q.pop(); ok; c, ok = e.sh.q.pop() {
			if c.sp != nil {
				c.sp.finish()
			}
		}
		e.lib.close()
	})
	return e.closeErr
}
