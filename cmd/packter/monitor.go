package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"strings"
	"time"

	"github.com/packter/packter/console"
	"github.com/packter/packter/protocol"
	"github.com/packter/packter/timeline"
	"github.com/packter/packter/viewer"
)

// monitorFlags are the monitor's flags; the demo takes them too.
type monitorFlags struct {
	o          viewer.Options
	listen     multiFlag
	keys       multiFlag
	tcAllowed  multiFlag
	boardFlags string
	verbosity  string
	speak      string
}

func (f *monitorFlags) register(fs *flag.FlagSet) {
	o := &f.o
	fs.Var(&f.listen, "listen", "UDP `ADDR` to listen on (repeatable; default 127.0.0.1:11300)")
	fs.StringVar(&o.Record, "record", "", "append every event to this journal `FILE` (JSON lines, flushed every second)")
	fs.StringVar(&o.Replay, "replay", "", "play a journal `FILE` back")
	fs.Float64Var(&o.Speed, "speed", 1, "replay speed (1 = as recorded, 0 = as fast as possible)")
	fs.BoolVar(&o.NoAudio, "no-audio", false, "do not open the sound card")
	fs.StringVar(&o.WAV, "wav", "", "also write everything heard, speech included, to this WAV `FILE`")
	fs.StringVar(&o.Voice, "voice", "auto", "speech: auto, speechd, espeak-ng, say, sapi or none")
	fs.IntVar(&o.VoiceRate, "voice-rate", 0, "speaking rate in words per minute (0: the voice's default)")
	fs.StringVar(&o.VoiceName, "voice-name", "", "the speech backend's `NAME` for the voice (e.g. en-us for espeak-ng)")
	fs.BoolVar(&o.Accessible, "accessible", false, "linear screen-reader mode (also ACCESSIBLE=1, TERM=dumb, or output not a terminal)")
	fs.StringVar(&f.verbosity, "verbosity", "packets", "what the console says unasked: alerts, summary or packets")
	fs.DurationVar(&o.SummaryEvery, "summary-every", 10*time.Second, "how often a summary is given when something changed")
	fs.StringVar(&f.speak, "speak", "", "'printed': in accessible mode Packter also speaks what it prints")
	fs.DurationVar(&o.TraceTimeout, "trace-timeout", 10*time.Second, "how long to wait for a traceback answer before saying there was none")
	fs.Var(&f.tcAllowed, "trace-client", "traceback client `HOST[:PORT]` off this machine that T may send to (repeatable; loopback is always allowed)")
	fs.BoolVar(&o.Board, "board", false, "also show the visual board (needs a display and packter-board)")
	fs.Var(&f.keys, "key", "agent key `ID=FILE` (repeatable): control messages then need a signature")
	fs.BoolVar(&o.RequireAuth, "require-auth", false, "drop every datagram that is not signed by a known agent")
	fs.StringVar(&o.Sounds, "sounds", "", "`DIR` of sounds that override the built-in ones by name")
	fs.StringVar(&f.boardFlags, "board-flags", "", "extra `FLAGS` for packter-board, space-separated (e.g. \"--vsync=false --size 1600x900\")")
	fs.StringVar(&o.Assets, "assets", "", "`DIR` of pictures and sky textures the board may show (PACKTERMSG, PACKTERSKYDOMETEXTURE)")
	fs.StringVar(&o.Theme, "theme", "calm", "sound theme: calm, alert, or a theme `FILE`")
	fs.IntVar(&o.Capacity, "timeline", timeline.DefaultCapacity, "events kept for rewind")
	fs.DurationVar(&o.Duration, "duration", 0, "stop after this long (0: until interrupted or q)")
	fs.IntVar(&o.TCPort, "tc-port", protocol.TracebackPort, "UDP `port` of traceback clients named without one")
	o.NATS.Register(fs) // --nats URL, --nats-filter, --nats-durable, credentials
	fs.BoolVar(&o.Verbose, "verbose", false, "log more")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a Go CPU profile to `FILE` (for performance reports)")
}

// options checks what the flags cannot and returns the viewer's options.
func (f *monitorFlags) options() (viewer.Options, error) {
	o := f.o
	o.Listen = f.listen
	o.TraceClients = f.tcAllowed
	o.BoardFlags = strings.Fields(f.boardFlags)
	keys, err := parseKeyFlags(f.keys)
	if err != nil {
		return o, err
	}
	if len(keys) > 0 {
		o.Keys = keys
	}
	if o.Verbosity, err = console.ParseVerbosity(f.verbosity); err != nil {
		return o, usageError{err}
	}
	switch f.speak {
	case "":
	case "printed":
		o.SpeakPrinted = true
	default:
		return o, usagef("--speak takes 'printed', not %q", f.speak)
	}
	return o, nil
}

func runMonitor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("monitor", flag.ContinueOnError)
	var f monitorFlags
	f.register(fs)
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
	o.Command = "monitor"
	return usageOf(viewer.Run(ctx, o, stdout, stderr, nil))
}

// usageOf marks the viewer's usage errors for exit status 2.
func usageOf(err error) error {
	if errors.Is(err, viewer.ErrUsage) {
		return usageError{err}
	}
	return err
}
