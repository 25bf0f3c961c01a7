// Package demo is Packter's main job on its bundled sample: three minutes of a
// small office network played by the agent into a monitor, with traceback
// digests, a decision point and a traceback client in the same process, so
// that pressing T on a packet is answered aloud.
package demo

import (
	"bytes"
	"context"
	"errors"
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
	"github.com/packter/packter/viewer"
)

// Intro is the first thing the demo says.
const Intro = "Packter demo. Playing three minutes of a small office network. Select a packet and press T to trace it."

// Options are the demo's: the viewer's, plus the sample's pace.
type Options struct {
	Viewer viewer.Options
	Pace   float64 // the sample's speed: 1 as captured, 0 as fast as possible
	Stay   bool    // keep running after the sample ends
}

// ErrReplay is Run's answer to a journal replay: the demo plays its own sample.
var ErrReplay = errors.New("the demo plays its own sample; use 'packter monitor --replay' for journals")

// Run plays the sample until it ends (and a few seconds more, for the last
// sounds and any trace), or until ctx ends or the console quits.
func Run(ctx context.Context, o Options, stdout, stderr io.Writer) error {
	if o.Viewer.Replay != "" {
		return fmt.Errorf("%w: %w", viewer.ErrUsage, ErrReplay)
	}
	if len(o.Viewer.Listen) == 0 {
		o.Viewer.Listen = []string{"127.0.0.1:0"} // a free port: the demo must not collide with a running monitor
	}
	o.Viewer.Command = "demo"
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	return viewer.Run(ctx, o.Viewer, stdout, stderr, func(ctx context.Context, s *viewer.Session) error {
		pair, err := startTraceback(ctx, s)
		if err != nil {
			return err
		}
		s.Voice.SayKind(speech.KindAnswer, Intro)
		go func() {
			play(ctx, o, s, pair.TCAddr)
			if o.Stay || ctx.Err() != nil {
				return
			}
			s.Voice.SayKind(speech.KindAnswer, "The sample has ended.")
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

// play runs the agent over the sample into the monitor.
func play(ctx context.Context, o Options, s *viewer.Session, tc string) {
	_, err := agent.Run(ctx, agent.Config{
		Input: agent.InputConfig{Reader: bytes.NewReader(samples.Capture()), Speed: o.Pace},
		// Our agent to our monitor: flags in descriptions let resets sound unlike closes.
		Output:    agent.OutputConfig{Viewers: []string{s.Addr}, TCPFlags: true},
		Trace:     agent.TraceConfig{Server: tc},
		Detection: agent.DetectConfig{Spec: "adaptive"},
		// The agent's alerts reach the monitor as datagrams; its own log
		// would say them a second time.
		Logger: slog.New(s.Logs.WithLevel(slog.LevelError)),
	})
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		s.Log.Error("demo agent stopped", "err", err)
	}
}

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

// startDemoTraceback fills one digest store per AS from the sample, serves them
// on loopback, and starts a decision point and a traceback client in process.
func startTraceback(ctx context.Context, s *viewer.Session) (*intertrack.Pair, error) {
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
	// Every outside network keeps digests too: a spoofed source that none of
	// them saw is then told apart from one beyond them.
	for _, src := range demoSources {
		store(src.as)
	}
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
		go intertrack.ServeDigests(ctx, ln, as, st, s.Log)
	}
	links := [][2]uint32{{demoHome, demoTransit}}
	for _, src := range demoSources {
		links = append(links, [2]uint32{demoTransit, src.as})
	}
	return intertrack.StartPair(ctx,
		intertrack.DPConfig{Agents: agents, Links: links, Home: demoHome, Logger: s.Log},
		intertrack.TCConfig{Viewer: s.Addr, Logger: s.Log})
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
