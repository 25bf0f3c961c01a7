package sonify

import (
	"context"
	"fmt"
	"io"
	"iter"

	"github.com/packter/packter/event"
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
	opts.Device, opts.WAV = false, ""
	e, err := newEngine(opts)
	if err != nil {
		return err
	}
	defer e.lib.close()
	e.offline = true
	if e.wav, err = newWAVWriter(w, e.rate); err != nil {
		return fmt.Errorf("sonify: render: %w", err)
	}
	return e.renderEvents(ctx, events)
}

// renderEvents is Render's loop, on an engine made offline.
func (e *Engine) renderEvents(ctx context.Context, events iter.Seq[*event.Event]) error {
	e.rmu.Lock()
	defer e.rmu.Unlock()
	i := 0
	for ev := range events {
		if ev == nil {
			continue
		}
		if i++; i%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		e.mu.Lock()
		at := e.frameAt(ev.Time)
		e.mu.Unlock()
		for at >= e.rpos+maxBlock {
			if err := e.renderOffline(maxBlock); err != nil {
				return err
			}
			if e.rpos%(maxBlock*256) == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
		}
		e.Event(ev)
	}
	// Let what sounds ring out.
	for t := 0; t < maxTailSecs*e.rate/maxBlock; t++ {
		if err := e.renderOffline(maxBlock); err != nil {
			return err
		}
		if e.quiet() {
			break
		}
	}
	return e.wav.finish()
}

func (e *Engine) renderOffline(n int) error {
	e.renderBlock(n)
	if err := e.wav.write(e.out[:2*n]); err != nil {
		return fmt.Errorf("sonify: render: %w", err)
	}
	return nil
}

// quiet reports whether nothing sounds or waits to sound. Called with rmu held.
func (e *Engine) quiet() bool {
	e.mu.Lock()
	pending := e.rlen + len(e.speechQ)
	e.mu.Unlock()
	if pending > 0 || len(e.sched) > 0 || len(e.speeches) > 0 || e.bg.kind != voiceFree {
		return false
	}
	for i := range e.voices {
		if e.voices[i].kind != voiceFree {
			return false
		}
	}
	for _, t := range e.tex {
		if t.level > 0 {
			return false
		}
	}
	return true
}
