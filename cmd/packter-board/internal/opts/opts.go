// Package opts holds packter-board's flags. Package needdisplay parses them
// before Ebiten opens the display, so a bad flag exits 2 with its reason even
// where there is no display; main parses them again (Parse is pure).
//
// It imports only the standard library's flag, text and time packages, which
// Ebiten's UI package depends on too, so importing it from needdisplay keeps
// that package's init ahead of Ebiten's (see needdisplay).
package opts

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Defaults, equal to package visual's and protocol's (a test checks): this
// package must not import them.
const (
	DefaultFly      = 3 * time.Second
	DefaultMaxBalls = 200_000
	DefaultBudget   = 15_000 // a software renderer draws this many at 30 FPS; raised while frames come easily
	DefaultHistory  = 1_000_000
	TracebackPort   = 11301
)

// Options are packter-board's flags.
type Options struct {
	Listen string
	Stdin  bool
	Assets string
	TCPort int
	// TraceClients (--trace-client, repeatable) are traceback clients off
	// this machine that T may send to; loopback is always allowed.
	TraceClients []string
	Width        int
	Height       int
	Fly          time.Duration
	MaxBalls     int
	Budget       int // balls drawn one by one; 0: adapt to the frame rate
	History      int // standalone: events kept for rewind
	Screenshot   string
	Frames       int
	WaitRecords  uint64
	Synthetic    int
	Measure      time.Duration
	Vsync        bool
	Readout      bool // start with the FPS readout shown (and print it on stderr)
	Globe        bool // start on the globe view (G switches)
	Debug        bool // -d: debug log and the X library's own messages on stderr
}

// Parse reads args (without the program name).
func Parse(args []string) (Options, error) {
	o := Options{}
	fs := flag.NewFlagSet("packter-board", flag.ContinueOnError)
	// One line for a bad flag (the caller prints it); --help is answered
	// by package needdisplay.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	size := "1024x640"
	fs.StringVar(&o.Listen, "listen", "127.0.0.1:11300", "")
	fs.BoolVar(&o.Stdin, "stdin", false, "")
	fs.StringVar(&o.Assets, "assets", "", "")
	fs.IntVar(&o.TCPort, "tc-port", TracebackPort, "")
	fs.Func("trace-client", "", func(v string) error { o.TraceClients = append(o.TraceClients, v); return nil })
	fs.StringVar(&size, "size", size, "")
	fs.DurationVar(&o.Fly, "fly", DefaultFly, "")
	fs.IntVar(&o.MaxBalls, "max-balls", DefaultMaxBalls, "")
	fs.IntVar(&o.Budget, "budget", 0, "")
	fs.IntVar(&o.History, "history", DefaultHistory, "")
	fs.StringVar(&o.Screenshot, "screenshot", "", "")
	fs.IntVar(&o.Frames, "frames", 60, "")
	fs.Uint64Var(&o.WaitRecords, "wait-records", 0, "")
	fs.IntVar(&o.Synthetic, "synthetic", 0, "")
	fs.DurationVar(&o.Measure, "measure", 0, "")
	fs.BoolVar(&o.Vsync, "vsync", true, "")
	fs.BoolVar(&o.Readout, "readout", false, "")
	fs.BoolVar(&o.Globe, "globe", false, "")
	fs.BoolVar(&o.Debug, "d", false, "")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	w, h, ok := strings.Cut(size, "x")
	var err1, err2 error
	o.Width, err1 = strconv.Atoi(w)
	o.Height, err2 = strconv.Atoi(h)
	switch {
	case !ok || err1 != nil || err2 != nil || o.Width < 160 || o.Height < 120 || o.Width > 8192 || o.Height > 8192:
		return o, fmt.Errorf("--size %q: want WxH between 160x120 and 8192x8192", size)
	case o.Fly <= 0:
		return o, errors.New("--fly must be positive")
	case o.Frames < 1:
		return o, errors.New("--frames must be at least 1")
	case o.MaxBalls < 1 || o.Synthetic < 0 || o.Budget < 0 || o.History < 1:
		return o, errors.New("--max-balls and --history must be positive, --synthetic and --budget not negative")
	case o.Measure > 0 && o.Synthetic == 0:
		return o, errors.New("--measure needs --synthetic N")
	case o.TCPort < 1 || o.TCPort > 65535:
		return o, fmt.Errorf("--tc-port %d out of range", o.TCPort)
	}
	if o.Synthetic > o.MaxBalls {
		o.MaxBalls = o.Synthetic
	}
	return o, nil
}
