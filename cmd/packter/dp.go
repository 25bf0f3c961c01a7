package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/packter/packter/bus"
	"github.com/packter/packter/intertrack"
)

// runDP is `packter dp`: an InterTrack decision point over the agents' digests.
func runDP(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dp", flag.ContinueOnError)
	listen := fs.String("listen", fmt.Sprintf("127.0.0.1:%d", intertrack.DefaultDPPort), "TCP `ADDR` traceback clients connect to")
	home := fs.Uint("home", 0, "the `ASN` the monitor sits in, where traces start (required)")
	agents := map[uint32]string{}
	fs.Func("agent", "an agent's digest server, `ASN=HOST:PORT` (repeatable; one for --home at least)", func(s string) error {
		a, addr, ok := strings.Cut(s, "=")
		n, err := parseASN(a)
		if !ok || err != nil || addr == "" {
			return fmt.Errorf("want ASN=HOST:PORT, got %q", s)
		}
		agents[n] = addr
		return nil
	})
	var links [][2]uint32
	fs.Func("link", "two adjacent ASes, `ASN:ASN` (repeatable)", func(s string) error {
		a, b, ok := strings.Cut(s, ":")
		x, err1 := parseASN(a)
		y, err2 := parseASN(b)
		if !ok || err1 != nil || err2 != nil || x == y {
			return fmt.Errorf("want ASN:ASN with two different ASes, got %q", s)
		}
		links = append(links, [2]uint32{x, y})
		return nil
	})
	timeout := fs.Duration("timeout", 2*time.Second, "how long to wait for the agents' answers")
	var nopts bus.ClientOptions
	nopts.Register(fs, "NATS `URL[,URL…]` for agents named nats:ASN (their digests over request/reply, across sites)")
	verbose := fs.Bool("verbose", false, "log every trace")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if *home == 0 || *home > 1<<32-1 {
		return usagef("--home ASN is required (the AS the monitor sits in)")
	}
	if _, ok := agents[uint32(*home)]; !ok {
		return usagef("no --agent for the home AS %d", *home)
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	cfg := intertrack.DPConfig{Listen: *listen, Agents: agents, Links: links, Home: uint32(*home), QueryTimeout: *timeout, Logger: log}
	if nopts.URLs != "" {
		if err := nopts.Check(); err != nil {
			return usageError{err}
		}
		nopts.Logger = log
		nc, err := bus.Connect(ctx, nopts)
		if err != nil {
			return err
		}
		defer nc.Close()
		// Agents named nats:ASN are asked over NATS; the rest over TCP.
		cfg.Dialer = &bus.DigestDialer{NC: nc}
	} else {
		for as, addr := range agents {
			if strings.HasPrefix(addr, "nats:") {
				return usagef("--agent %d=%s needs --nats URL", as, addr)
			}
		}
	}
	return intertrack.RunDP(ctx, cfg)
}

// parseASN reads an AS number, plain (65001) or with PACKTER's "AS" prefix.
func parseASN(s string) (uint32, error) {
	s = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "AS"), "as")
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("bad AS number %q", s)
	}
	return uint32(n), nil
}
