package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/hajimehoshi/ebiten/v2"

	"github.com/packter/packter/cmd/packter-board/internal/opts"
	"github.com/packter/packter/event"
	"github.com/packter/packter/intertrack"
	"github.com/packter/packter/protocol"
	"github.com/packter/packter/timeline"
	"github.com/packter/packter/visual"
	"github.com/packter/packter/visual/feed"
)

// run sets up the feeds and runs the board until the window closes, the
// monitor closes its input, a signal arrives or the screenshot is written.
func run(ctx context.Context, o opts.Options, log *slog.Logger) error {
	assets, err := visual.OpenAssets(o.Assets)
	if err != nil {
		return err
	}
	defer assets.Close()

	budget := o.Budget
	if budget == 0 {
		budget = opts.DefaultBudget // then adapted to the frame rate
	}
	m := visual.New(visual.Config{Fly: o.Fly, MaxBalls: o.MaxBalls, Budget: budget}, o.Width, o.Height)
	g := newGame(ctx, o, m, assets, log)
	g.useGlobe(visual.NewGlobe(visual.Config{Fly: o.Fly, MaxBalls: o.MaxBalls, Budget: budget}, o.Width, o.Height), o.Globe)
	g.trace = func(ctx context.Context, ev *event.Event) error {
		// The host comes from a datagram: T sends only to this machine or to
		// clients the user named, as the console's T does.
		return intertrack.LaunchTrace(ctx, ev, o.TCPort, o.TraceClients...)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := g.startSource(ctx, o, log); err != nil {
		return err
	}

	ebiten.SetWindowTitle("Packter board")
	ebiten.SetWindowSize(o.Width, o.Height)
	ebiten.SetWindowResizingMode(ebiten.WindowResizingModeEnabled)
	// Draw fills the whole screen first: a clear as well would be a second
	// full-screen pass, and a software renderer is bound by fill.
	ebiten.SetScreenClearedEveryFrame(false)
	if !o.Vsync || o.Measure > 0 || o.Screenshot != "" {
		// Measuring counts what the renderer can do; and Xvfb, where tests
		// and screenshots run, has no vertical blank to wait for: with vsync
		// each frame there waits about a second.
		ebiten.SetVsyncEnabled(false)
	}
	if o.Screenshot != "" {
		// One update per frame, and (once counting starts) a clock that
		// moves 1/60 s per update, so frame N shows the scene N/60 s after
		// counting began whatever the frame rate: screenshots are exact.
		ebiten.SetTPS(ebiten.SyncWithFPS)
	}
	if err := ebiten.RunGame(g); err != nil {
		return err
	}
	if g.err != nil {
		return g.err
	}
	if o.Measure > 0 {
		fmt.Println(g.measured)
	}
	return nil
}

// requestWriter sends control requests to the monitor without ever blocking
// the update loop: if the monitor stops reading, requests are dropped.
type requestWriter struct{ ch chan visual.Request }

func newRequestWriter(w io.Writer) *requestWriter {
	r := &requestWriter{ch: make(chan visual.Request, 16)}
	go func() {
		bw := bufio.NewWriter(w)
		var buf []byte
		for req := range r.ch {
			buf = visual.AppendRequest(buf[:0], req)
			if _, err := bw.Write(buf); err != nil {
				return
			}
			if err := bw.Flush(); err != nil {
				return
			}
		}
	}()
	return r
}

func (r *requestWriter) send(req visual.Request) {
	if r == nil {
		return
	}
	select {
	case r.ch <- req:
	default:
	}
}

// startSource feeds the board: synthetic balls, the monitor's feed on stdin,
// or (standalone) PACKTER datagrams on a socket, with its own timeline.
func (g *game) startSource(ctx context.Context, o opts.Options, log *slog.Logger) error {
	switch {
	case o.Synthetic > 0:
		g.synth = newSynth(o.Synthetic, o.Fly)
		g.source = fmt.Sprintf("%d synthetic balls", o.Synthetic)
	case o.Stdin:
		g.source = "fed by the monitor"
		g.requests = newRequestWriter(os.Stdout)
		go func() {
			if err := readFeed(os.Stdin, g.inbox, log); err != nil {
				log.Warn("reading the monitor's feed", "err", err)
			}
			if o.Screenshot == "" {
				g.inputDone.Store(true) // the monitor is gone: so is its board
			}
		}()
	default:
		l, err := protocol.Listen(protocol.ListenConfig{Addr: o.Listen, Logger: log})
		if err != nil {
			return fmt.Errorf("cannot listen on %s: %w", o.Listen, err)
		}
		// Standalone, the board keeps its own timeline and moves its own
		// playhead, exactly as the monitor's views share theirs.
		tl := timeline.New(o.History)
		ph := timeline.NewPlayhead(tl, g.now)
		g.player = timeline.NewPlayer(tl, ph, o.Fly)
		g.control = feed.NewControl(tl, ph, "board")
		g.source = "listening on " + l.Addr().String()
		// Tests and scripts wait for this line before sending.
		fmt.Fprintln(os.Stderr, "packter-board: listening on", l.Addr().String())
		go func() {
			if err := serveUDP(ctx, l, tl, &g.received, log); err != nil && ctx.Err() == nil {
				log.Warn("receiving datagrams", "err", err)
			}
		}()
	}
	return nil
}
