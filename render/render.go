// Package render sonifies a capture offline, faster than real time: the
// packets go through the agent's record path (filter, sampling, flood
// detection) and the monitor's sound engine, with cue onsets following the
// capture's timestamps.
package render

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"time"

	"github.com/packter/packter/agent"
	"github.com/packter/packter/event"
	"github.com/packter/packter/internal/safefile"
	"github.com/packter/packter/protocol"
	"github.com/packter/packter/sonify"
)

// Config is one rendering.
type Config struct {
	Capture string // pcap or pcapng
	WAV     string // output, 16-bit stereo
	Agent   agent.Config
	Sound   sonify.Options
}

// Result says what was rendered.
type Result struct {
	Records int
	Span    time.Duration // capture time covered
	Took    time.Duration
}

var errStop = errors.New("render stopped")

// Capture renders c.Capture into c.WAV.
func Capture(ctx context.Context, c Config) (Result, error) {
	started := time.Now()
	f, err := safefile.Open(c.Capture)
	if err != nil {
		return Result{}, fmt.Errorf("cannot read the capture: %w", err)
	}
	defer f.Close()
	w, err := os.Create(c.WAV)
	if err != nil {
		return Result{}, fmt.Errorf("cannot write the WAV file: %w", err)
	}
	var (
		res         Result
		first, last time.Time
		readErr     error
	)
	events := func(yield func(*event.Event) bool) {
		var ev event.Event
		readErr = agent.Records(ctx, f, c.Agent, func(ts time.Time, rec *protocol.Record) error {
			ev = event.FromRecord(ts, rec)
			if res.Records == 0 {
				first = ts
			}
			res.Records++
			last = ts
			if !yield(&ev) {
				return errStop
			}
			return nil
		})
	}
	err = sonify.Render(ctx, iter.Seq[*event.Event](events), w, c.Sound)
	if cerr := w.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("cannot write the WAV file: %w", cerr)
	}
	if err == nil && readErr != nil && !errors.Is(readErr, errStop) {
		err = fmt.Errorf("reading the capture: %w", readErr)
	}
	res.Span, res.Took = last.Sub(first), time.Since(started)
	return res, err
}
