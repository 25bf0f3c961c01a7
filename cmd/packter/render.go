package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/packter/packter/agent"
	"github.com/packter/packter/render"
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
	res, err := render.Capture(ctx, render.Config{
		Capture: *in, WAV: *out,
		Agent: agent.Config{Input: agent.InputConfig{Filter: strings.Join(fs.Args(), " ")}, Detection: agent.DetectConfig{Spec: *detect},
			Output: agent.OutputConfig{Sample: *sample, FlagBase: *base}, Seed: 1},
		Sound: sonify.Options{SampleRate: *rate, Theme: *theme, SoundsDir: *soundsDir},
	})
	if err != nil {
		return err
	}
	speed := ""
	if res.Took > 0 && res.Span > 0 {
		speed = fmt.Sprintf(" (%.0f× real time)", res.Span.Seconds()/res.Took.Seconds())
	}
	fmt.Fprintf(stdout, "rendered %d records spanning %s into %s in %s%s\n", res.Records, res.Span.Round(time.Millisecond), *out, res.Took.Round(time.Millisecond), speed)
	return nil
}
