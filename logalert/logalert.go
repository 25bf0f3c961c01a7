// Package logalert is the monitor's log: a slog.Handler that writes plain
// lines, and a monitor source that turns warnings into alert events, so that
// under a full-screen console (where lines printed would tear the screen) the
// operator still sees and hears what went wrong; the held lines are printed
// once the screen is gone.
//
// Values come from anywhere, the network included: they are quoted when they
// hold anything but printable text, so a log line never carries a terminal
// control sequence.
package logalert

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/packter/packter/event"
	"github.com/packter/packter/monitor"
)

// Sink is the handler and, through Source, the alert input.
type Sink struct {
	w      io.Writer
	hold   bool
	level  slog.Level
	prefix string
	attrs  []slog.Attr
	sh     *shared
}

type shared struct {
	mu     sync.Mutex
	kept   []string
	alerts chan string
	held   bool
}

const (
	maxKept   = 200
	alertsBuf = 64
)

// New writes "prefix: message key=value…" lines to w at level and above.
// With hold, lines are kept (up to 200) instead of written, until Release.
func New(w io.Writer, prefix string, hold bool, level slog.Level) *Sink {
	return &Sink{w: w, hold: hold, level: level, prefix: prefix, sh: &shared{alerts: make(chan string, alertsBuf), held: hold}}
}

// Enabled reports whether lv is logged.
func (l *Sink) Enabled(_ context.Context, lv slog.Level) bool { return lv >= l.level }

// Handle formats and writes, or holds, one record; warnings and errors also
// become alerts (dropped when the monitor is already flooded with them).
func (l *Sink) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(printable(r.Message))
	add := func(a slog.Attr) bool {
		b.WriteByte(' ')
		b.WriteString(a.Key)
		b.WriteByte('=')
		b.WriteString(quote(a.Value.Resolve().String()))
		return true
	}
	for _, a := range l.attrs {
		add(a)
	}
	r.Attrs(add)
	line := b.String()
	s := l.sh
	s.mu.Lock()
	held := s.held
	if held && len(s.kept) < maxKept {
		s.kept = append(s.kept, line)
	}
	s.mu.Unlock()
	if r.Level >= slog.LevelWarn && l.hold {
		select {
		case s.alerts <- line:
		default:
		}
	}
	if !held {
		_, err := io.WriteString(l.w, l.prefix+": "+line+"\n")
		return err
	}
	return nil
}

// WithAttrs returns a handler adding as to every line.
func (l *Sink) WithAttrs(as []slog.Attr) slog.Handler {
	c := *l
	c.attrs = append(append([]slog.Attr(nil), l.attrs...), as...)
	return &c
}

// WithGroup is not used by Packter; groups are flattened.
func (l *Sink) WithGroup(string) slog.Handler { return l }

// WithLevel is the same sink passing only records at level or above.
func (l *Sink) WithLevel(level slog.Level) *Sink {
	c := *l
	c.level = level
	return &c
}

// Release prints the lines held so far and writes directly from now on.
func (l *Sink) Release() {
	s := l.sh
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, line := range s.kept {
		io.WriteString(l.w, l.prefix+": "+line+"\n")
	}
	s.kept, s.held = nil, false
}

// Source delivers held warnings as alert events.
type Source struct{ s *Sink }

// Source is the monitor input of this sink's warnings.
func (l *Sink) Source() Source { return Source{l} }

// Run delivers alerts until ctx ends.
func (src Source) Run(ctx context.Context, in monitor.Intake) error {
	evs := make([]event.Event, 1)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case text := <-src.s.sh.alerts:
			evs[0] = event.Event{Time: time.Now(), Kind: event.KindAlert, Text: event.CleanText(text, event.MaxText)}
			in.Events(evs)
		}
	}
}

// quote leaves plain words as they are and quotes anything else.
func quote(s string) string {
	if s == "" {
		return `""`
	}
	for _, r := range s {
		if r == ' ' || r == '"' || r == '=' || !unicode.IsPrint(r) {
			return strconv.QuoteToGraphic(s)
		}
	}
	return s
}

// printable shows a message's control characters escaped.
func printable(s string) string {
	for _, r := range s {
		if !unicode.IsPrint(r) && r != ' ' {
			q := strconv.QuoteToGraphic(s)
			return q[1 : len(q)-1]
		}
	}
	return s
}
