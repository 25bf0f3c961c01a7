// Command packter hears the network: agents capture traffic and send PACKTER
// datagrams; the monitor turns them into sound, speech, a console and a board.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"demo", "play the bundled sample through agent, monitor and traceback: the main job", runDemo},
		{"monitor", "listen for PACKTER datagrams and turn them into sound, speech, console and board", runMonitor},
		{"agent", "capture traffic and send PACKTER datagrams (flags as PACKTER's pt_agent)", runAgent},
		{"send", "generate synthetic PACKTER traffic for trying things out and load tests", runSend},
		{"render", "sonify a capture into a WAV file, faster than real time", runRender},
		{"tc", "traceback client (PACKTER_TC): turns a selected record into an InterTrack request", runTC},
		{"dp", "InterTrack decision point answering traceback requests from agents' digests", runDP},
		{"relay", "publish PACKTER agents' UDP datagrams to NATS JetStream, unchanged", runRelay},
		{"hub", "embedded NATS server with JetStream for one machine or a cluster", runHub},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: packter COMMAND [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\n'packter COMMAND --help' shows a command's flags.")
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run returns the exit status: 0 done, 1 failed, 2 bad usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case isUsage(err):
			fmt.Fprintf(stderr, "packter %s: %v\n", c.name, err)
			return 2
		case errors.Is(err, context.Canceled) && ctx.Err() != nil:
			return 0 // interrupted: a clean end
		default:
			fmt.Fprintf(stderr, "packter %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "packter: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

// usageError marks an error as the user's words being off (exit status 2).
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

func isUsage(err error) bool {
	var u usageError
	return errors.As(err, &u)
}

// parseFlags parses args into fs: --help prints the flags on stdout; a bad
// flag becomes a one-line usage error (exit status 2).
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		fmt.Fprintf(stdout, "usage: packter %s [flags]\n", fs.Name())
		fs.PrintDefaults()
		return err
	}
	if err != nil {
		return usageError{err}
	}
	return nil
}
