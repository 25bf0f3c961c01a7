// Package sonify turns network events into sound: a pure mapping from event to
// cue (mapping.go), density control that folds busy classes into textures, and
// the engine that schedules cues sample-accurately, mixes them through a
// limiter and plays them on the sound card, into a WAV file, or both. It is the
// only package that opens the sound device.
package sonify

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/sounds"
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
	ringSize       = 4096 // cues waiting to be taken by the renderer
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

var classNames = [10]string{"TCP", "SYN", "FIN/RST", "UDP", "ICMP", "TCPv6", "SYNv6", "FIN/RSTv6", "UDPv6", "ICMPv6"}

type cmdKind uint8

const (
	cmdCue cmdKind = iota + 1
	cmdFore
	cmdSE
	cmdSound
	cmdStopSound
)

// cmd is one scheduled thing: a cue, a clip or a background-sound change, at
// an output frame.
type cmd struct {
	kind   cmdKind
	at     int64
	cue    Cue
	clip   *clip
	millis int
}

type grainSeed struct {
	freq, pan, ratio float64
	gesture          Gesture
}

// Engine is the sonification engine. Its methods are safe for concurrent use.
type Engine struct {
	opts  Options
	log   *slog.Logger
	rate  int
	lib   *library
	table *sineTable

	// mu guards everything producers (Event, controls) touch.
	mu          sync.Mutex
	ring        [ringSize]cmd
	rhead, rlen int
	counts      [10]uint64
	total       uint64
	dropped     uint64 // late events and cues refused for lack of room
	tokens      [10]float64
	tokenNs     [10]int64
	allTokens   float64
	allNs       int64
	recent      [10][recentSize]grainSeed
	recentN     [10]uint32
	skip        [10]uint32
	anchored    bool
	anchorT     time.Time
	anchorFrame int64
	pos         int64 // frames producers must not schedule before
	latency     int64
	theme       *Theme
	fileTheme   *Theme
	fg          [3]*clip // flood, incident, alert clips of the theme
	fgLast      [3]int64
	volume      float64
	muted       bool
	classMute   [10]bool
	solo        int
	textureOn   [10]bool
	speechQ     []*speech
	statTotal   uint64
	statTime    time.Time
	statRate    float64
	rateSum     float64 // events/s over the renderer's last quarter second
	noDevice    bool
	closed      bool
	output      string // "sound card", "WAV only", "silent"

	loads chan loadReq

	// rmu is held while rendering; the renderer's own state follows.
	rmu    sync.Mutex
	voices [maxVoices]voice
	sched  []cmd
	tex    [10]texture
	rates  [10]float64
	// frames of the last traffic and the last heartbeat tick
	lastActive, lastBeat int64
	logRate              [10]float64
	win                  [128]winBin
	winHead              int
	bg                   voice
	speeches             []*speech
	bufL                 []float32
	bufR                 []float32
	foreL                []float32
	foreR                []float32
	spk                  []float32
	out                  []float32
	lim                  float32
	gain                 float32
	duck                 float32
	rpos                 int64
	rng                  uint32
	wav                  *wavWriter
	wavFile              *os.File
	snapshot             struct {
		theme     *Theme
		fg        [3]*clip
		volume    float64
		muted     bool
		classMute [10]bool
		solo      int
		recent    [10][recentSize]grainSeed
		recentN   [10]uint32
	}

	stop      context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
	speaker   bool
	offline   bool
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
		f, err := os.Create(opts.WAV)
		if err != nil {
			e.Close()
			return nil, fmt.Errorf("sonify: wav output: %w", err)
		}
		e.wavFile = f
		e.wav, err = newWAVWriter(f, e.rate)
		if err != nil {
			e.Close()
			return nil, fmt.Errorf("sonify: wav output: %w", err)
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
	if e.wav != nil {
		e.output = "WAV only"
		e.mu.Lock()
		e.latency = int64(e.rate) * 30 / 1000
		start := time.Now()
		e.anchored, e.anchorT, e.anchorFrame = true, start, e.latency
		e.mu.Unlock()
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
	e := &Engine{
		opts: opts, log: log, rate: opts.SampleRate, lib: lib, table: newSineTable(),
		solo: -1, sched: make([]cmd, 0, schedCap), loads: make(chan loadReq, 32),
		bufL: make([]float32, maxBlock), bufR: make([]float32, maxBlock),
		foreL: make([]float32, maxBlock), foreR: make([]float32, maxBlock),
		spk: make([]float32, maxBlock), out: make([]float32, 2*maxBlock),
		lim: 1, duck: 1, rng: 0x2545F491,
	}
	th, err := e.loadTheme(opts.Theme)
	if err != nil {
		lib.close()
		return nil, err
	}
	e.theme = th
	e.volume = th.Volume
	e.gain = float32(th.Volume)
	e.fg = e.loadForeground(th)
	for i := range e.tokens {
		e.tokens[i] = noteBurst
	}
	e.allTokens = 2 * noteBurst
	return e, nil
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
	f, err := os.Open(name)
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
	e.mu.Lock()
	e.fileTheme = &t
	e.mu.Unlock()
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

// frameAt maps an event time to an output frame. Called with mu held.
func (e *Engine) frameAt(t time.Time) int64 {
	if !e.anchored {
		e.anchored, e.anchorT, e.anchorFrame = true, t, e.pos+e.latency
	}
	at, ok := e.framesSince(t)
	d := at - e.pos
	sec := int64(e.rate)
	switch {
	case !ok, !e.offline && (d > resyncSecs*sec || d < -resyncSecs*sec):
		// Another clock (a replay with capture times, a jump): follow it.
		e.anchorT, e.anchorFrame = t, e.pos+e.latency
	case e.offline && d > maxGapSecs*sec:
		// A capture that pauses for hours would make hours of silence:
		// shorten long gaps to one second.
		e.anchorT, e.anchorFrame = t, e.pos+sec
	case e.offline && d < -resyncSecs*sec:
		// The capture's clock jumped back: carry on from here.
		e.anchorT, e.anchorFrame = t, e.pos
	default:
		return at
	}
	at, _ = e.framesSince(t)
	return at
}

// framesSince maps t to a frame through the anchor; ok is false when t is
// more than a day away from it (and the arithmetic could overflow).
func (e *Engine) framesSince(t time.Time) (int64, bool) {
	dt := t.Sub(e.anchorT) // saturates instead of overflowing
	if dt > 24*time.Hour || dt < -24*time.Hour {
		return 0, false
	}
	return e.anchorFrame + int64(dt/time.Microsecond)*int64(e.rate)/1e6, true
}

// schedulable clamps a slightly late frame to now; it reports false for an
// event too late to play (dropped, never queued). Called with mu held.
func (e *Engine) schedulable(at int64) (int64, bool) {
	if at >= e.pos {
		return at, true
	}
	if e.pos-at > lateTolerMs*int64(e.rate)/1000 {
		return 0, false
	}
	return e.pos, true
}

// push queues a command. Called with mu held.
func (e *Engine) push(c cmd) bool {
	if e.rlen == ringSize {
		e.dropped++
		return false
	}
	e.ring[(e.rhead+e.rlen)%ringSize] = c
	e.rlen++
	return true
}

// Event schedules the sound of one event by its time. It never blocks on the
// device or on I/O and allocates nothing for packets.
func (e *Engine) Event(ev *event.Event) {
	if ev == nil {
		return
	}
	switch ev.Kind {
	case event.KindPacket, event.KindAlert:
	case event.KindSE, event.KindSound:
		e.fileEvent(ev)
		return
	default:
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.total++
	if ev.Kind == event.KindPacket && ev.Model == "" && !ev.Incident() {
		// A class that is a texture only needs counting, plus now and then a
		// mapped note for its grains to borrow: skip the mapping otherwise.
		if c := ev.Class(); e.textureOn[c] {
			e.counts[c]++
			if e.skip[c]++; e.skip[c]%16 != 0 {
				return
			}
			cue := Map(ev, e.theme)
			e.recent[c][e.recentN[c]%recentSize] = grainSeed{cue.Freq, cue.Pan, cue.Ratio, cue.Gesture}
			e.recentN[c]++
			return
		}
	}
	cue := Map(ev, e.theme)
	if cue.Gesture == GestureNone {
		return
	}
	at := e.frameAt(ev.Time)
	if cue.Gesture.Foreground() {
		// Foreground cues are salient by design: at most one of each kind a
		// second, or a flood of flood records would be a wall of sirens.
		k := int(cue.Gesture - GestureFlood)
		at, ok := e.schedulable(at)
		if !ok || (e.fgLast[k] != 0 && at-e.fgLast[k] < int64(e.rate)) {
			e.dropped++
			return
		}
		e.fgLast[k] = at
		e.push(cmd{kind: cmdFore, at: at, cue: cue})
		return
	}
	c := cue.Class
	e.counts[c]++
	e.recent[c][e.recentN[c]%recentSize] = grainSeed{cue.Freq, cue.Pan, cue.Ratio, cue.Gesture}
	e.recentN[c]++
	// Per-class token bucket on event time: at most Threshold notes a second
	// per class; the rest is heard through the class's texture.
	ns := ev.Time.UnixNano()
	if dt := ns - e.tokenNs[c]; dt > 0 {
		e.tokens[c] = math.Min(noteBurst, e.tokens[c]+float64(dt)/1e9*e.theme.Threshold)
	}
	e.tokenNs[c] = ns
	// And a budget for all classes together, about twice one class's: ten
	// quiet classes must not add up to eighty notes a second. ACK/data, the
	// least telling, leaves the last tokens to the others.
	if dt := ns - e.allNs; dt > 0 {
		e.allTokens = math.Min(2*noteBurst, e.allTokens+float64(dt)/1e9*2*e.theme.Threshold)
	}
	e.allNs = ns
	need := 1.0
	if c%5 == 0 {
		need = 2
	}
	if e.textureOn[c] || e.tokens[c] < 1 || e.allTokens < need {
		return
	}
	at, ok := e.schedulable(at)
	if !ok {
		e.dropped++
		return
	}
	e.tokens[c]--
	e.allTokens--
	e.push(cmd{kind: cmdCue, at: at, cue: cue})
}

// fileEvent handles PACKTERSE and PACKTERSOUND: the file is resolved and
// decoded off the caller's goroutine.
func (e *Engine) fileEvent(ev *event.Event) {
	e.mu.Lock()
	at, _ := e.schedulable(e.frameAt(ev.Time))
	if at < e.pos {
		at = e.pos
	}
	e.total++
	if ev.Kind == event.KindSound && (ev.Millis == 0 || ev.File == "") {
		e.push(cmd{kind: cmdStopSound, at: at})
		e.mu.Unlock()
		return
	}
	e.mu.Unlock()
	k := cmdSE
	if ev.Kind == event.KindSound {
		k = cmdSound
	}
	req := loadReq{kind: k, name: ev.File, at: at, millis: ev.Millis}
	if e.offline { // resolve here, in order
		e.load(req)
		return
	}
	select {
	case e.loads <- req:
	default:
		e.mu.Lock()
		e.dropped++
		e.mu.Unlock()
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
	e.mu.Lock()
	at := max(r.at, e.pos)
	e.push(cmd{kind: r.kind, at: at, clip: c, millis: r.millis})
	e.mu.Unlock()
}

// SetVolume sets the master volume, 0..1.
func (e *Engine) SetVolume(v float64) {
	if math.IsNaN(v) {
		return
	}
	e.mu.Lock()
	e.volume = math.Max(0, math.Min(1, v))
	e.mu.Unlock()
}

// Volume returns the master volume.
func (e *Engine) Volume() float64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.volume
}

// SetMuted mutes or unmutes everything, speech included.
func (e *Engine) SetMuted(m bool) {
	e.mu.Lock()
	e.muted = m
	e.mu.Unlock()
}

// Muted reports whether the output is muted.
func (e *Engine) Muted() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.muted
}

// SetClassMuted mutes one PACKTER flag class (0..9): its notes and texture.
func (e *Engine) SetClassMuted(class int, muted bool) {
	if class < 0 || class > 9 {
		return
	}
	e.mu.Lock()
	e.classMute[class] = muted
	e.mu.Unlock()
}

// Solo plays only one flag class (foreground cues, messages and speech stay);
// -1 clears it.
func (e *Engine) Solo(class int) {
	if class < -1 || class > 9 {
		return
	}
	e.mu.Lock()
	e.solo = class
	e.mu.Unlock()
}

// SetTheme switches to "calm", "alert", or a theme file.
func (e *Engine) SetTheme(name string) error {
	var th *Theme
	e.mu.Lock()
	if ft := e.fileTheme; ft != nil && name == ft.Name {
		th = ft
	}
	e.mu.Unlock()
	if th == nil {
		var err error
		if th, err = e.loadTheme(name); err != nil {
			return err
		}
	}
	fg := e.loadForeground(th)
	e.mu.Lock()
	e.theme, e.fg = th, fg
	e.mu.Unlock()
	return nil
}

// Theme returns the current theme's name.
func (e *Engine) Theme() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.theme.Name
}

// Themes lists the themes SetTheme accepts by name.
func (e *Engine) Themes() []string {
	t := BuiltinThemes()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.fileTheme != nil {
		t = append(t, e.fileTheme.Name)
	}
	return t
}

// Status is one line for the console.
func (e *Engine) Status() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := time.Now()
	if d := now.Sub(e.statTime); d >= 500*time.Millisecond || e.statTime.IsZero() {
		if !e.statTime.IsZero() {
			e.statRate = float64(e.total-e.statTotal) / d.Seconds()
		}
		e.statTotal, e.statTime = e.total, now
	}
	var b strings.Builder
	if e.muted {
		b.WriteString("muted, ")
	}
	rate := e.statRate
	if e.output != "silent" || e.offline {
		rate = e.rateSum // smoother, and right from the first call
	}
	fmt.Fprintf(&b, "volume %d%%, theme %s, %.0f events/s", int(math.Round(e.volume*100)), e.theme.Name, rate)
	var tex []string
	for c, on := range e.textureOn {
		if on {
			tex = append(tex, classNames[c])
		}
	}
	if len(tex) > 0 {
		fmt.Fprintf(&b, ", texture %s", strings.Join(tex, " "))
	}
	if e.solo >= 0 {
		fmt.Fprintf(&b, ", solo %s", classNames[e.solo])
	}
	var m []string
	for c, on := range e.classMute {
		if on {
			m = append(m, classNames[c])
		}
	}
	if len(m) > 0 {
		fmt.Fprintf(&b, ", muted %s", strings.Join(m, " "))
	}
	if e.noDevice {
		b.WriteString(", no sound device")
	}
	if e.output != "" {
		fmt.Fprintf(&b, ", output %s", e.output)
	}
	return b.String()
}

// Dropped counts events dropped as late and cues refused for lack of room.
func (e *Engine) Dropped() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.dropped
}

