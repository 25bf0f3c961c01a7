package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"strings"
	"time"

	"github.com/packter/packter/agent"
	"github.com/packter/packter/event"
	"github.com/packter/packter/protocol"
	"github.com/packter/packter/sonify"
)

// runRender is `packter render -r CAPTURE --wav OUT`: the capture goes through
// the agent's record path (filter, sampling, flood detection) and the monitor's
// sound engine, offline, as fast as the CPU allows; cue onsets follow the
// capture's timestamps.
func runRender(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	in := fs.String("r", "", "capture `FILE` to sonify (pcap or pcapng)")
	out := fs.String("wav", "", "WAV `FILE` to write (16-bit stereo)")
	theme := fs.String("theme", "calm", "sound theme: calm, alert, or a theme `FILE`")
	soundsDir := fs.String("sounds", "", "`DIR` of sound files that override the built-in ones by name")
	rate := fs.Int("rate", 48000, "output sample `rate` in Hz")
	detect := fs.String("detect", "", "flood detection `MODE`, as the agent's --detect: threshold or adaptive (empty: off)")
	sample := fs.Int("R", 0, "random sampling: one packet in `N` on average (0: all)")
	base := fs.Int("f", 0, "flag `base`, as the agent's -f")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *in == "" || *out == "" {
		return usagef("needs -r CAPTURE and --wav OUT")
	}
	cfg := agent.Config{Input: agent.InputConfig{Filter: strings.Join(fs.Args(), " ")}, Detection: agent.DetectConfig{Spec: *detect},
		Output: agent.OutputConfig{Sample: *sample, FlagBase: *base}, Seed: 1}
	f, err := os.Open(*in)
	if err != nil {
		return fmt.Errorf("cannot read the capture: %w", err)
	}
	defer f.Close()
	w, err := os.Create(*out)
	if err != nil {
		return fmt.Errorf("cannot write the WAV file: %w", err)
	}
	started := time.Now()
	var (
		n       int
		first   time.Time
		last    time.Time
		readErr error
	)
	events := func(yield func(*event.Event) bool) {
		var ev event.Event
		readErr = agent.Records(ctx, f, cfg, func(ts time.Time, rec *protocol.Record) error {
			ev = event.FromRecord(ts, rec)
			if n == 0 {
				first = ts
			}
			n++
			last = ts
			if !yield(&ev) {
				return errStopRender
			}
			return nil
		})
	}
	err = sonify.Render(ctx, iter.Seq[*event.Event](events), w, sonify.Options{SampleRate: *rate, Theme: *theme, SoundsDir: *soundsDir})
	if cerr := w.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("cannot write the WAV file: %w", cerr)
	}
	if err == nil && readErr != nil && !errors.Is(readErr, errStopRender) {
		err = fmt.Errorf("reading the capture: %w", readErr)
	}
	if err != nil {
		return err
	}
	took := time.Since(started)
	span := last.Sub(first)
	speed := ""
	if took > 0 && span > 0 {
		speed = fmt.Sprintf(" (%.0f× real time)", span.Seconds()/took.Seconds())
	}
	fmt.Fprintf(stdout, "rendered %d records spanning %s into %s in %s%s\n", n, span.Round(time.Millisecond), *out, took.Round(time.Millisecond), speed)
	return nil
}

var errStopRender = errors.New("render stopped")
