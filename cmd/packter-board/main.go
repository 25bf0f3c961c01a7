// Command packter-board is Packter's visual board: PACKTER's sender and
// receiver boards in perspective with a ball flying across for every record.
// Standalone it is a PACKTER viewer (--listen) with its own timeline;
// `packter monitor --board` starts it with --stdin and feeds it the monitor's
// timeline (package visual/feed).
//
// It is its own binary because Ebiten opens the display while the program
// starts and cannot be linked into a program that must run without one.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	// Before Ebiten starts: checks the flags, then the display.
	_ "github.com/packter/packter/cmd/packter-board/internal/needdisplay"

	"github.com/packter/packter/cmd/packter-board/internal/opts"
)

func main() {
	o, err := opts.Parse(os.Args[1:]) // already checked by needdisplay
	if err != nil {
		fmt.Fprintln(os.Stderr, "packter-board:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, statusLogger(os.Stderr, o.Debug)); err != nil {
		fmt.Fprintln(os.Stderr, "packter-board:", err)
		os.Exit(1)
	}
}

// statusLogger writes the board's own messages as "status: …" lines, which
// the monitor's feed logs as information, never as alerts.
func statusLogger(w io.Writer, debug bool) *slog.Logger {
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(prefixWriter{w: w, prefix: []byte("status: ")}, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{} // the monitor stamps its own log
			}
			return a
		},
	}))
}

// prefixWriter prefixes each Write (slog's handlers write one record per
// call) with prefix.
type prefixWriter struct {
	w      io.Writer
	prefix []byte
}

func (p prefixWriter) Write(b []byte) (int, error) {
	if _, err := p.w.Write(append(p.prefix[:len(p.prefix):len(p.prefix)], b...)); err != nil {
		return 0, err
	}
	return len(b), nil
}
