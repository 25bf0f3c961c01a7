package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/packter/packter/bus"
	"github.com/packter/packter/bus/hub"
)

// runHub is `packter hub`: an embedded NATS server with JetStream and the
// PACKTER stream, so one machine needs nothing else; with --routes, a node of
// a cluster. With --stream-only it only creates the stream on --nats servers
// (an existing cluster) and exits.
func runHub(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hub", flag.ContinueOnError)
	var cfg hub.Config
	fs.StringVar(&cfg.Listen, "listen", "127.0.0.1:4222", "client `ADDR` (loopback by default: other machines need an address of this host)")
	fs.StringVar(&cfg.DataDir, "data", defaultDataDir(), "`DIR` for the stream's file store")
	fs.StringVar(&cfg.Name, "name", "", "this server's `NAME`, unique and stable in a cluster (default: the host name)")
	fs.StringVar(&cfg.ClusterListen, "cluster", "", "cluster `ADDR` other nodes route to (e.g. 0.0.0.0:6222; default 127.0.0.1:6222 with --routes)")
	fs.StringVar(&cfg.ClusterName, "cluster-name", "packter", "cluster `NAME`, the same on every node")
	fs.Func("routes", "other nodes' cluster `HOST:PORT[,…]` (repeatable); listing this node too is fine", func(s string) error {
		cfg.Routes = append(cfg.Routes, s)
		return nil
	})
	fs.StringVar(&cfg.ConfigFile, "config", "", "a nats-server configuration `FILE` (accounts, per-site permissions, TLS); flags override it")
	fs.StringVar(&cfg.User, "user", "", "clients must log in as `NAME` (with --password)")
	fs.StringVar(&cfg.Password, "password", "", "the `PASSWORD` for --user (visible to ps: prefer --config)")
	fs.StringVar(&cfg.Cert, "tls-cert", "", "server certificate `FILE`: clients connect with TLS")
	fs.StringVar(&cfg.Key, "tls-key", "", "server key `FILE` for --tls-cert")
	fs.StringVar(&cfg.CA, "tls-ca", "", "verify client certificates against the CA in `FILE` (mutual TLS)")
	var sc bus.StreamConfig
	fs.IntVar(&sc.Replicas, "replicas", 1, "copies of the stream (3 in a three-node cluster)")
	fs.DurationVar(&sc.MaxAge, "max-age", 24*time.Hour, "history kept")
	maxBytes := fs.Int64("max-bytes", 10<<30, "history size limit in `BYTES`")
	streamOnly := fs.Bool("stream-only", false, "create or update the stream on the --nats servers and exit (an existing NATS cluster)")
	var o bus.ClientOptions
	o.Register(fs, "with --stream-only: the NATS servers `URL[,URL…]`")
	verbose := fs.Bool("verbose", false, "log the server's notices")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	sc.MaxBytes = *maxBytes
	if sc.Replicas < 1 || sc.Replicas > 5 {
		return usagef("--replicas must be 1 to 5")
	}
	if (cfg.User == "") != (cfg.Password == "") {
		return usagef("--user and --password go together")
	}
	if (cfg.Cert == "") != (cfg.Key == "") {
		return usagef("--tls-cert and --tls-key go together")
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if *streamOnly {
		if err := o.Check(); err != nil {
			return usageError{err}
		}
		return ensureStream(ctx, o, sc, stderr)
	}
	cfg.Logger = log
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	h, err := hub.Start(cfg)
	if err != nil {
		return err
	}
	defer h.Shutdown()
	// Said at once, before the stream: with chosen ports (0) this is how
	// the other nodes of a cluster learn where to route, and a node waits
	// for them before the stream can be made.
	fmt.Fprintf(stderr, "packter hub: listening for clients at %s", h.ClientURL())
	if u := h.ClusterURL(); u != "" {
		fmt.Fprintf(stderr, ", for other nodes at %s", u)
	}
	fmt.Fprintln(stderr)
	o.URLs, o.User, o.Password = h.ClientURL(), cfg.User, cfg.Password
	if err := ensureStream(ctx, o, sc, stderr); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "packter hub: NATS with JetStream at %s (data in %s)", h.ClientURL(), cfg.DataDir)
	if u := h.ClusterURL(); u != "" {
		fmt.Fprintf(stderr, ", cluster %s", u)
	}
	fmt.Fprintln(stderr)
	<-ctx.Done()
	return nil
}

// ensureStream creates the stream, waiting for a cluster to elect its
// JetStream leader (a node started alone waits for its peers).
func ensureStream(ctx context.Context, o bus.ClientOptions, sc bus.StreamConfig, stderr io.Writer) error {
	o.Name = "packter hub"
	nc, err := bus.Connect(ctx, o)
	if err != nil {
		return err
	}
	defer nc.Close()
	said := false
	for {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := bus.EnsureStream(actx, nc, sc)
		cancel()
		if err == nil {
			fmt.Fprintf(stderr, "packter hub: stream %s ready (%d replicas)\n", bus.StreamName, sc.Replicas)
			return nil
		}
		if !said {
			fmt.Fprintf(stderr, "packter hub: waiting for the cluster to make the stream: %v\n", err)
			said = true
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func defaultDataDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "packter", "hub")
	}
	return filepath.Join(os.TempDir(), "packter-hub")
}
