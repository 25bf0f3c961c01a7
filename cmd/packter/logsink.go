package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/monitor"
)

// logSink is the monitor's slog handler. In accessible mode (or before a
// screen exists) it writes plain lines to stderr. Under the full-screen console
// it keeps the lines (bounded), turns them into alert events the console shows,
// and prints them again when the screen closes.
type logSink struct {
	w      io.Writer
	hold   bool
	level  slog.Level
	attrs  []slog.Attr
	shared *logShared
}

type logShared struct {
	mu    sync.Mutex
	kept  []string
	event chan string
}

const maxKeptLogs = 200

func newLogSink(w io.Writer, hold bool, level slog.Level) *logSink {
	return &logSink{w: w, hold: hold, level: level, shared: &logShared{event: make(chan string, 64)}}
}

// attach starts turning log lines into events of mon. The hand-off goes through
// a channel: the monitor may be logging while it holds its own lock.
func (l *logSink) attach(mon *monitor.Monitor) {
	go func() {
		for text := range l.shared.event {
			mon.Inject(&event.Event{Time: time.Now(), Kind: event.KindAlert, Text: text})
		}
	}()
}

func (l *logSink) Enabled(_ context.Context, lv slog.Level) bool { return lv >= l.level }

func (l *logSink) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	add := func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	}
	for _, a := range l.attrs {
		add(a)
	}
	r.Attrs(add)
	line := b.String()
	if !l.hold {
		_, err := fmt.Fprintf(l.w, "packter: %s\n", line)
		return err
	}
	s := l.shared
	s.mu.Lock()
	if len(s.kept) < maxKeptLogs {
		s.kept = append(s.kept, line)
	}
	s.mu.Unlock()
	if r.Level >= slog.LevelWarn {
		select {
		case s.event <- line:
		default: // the console is flooded with these already
		}
	}
	return nil
}

func (l *logSink) WithAttrs(as []slog.Attr) slog.Handler {
	c := *l
	c.attrs = append(append([]slog.Attr(nil), l.attrs...), as...)
	return &c
}

func (l *logSink) WithGroup(string) slog.Handler { return l }

// WithLevel is the same sink, passing only records at level or above.
func (l *logSink) WithLevel(level slog.Level) slog.Handler {
	c := *l
	c.level = level
	return &c
}

// replay prints the lines kept while the screen was up.
func (l *logSink) replay() {
	s := l.shared
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, line := range s.kept {
		fmt.Fprintf(l.w, "packter: %s\n", line)
	}
	s.kept = nil
}
