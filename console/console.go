// Package console is Packter's keyboard console: a live list of recent packets,
// counts, messages, traceback and sound status, driven entirely by keys. It runs
// full-screen (bubbletea) on a terminal, or as append-only plain lines for
// screen readers and logs (accessible mode). Both modes share one key table and
// one update loop; data comes from the monitor's timeline by periodic
// snapshots, never one message per packet.
package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/x/term"

	"github.com/packter/packter/event"
	"github.com/packter/packter/speech"
	"github.com/packter/packter/timeline"
)

// Timeline is the part of the monitor's timeline the console reads.
// *timeline.Timeline satisfies it; it must be safe for concurrent readers.
type Timeline interface {
	Bounds() (first, next uint64)
	Get(seq uint64, ev *event.Event) bool
	Recent(dst []event.Event, before uint64, n int) []event.Event
	Search(tm time.Time) uint64
	Counts() timeline.Counts
}

// Sound is the sound engine's control surface.
type Sound interface {
	SetVolume(float64)
	Volume() float64
	SetMuted(bool)
	Muted() bool
	SetClassMuted(class int, muted bool)
	Solo(class int) // -1 clears
	SetTheme(string) error
	Theme() string
	Themes() []string
	Status() string
}

// Speaker says the console's own announcements.
type Speaker interface {
	Say(text string, p speech.Priority)
	Stop()
	Repeat()
}

// Tracer sends a record to the traceback client named in its description
// (PACKTER's `HASH-TCHOST`, UDP 11301). The outcome comes back later as events
// on the timeline.
type Tracer interface {
	Trace(ctx context.Context, ev *event.Event) error
}

// Playhead is the one position every view shows (*timeline.Playhead): the
// console moves it with its rewind keys and follows it when another view
// (the board, a replay) moves it.
type Playhead interface {
	Position() timeline.Position
	Seek(seq uint64, by string)
	GoLive(by string)
	Changed() <-chan struct{}
}

// Config is what Run needs. Timeline is required; a nil Sound, Speaker or
// Tracer means that output is not available and the console says so.
type Config struct {
	Timeline Timeline
	Sound    Sound
	Speech   Speaker
	Tracer   Tracer
	// Status, when set, adds a line about other inputs to the status and
	// to `i` (for example which sites a message bus hears).
	Status func() string
	// Playhead is shared with the other views; nil: the console keeps its own.
	Playhead Playhead

	In  io.Reader // keys; default os.Stdin
	Out io.Writer // default os.Stdout

	// Accessible selects the linear screen-reader mode. Run also switches to
	// it when UseAccessible says so for Out and the environment.
	Accessible bool
	// NoColor turns colour off (NO_COLOR is honoured too).
	NoColor bool
	// Bell rings the terminal bell on alerts in accessible mode.
	Bell bool

	// Verbosity is what the console says unasked (default VerbosityPackets);
	// the v key changes it.
	Verbosity Verbosity
	// SummaryEvery is how often a summary is printed (and, in full-screen
	// mode, spoken), only when something changed (default 10 s).
	SummaryEvery time.Duration
	// SpeakPrinted has Packter speak what accessible mode prints too; by
	// default the screen reader reads the lines and Packter stays quiet.
	SpeakPrinted bool
	// FromStart: the timeline began with this console (the monitor's), so
	// events already on it when the console starts are shown as new rather
	// than taken as history (a fast replay can fill it first).
	FromStart bool
	// TraceTimeout is how long a trace waits for the client's answer before
	// saying there was none (default 10 s).
	TraceTimeout time.Duration

	// Tick is the snapshot period (default 250 ms: at most 4 redraws a
	// second from new data; keys are answered at once).
	Tick time.Duration
	// Now and Getenv are for tests; defaults time.Now and os.Getenv.
	Now    func() time.Time
	Getenv func(string) string
}

// UseAccessible decides the mode: the --accessible flag, ACCESSIBLE=1,
// TERM=dumb, or an output that is not a terminal.
func UseAccessible(flag bool, out io.Writer, getenv func(string) string) bool {
	if getenv == nil {
		getenv = os.Getenv
	}
	if flag || truthy(getenv("ACCESSIBLE")) || getenv("TERM") == "dumb" {
		return true
	}
	return !isTerminal(out)
}

// NoColorEnv reports whether NO_COLOR asks for no colour (any non-empty value).
func NoColorEnv(getenv func(string) string) bool {
	if getenv == nil {
		getenv = os.Getenv
	}
	return getenv("NO_COLOR") != ""
}

func truthy(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

func isTerminal(v any) bool {
	f, ok := v.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(f.Fd())
}

const (
	defaultTick         = 250 * time.Millisecond
	minTick             = 100 * time.Millisecond // ≤ 10 snapshots per second
	defaultSummaryEvery = 10 * time.Second
	defaultTraceTimeout = 10 * time.Second
)

// Verbosity is what the console says without being asked.
type Verbosity string

const (
	// VerbosityAlerts: messages, alerts, floods and traces only.
	VerbosityAlerts Verbosity = "alerts"
	// VerbositySummary adds a summary every Config.SummaryEvery.
	VerbositySummary Verbosity = "summary"
	// VerbosityPackets adds, in accessible mode, a line per packet while they
	// are few enough to read (three a second).
	VerbosityPackets Verbosity = "packets"
)

// Verbosities lists the levels in the order the v key steps through them.
var Verbosities = []Verbosity{VerbosityAlerts, VerbositySummary, VerbosityPackets}

// ParseVerbosity reads a --verbosity flag.
func ParseVerbosity(s string) (Verbosity, error) {
	for _, v := range Verbosities {
		if strings.EqualFold(s, string(v)) {
			return v, nil
		}
	}
	return "", fmt.Errorf("console: verbosity %q: want alerts, summary or packets", s)
}

// Run shows the console until the user quits or ctx ends (both return nil).
func Run(ctx context.Context, cfg Config) error {
	if cfg.Timeline == nil {
		return errors.New("console: no timeline")
	}
	if cfg.In == nil {
		cfg.In = os.Stdin
	}
	if cfg.Out == nil {
		cfg.Out = os.Stdout
	}
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Tick == 0 {
		cfg.Tick = defaultTick
	}
	if cfg.Tick < minTick {
		cfg.Tick = minTick
	}
	if cfg.Verbosity == "" {
		cfg.Verbosity = VerbosityPackets
	}
	if _, err := ParseVerbosity(string(cfg.Verbosity)); err != nil {
		return err
	}
	if cfg.SummaryEvery <= 0 {
		cfg.SummaryEvery = defaultSummaryEvery
	}
	if cfg.TraceTimeout <= 0 {
		cfg.TraceTimeout = defaultTraceTimeout
	}
	if cfg.Playhead == nil {
		cfg.Playhead = newPlayhead(cfg.Timeline, cfg.Now)
	}
	cfg.NoColor = cfg.NoColor || NoColorEnv(cfg.Getenv)
	cfg.Accessible = UseAccessible(cfg.Accessible, cfg.Out, cfg.Getenv)
	return run(ctx, cfg)
}
