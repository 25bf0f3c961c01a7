package sonify

import (
	"context"
	"fmt"
	"io"
	"iter"

	"github.com/packter/packter/event"
	"github.com/packter/packter/wav"
)

// maxTailSecs bounds how long Render lets sounds ring after the last event.
const maxTailSecs = 10

// Render sonifies events offline into a WAV file, as fast as the CPU allows,
// through the same mapping, density control and mixer as the live engine. Cue
// onsets follow the event times, sample-accurately (the first event is at
// 0 s); events should come in time order (those more than 100 ms out of order
// are dropped), a clock jumping back more than 5 s carries on from where it
// is, and silences longer than a minute shrink to one second.
func Render(ctx context.Context, events iter.Seq[*event.Event], w io.WriteSeeker, opts Options) error {
	e, err := newOffline(opts)
	if err != nil {
		return err
	}
	defer e.lib.close()
	ww, err := wav.NewWriter(w, e.rate, 2)
	if err != nil {
		return fmt.Errorf("sonify: render: %w", err)
	}
	if err := e.renderEvents(ctx, events, ww.Write); err != nil {
		return err
	}
	if err := ww.Close(); err != nil {
		return fmt.Errorf("sonify: render: %w", err)
	}
	return nil
}

// newOffline makes an engine that renders only when renderEvents drives it.
func newOffline(opts Options) (*Engine, error) {
	opts.Device, opts.WAV = false, ""
	e, err := newEngine(opts)
	if err != nil {
		return nil, err
	}
	e.offline, e.in.clk.offline = true, true
	return e, nil
}

// renderEvents is Render's loop: it renders up to each event's frame, hands
// the event to the intake, and lets the sound ring out after the last. out
// receives every block (in the caller's goroutine: offline there is no
// real-time path to protect).
func (e *Engine) renderEvents(ctx context.Context, events iter.Seq[*event.Event], out func([]float32) error) error {
	block := func() error {
		if err := out(e.r.renderBlock(maxBlock)); err != nil {
			return fmt.Errorf("sonify: render: %w", err)
		}
		return nil
	}
	i := 0
	for ev := range events {
		if ev == nil {
			continue
		}
		if i++; i%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		e.in.mu.Lock()
		at := e.in.frame(ev.Time)
		e.in.mu.Unlock()
		for at >= e.r.rpos+maxBlock {
			if err := block(); err != nil {
				return err
			}
			if e.r.rpos%(maxBlock*256) == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
		}
		e.Event(ev)
	}
	// Let what sounds ring out.
	for t := 0; t < maxTailSecs*e.rate/maxBlock; t++ {
		if err := block(); err != nil {
			return err
		}
		if e.r.quiet() {
			break
		}
	}
	return nil
}
