package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/packter/packter/bus"
	"github.com/packter/packter/protocol"
)

// runRelay is `packter relay`: PACKTER 2.5/3.0 agents send UDP to it as to a
// viewer, and their datagrams go on to NATS JetStream unchanged.
func runRelay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("relay", flag.ContinueOnError)
	listen := fs.String("listen", fmt.Sprintf("127.0.0.1:%d", protocol.ViewerPort), "UDP `ADDR` PACKTER agents send to")
	site := fs.String("site", "", "this site's `NAME` in subjects packter.<site>.<agent> (default: the host name)")
	var o bus.ClientOptions
	o.Register(fs, "NATS server `URL[,URL…]` to publish to (required)")
	verbose := fs.Bool("verbose", false, "log more")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if err := o.Check(); err != nil {
		return usageError{err}
	}
	if *site == "" {
		*site, _ = os.Hostname()
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	o.Logger, o.Name = log, "packter relay "+*site
	nc, err := bus.Connect(ctx, o)
	if err != nil {
		return err
	}
	defer nc.Close()
	p, err := bus.NewPublisher(nc, bus.PublisherConfig{Logger: log})
	if err != nil {
		return err
	}
	r, err := bus.NewRelay(p, bus.RelayConfig{Listen: *listen, Site: *site, Logger: log})
	if err != nil {
		p.Close(0)
		return err
	}
	fmt.Fprintf(stderr, "packter relay: listening on UDP %s, publishing to packter.%s.<agent>\n", r.Addr(), bus.Token(*site))
	err = r.Run(ctx)
	if cerr := p.Close(5 * time.Second); cerr != nil {
		log.Warn("relay: closing", "err", cerr)
	}
	st, ls := p.Stats(), r.Stats()
	fmt.Fprintf(stderr, "packter relay: %d datagrams received, %d published, %d lost, %d dropped before publishing\n",
		ls.Datagrams, st.Messages, st.Lost, ls.Dropped+ls.KernelDropped)
	if ctx.Err() != nil {
		return nil
	}
	return err
}
