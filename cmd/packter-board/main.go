// Command packter-board is Packter's visual board: PACKTER's sender and
// receiver boards in perspective with a ball flying across for every record.
// Standalone it is a PACKTER viewer (--listen); `packter monitor --board`
// starts it with --stdin and feeds it the monitor's journal.
//
// It is its own binary because Ebiten opens the display while the program
// starts and cannot be linked into a program that must run without one.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/packter/packter/cmd/packter-board/internal/needdisplay" // before Ebiten starts
	"github.com/packter/packter/protocol"
	"github.com/packter/packter/visual"
)

type options struct {
	listen      string
	stdin       bool
	assets      string
	tcPort      int
	width       int
	height      int
	fly         time.Duration
	maxBalls    int
	history     int
	screenshot  string
	frames      int
	waitRecords uint64
	synthetic   int
	measure     time.Duration
	vsync       bool
}

func parseFlags(args []string) (options, error) {
	o := options{}
	fs := flag.NewFlagSet("packter-board", flag.ContinueOnError)
	// One line for a bad flag (main prints it); --help is answered before
	// Ebiten starts, by package needdisplay.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	size := "1024x640"
	fs.StringVar(&o.listen, "listen", "127.0.0.1:11300", "")
	fs.BoolVar(&o.stdin, "stdin", false, "")
	fs.StringVar(&o.assets, "assets", "", "")
	fs.IntVar(&o.tcPort, "tc-port", protocol.TracebackPort, "")
	fs.StringVar(&size, "size", size, "")
	fs.DurationVar(&o.fly, "fly", visual.DefaultFly, "")
	fs.IntVar(&o.maxBalls, "max-balls", visual.DefaultMaxBalls, "")
	fs.IntVar(&o.history, "history", visual.DefaultHistory, "")
	fs.StringVar(&o.screenshot, "screenshot", "", "")
	fs.IntVar(&o.frames, "frames", 60, "")
	fs.Uint64Var(&o.waitRecords, "wait-records", 0, "")
	fs.IntVar(&o.synthetic, "synthetic", 0, "")
	fs.DurationVar(&o.measure, "measure", 0, "")
	fs.BoolVar(&o.vsync, "vsync", true, "")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	w, h, ok := strings.Cut(size, "x")
	var err1, err2 error
	o.width, err1 = strconv.Atoi(w)
	o.height, err2 = strconv.Atoi(h)
	switch {
	case !ok || err1 != nil || err2 != nil || o.width < 160 || o.height < 120 || o.width > 8192 || o.height > 8192:
		return o, fmt.Errorf("--size %q: want WxH between 160x120 and 8192x8192", size)
	case o.fly <= 0:
		return o, errors.New("--fly must be positive")
	case o.frames < 1:
		return o, errors.New("--frames must be at least 1")
	case o.maxBalls < 1 || o.synthetic < 0:
		return o, errors.New("--max-balls must be positive and --synthetic not negative")
	case o.measure > 0 && o.synthetic == 0:
		return o, errors.New("--measure needs --synthetic N")
	case o.tcPort < 1 || o.tcPort > 65535:
		return o, fmt.Errorf("--tc-port %d out of range", o.tcPort)
	}
	if o.synthetic > o.maxBalls {
		o.maxBalls = o.synthetic
	}
	return o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "packter-board:", err)
		}
		os.Exit(2)
	}
	// Warnings only: the monitor shows the board's stderr as warnings.
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, log); err != nil {
		fmt.Fprintln(os.Stderr, "packter-board:", err)
		os.Exit(1)
	}
}
