package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/packter/packter/intertrack"
	"github.com/packter/packter/protocol"
)

// runTC is `packter tc`: PACKTER_TC, the traceback client.
func runTC(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tc", flag.ContinueOnError)
	listen := fs.String("listen", fmt.Sprintf("127.0.0.1:%d", protocol.TracebackPort), "UDP `ADDR` where viewers send the selected record")
	dp := fs.String("dp", fmt.Sprintf("127.0.0.1:%d", intertrack.DefaultDPPort), "decision point `HOST[:PORT]` (TCP, port 9005 by default)")
	viewer := fs.String("viewer", fmt.Sprintf("127.0.0.1:%d", protocol.ViewerPort), "monitor `HOST[:PORT]` the outcomes are reported to (UDP, port 11300 by default)")
	config := fs.String("config", "", "PACKTER's packter.conf `FILE`: its IPTB_* keys set the messages, sounds and voices")
	ackTimeout := fs.Duration("ack-timeout", 5*time.Second, "how long to wait for the decision point to accept a request")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for the trace result once accepted")
	_ = fs.Bool("sound", true, "accepted for PACKTER_TC compatibility: sounds and voices are always sent")
	verbose := fs.Bool("verbose", false, "log every request and outcome")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	return intertrack.RunTC(ctx, intertrack.TCConfig{
		Listen: *listen, DP: *dp, Viewer: *viewer, ConfigFile: *config,
		AckTimeout: *ackTimeout, ReplyTimeout: *timeout,
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
	})
}