// Close stops the engine, finishes pending speech, and finalises the WAV file.
func (e *Engine) Close() error {
	e.closeOnce.Do(func() {
		if e.stop != nil {
			e.stop()
		}
		if e.speaker {
			closeSpeaker()
		}
		e.wg.Wait()
		e.rmu.Lock()
		if e.wav != nil {
			e.closeErr = e.wav.finish()
		}
		if e.wavFile != nil {
			if err := e.wavFile.Close(); err != nil && e.closeErr == nil {
				e.closeErr = fmt.Errorf("sonify: wav output: %w", err)
			}
		}
		for _, s := range e.speeches {
			s.finish()
		}
		e.speeches = nil
		e.rmu.Unlock()
		e.mu.Lock()
		e.closed = true
		for _, s := range e.speechQ {
			s.finish()
		}
		e.speechQ = nil
		e.mu.Unlock()
		e.lib.close()
	})
	return e.closeErr
}

// clockDriver renders by the wall clock when there is no sound card to pull
// samples: the WAV file then holds what would have been heard, in time.
func (e *Engine) clockDriver(ctx context.Context, start time.Time) {
	defer e.wg.Done()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			target := int64(now.Sub(start).Seconds() * float64(e.rate))
			e.rmu.Lock()
			for e.rpos < target {
				n := int(min(int64(maxBlock), target-e.rpos))
				e.renderBlock(n)
				if err := e.wav.write(e.out[:2*n]); err != nil {
					e.log.Error("sonify: writing the WAV file failed; it stops here", "err", err)
					e.wav = nil
					e.rmu.Unlock()
					return
				}
			}
			e.rmu.Unlock()
		}
	}
}
