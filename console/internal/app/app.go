// Package app is the console on synthetic events with fake outputs: the
// program the terminal tests drive, and a way to try the console.
package app

import (
	"context"
	"flag"
	"io"
	"time"

	"github.com/packter/packter/console"
	"github.com/packter/packter/console/consoletest"
	"github.com/packter/packter/event"
	"github.com/packter/packter/timeline"
)

// App runs the console on a timeline fed with synthetic events and fakes of
// sound, speech and trace. It is the program the terminal tests drive and a
// way to try the console: go run ./console/internal/testapp.
func App(ctx context.Context, args []string, in io.Reader, out io.Writer) error {
	fs := flag.NewFlagSet("testapp", flag.ContinueOnError)
	preload := fs.Int("preload", 20, "events on the timeline at start")
	rate := fs.Int("rate", 0, "synthetic events per second after start")
	accessible := fs.Bool("accessible", false, "accessible mode")
	fixed := fs.Bool("fixed-clock", false, "use a fixed clock (ages stay put)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tl := timeline.New(1 << 20)
	now := time.Now
	start := time.Now().Add(-time.Duration(*preload) * time.Second)
	if *fixed {
		now = func() time.Time { return consoletest.Base.Add(time.Duration(*preload) * time.Second) }
		start = consoletest.Base
	}
	for i := 0; i < *preload; i++ {
		ev := consoletest.Synthetic(i, start.Add(time.Duration(i)*time.Second))
		tl.Append(&ev)
	}
	if *rate > 0 {
		go Feed(ctx, tl, *preload, *rate, time.Now)
	}
	return console.Run(ctx, console.Config{
		Timeline:   tl,
		Sound:      consoletest.NewSound(),
		Speech:     &consoletest.Speech{},
		Tracer:     &consoletest.Tracer{TL: tl, Now: now},
		In:         in,
		Out:        out,
		Accessible: *accessible,
		Bell:       true,
		Now:        now,
	})
}

// Feed appends synthetic events at about rate per second, in batches every
// millisecond, until ctx ends.
func Feed(ctx context.Context, tl *timeline.Timeline, from, rate int, now func() time.Time) {
	tk := time.NewTicker(time.Millisecond)
	defer tk.Stop()
	pre := make([]event.Event, 4096)
	for j := range pre {
		pre[j] = consoletest.Synthetic(from+j, time.Time{})
	}
	start := time.Now()
	i := from
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		due := from + int(time.Since(start).Seconds()*float64(rate))
		t := now()
		for ; i < due; i++ {
			ev := &pre[(i-from)%len(pre)]
			ev.Time = t
			tl.Append(ev)
		}
	}
}
