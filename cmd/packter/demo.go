package main

import (
	"context"
	"flag"
	"io"

	"github.com/packter/packter/demo"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	var f monitorFlags
	f.register(fs)
	stay := fs.Bool("stay", false, "keep running after the sample ends (until q or interrupted)")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	o, err := f.options()
	if err != nil {
		return err
	}
	// In the demo --speed paces the sample (1 = as captured).
	pace := o.Speed
	o.Speed = 1
	return usageOf(demo.Run(ctx, demo.Options{Viewer: o, Pace: pace, Stay: *stay}, stdout, stderr))
}
