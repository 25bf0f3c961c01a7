package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/packter/packter/agent"
	"github.com/packter/packter/intertrack"
	"github.com/packter/packter/protocol"
	"github.com/packter/packter/samples"
	"github.com/packter/packter/speech"
)

// The demo's make-believe Internet: the monitor sits in the home AS; traffic
// from outside crosses a transit AS; each outside network is its own AS. Every
// AS keeps digests of what crossed it, so tracing a packet from the sample
// names where it came from. The flood's sources are spoofed: no source AS saw
// them, and the trace ends at the transit AS.
const (
	demoHome    = 64500
	demoTransit = 64510
)

var demoSources = []struct {
	prefix netip.Prefix
	as     uint32
}{
	{netip.MustParsePrefix("198.51.100.0/24"), 64520},
	{netip.MustParsePrefix("203.0.113.0/24"), 64530},
	{netip.MustParsePrefix("93.184.216.0/24"), 64540},
	{netip.MustParsePrefix("151.101.0.0/16"), 64550},
	{netip.MustParsePrefix("2001:db8:ff::/48"), 64560},
}

var demoHomeNets = []netip.Prefix{
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("2001:db8:1::/48"),
	netip.MustParsePrefix("fe80::/10"),
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	o := monitorOptions{command: "demo"}
	o.register(fs)
	stay := fs.Bool("stay", false, "keep running after the sample ends (until q or interrupted)")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if o.replay != "" {
		return usagef("the demo plays its own sample; use 'packter monitor --replay' for journals")
	}
	if len(o.listen) == 0 {
		o.listen = multiFlag{"127.0.0.1:0"} // a free port: the demo must not collide with a running monitor
	}
	pace := o.speed // in the demo --speed paces the sample (1 = as captured)
	o.speed = 1
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	return o.run(ctx, stdout, stderr, func(ctx context.Context, s *session) error {
		pair, err := startDemoTraceback(ctx, s)
		if err != nil {
			return err
		}
		s.voice.Say("Packter demo. Playing three minutes of a small office network. Select a packet and press T to trace it.", speech.Important)
		go func() {
			_, err := agent.Run(ctx, agent.Config{
				Input:     agent.InputConfig{Reader: bytes.NewReader(samples.Capture()), Speed: pace},
				Output:    agent.OutputConfig{Viewers: []string{s.monAddr}},
				Trace:     agent.TraceConfig{Server: pair.TCAddr},
				Detection: agent.DetectConfig{Spec: "adaptive"},
				// The agent's alerts reach the monitor as datagrams; its own log
				// would say them a second time.
				Logger: slog.New(s.logs.WithLevel(slog.LevelError)),
			})
			if err != nil && !errors.Is(err, context.Canceled) {
				s.log.Error("demo agent stopped", "err", err)
			}
			if *stay || ctx.Err() != nil {
				return
			}
			s.voice.Say("The sample has ended.", speech.Important)
			// Let the last sounds, speech and any trace finish.
			t := time.NewTimer(8 * time.Second)
			defer t.Stop()
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			cancel()
		}()
		return nil
	})
}

// startDemoTraceback fills one digest store per AS from the sample, serves them
// on loopback, and starts a decision point and a traceback client in process.
func startDemoTraceback(ctx context.Context, s *session) (*intertrack.Pair, error) {
	stores := map[uint32]*intertrack.DigestStore{}
	cfg := intertrack.DigestConfig{Window: time.Minute, Windows: 30, Capacity: 200_000}
	store := func(as uint32) *intertrack.DigestStore {
		if stores[as] == nil {
			stores[as] = intertrack.NewDigestStore(cfg)
		}
		return stores[as]
	}
	store(demoHome)
	store(demoTransit)
	now := time.Now()
	err := agent.Records(ctx, bytes.NewReader(samples.Capture()), agent.Config{Trace: agent.TraceConfig{Server: "demo"}}, func(_ time.Time, r *protocol.Record) error {
		hash, _, ok := protocol.SplitTraceDesc(string(r.Desc))
		if !ok || !r.Src.IsIP() {
			return nil
		}
		h, err := intertrack.ParseHash(hash)
		if err != nil {
			return nil
		}
		for _, as := range demoPath(r.Src.IP, r.Dst.IP) {
			store(as).Insert(h, now)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("demo digests: %w", err)
	}
	agents := map[uint32]string{}
	for as, st := range stores {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("demo digests: %w", err)
		}
		agents[as] = ln.Addr().String()
		go intertrack.ServeDigests(ctx, ln, as, st, s.log)
	}
	links := [][2]uint32{{demoHome, demoTransit}}
	for _, src := range demoSources {
		links = append(links, [2]uint32{demoTransit, src.as})
	}
	return intertrack.StartPair(ctx,
		intertrack.DPConfig{Agents: agents, Links: links, Home: demoHome, Logger: s.log},
		intertrack.TCConfig{Viewer: s.monAddr, Logger: s.log})
}

// demoPath lists the ASes that keep a digest of a packet from src in the
// demo's world.
func demoPath(src, _ netip.Addr) []uint32 {
	home := func(a netip.Addr) bool {
		for _, p := range demoHomeNets {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	if home(src) {
		// Traces start at home and walk toward the sender: a packet sent from
		// inside is found at home, its source.
		return []uint32{demoHome}
	}
	path := []uint32{demoTransit, demoHome}
	for _, s := range demoSources {
		if s.prefix.Contains(src) {
			path = append(path, s.as)
		}
	}
	return path
}
