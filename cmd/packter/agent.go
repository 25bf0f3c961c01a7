package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/packter/packter/agent"
	"github.com/packter/packter/intertrack"
	"github.com/packter/packter/protocol"
)

// runAgent is `packter agent`: PACKTER's pt_agent, flag for flag.
func runAgent(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	f := registerAgentFlags(fs)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if err := f.check(fs.Args()); err != nil {
		return err
	}
	cfg, in, out, debug := &f.cfg, &f.cfg.Input, &f.cfg.Output, f.debug
	level := slog.LevelWarn
	if *debug {
		level = slog.LevelDebug
	}
	out.Stdout = stdout
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if cfg.Trace.Server != "" {
		if err := intertrack.CheckTraceHost(cfg.Trace.Server); err != nil {
			cfg.Logger.Warn("packets will not be traceable", "err", err)
		}
	}

	st, err := agent.Run(ctx, *cfg)
	if err == nil || errors.Is(err, context.Canceled) {
		if line := closingLine(st, in, *debug); line != "" {
			fmt.Fprintln(stderr, line)
		}
	}
	var ue *agent.UsageError
	switch {
	case err == nil || errors.Is(err, context.Canceled):
		return nil
	case errors.As(err, &ue):
		return usageError{err}
	}
	return err
}

// agentFlags are `packter agent`'s flags, as pt_agent's and Packter's own.
type agentFlags struct {
	cfg     agent.Config
	bulk    *int
	keyFile *string
	speed   float64
	eveFrom *string
	as      *uint
	debug   *bool
}

func registerAgentFlags(fs *flag.FlagSet) *agentFlags {
	f := &agentFlags{speed: -1}
	cfg := &f.cfg
	in, out, tr := &cfg.Input, &cfg.Output, &cfg.Trace
	fs.Func("v", "viewer `HOST[:PORT]` to send to (repeatable; IPv4 or IPv6)", func(s string) error {
		out.Viewers = append(out.Viewers, s)
		return nil
	})
	fs.IntVar(&out.Port, "p", 11300, "viewer `PORT` when -v gives none")
	fs.StringVar(&in.Iface, "i", "", "capture live from `IFACE` (needs root or CAP_NET_RAW)")
	fs.StringVar(&in.ReadFile, "r", "", "read packets from a pcap or pcapng `FILE`")
	fs.IntVar(&out.Sample, "R", 1, "random sampling: send about one message in `N` (PACKTER's countdown)")
	fs.StringVar(&tr.Server, "T", "", "traceback client `HOST`: the description becomes HASH-HOST")
	fs.BoolVar(&out.PrintOnly, "n", false, "print what would be sent on stdout instead of sending: a TIME line, then each datagram, as PACKTER's agents print it")
	fs.IntVar(&out.FlagBase, "f", 0, "flag `BASE` added to every flag")
	f.bulk = fs.Int("B", 0, "bulk window in `MS`: pack records into one datagram (0: one record per datagram); also with -n")
	fs.BoolVar(&out.TCPFlags, "tcp-flags", false, "end TCP descriptions with tcpdump's flags (\"[R.]\"): a reset then sounds unlike a close (a Packter extension)")
	fs.IntVar(&out.BulkMax, "bulk-max", protocol.DefaultBulkMax, "largest bulk datagram in `BYTES` (MTU-sized by default; up to 65507, e.g. on loopback)")
	fs.StringVar(&cfg.Auth.AgentID, "A", "", "agent `ID`: adds a PACKTERAGENT line")
	f.keyFile = fs.String("K", "", "HMAC key `FILE` (first line): sign datagrams, needs -A")
	fs.BoolVar(&out.SE, "s", false, "also send PACKTERSE se<flag>.wav for every record")
	fs.Func("speed", "pacing `X` of -r: 1 capture time, 2 twice as fast, 0 as fast as possible (default 0 with -n, else 1)", func(v string) error {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || x < 0 || math.IsInf(x, 0) || math.IsNaN(x) {
			return fmt.Errorf("want a speed of 0 or more, not %q", v)
		}
		f.speed = x
		return nil
	})
	fs.StringVar(&cfg.Geo.Spec, "geoip", "", "look addresses up in a country database and send PACKTEARTH records beside records: `auto` (Debian's tor-geoipdb) or comma-separated PATHs (Tor range files, MaxMind .mmdb)")
	fs.StringVar(&cfg.Geo.Home, "geoip-home", "", "with --geoip: draw local (private, documentation) addresses in country `CC` (two letters); without it their records get no PACKTEARTH")
	fs.StringVar(&cfg.Detection.Spec, "detect", "", "flood detection: `MODE[,key=value...]`, MODE threshold (PACKTER 2.5: syn= fin= rst= icmp= udp= shares, pps=, window=500, quiet=30s, config=packter.conf with MON_*/TH_* keys) or adaptive (PACKTER 3.0's CUSUM+EWMA, untuned: warmup=8 lambda=0.3 k=3 cusum-k=0.5 cusum-h=5 min-pps=100)")
	in.Collectors = map[string]string{}
	for _, c := range agent.Collectors() {
		fs.Func(c.Flag, c.Usage, func(v string) error {
			if err := c.Validate(v); err != nil {
				return err
			}
			in.Collectors[c.Flag] = v
			return nil
		})
	}
	f.eveFrom = fs.String("eve-from", "end", "where to start reading an existing --eve file: `end` (only alerts written from now on) or start (everything it holds); files that appear or rotate in later are read whole")
	fs.IntVar(&in.EVESeverity, "eve-severity", 0, "speak EVE alerts of severity 1..`N` (1 is the most severe; 0: the collector's default; every alert is sent as a record)")
	f.as = fs.Uint("as", 0, "this agent's AS `NUMBER`, for traceback digest answers")
	fs.StringVar(&tr.Digests, "digests", "", "keep a traceback digest store and answer queries on TCP `ADDR` (nats: over NATS, with --nats and --as)")
	cfg.NATS.Register(fs) // --nats URL, --site NAME, credentials
	f.debug = fs.Bool("d", false, "log more (debug information)")
	return f
}

// check reads what the flags cannot say alone into the configuration.
func (f *agentFlags) check(words []string) error {
	cfg := &f.cfg
	in, out, tr := &cfg.Input, &cfg.Output, &cfg.Trace
	in.Filter = strings.Join(words, " ")
	if *f.bulk < 0 {
		return usagef("-B must be 0 or more milliseconds")
	}
	out.Bulk = time.Duration(*f.bulk) * time.Millisecond
	if out.BulkMax < 64 || out.BulkMax > protocol.MaxDatagram {
		return usagef("--bulk-max must be 64 to %d bytes", protocol.MaxDatagram)
	}
	switch *f.eveFrom {
	case "end":
	case "start":
		in.EVEFromStart = true
	default:
		return usagef("--eve-from %q: want end or start", *f.eveFrom)
	}
	if *f.as > 1<<32-1 {
		return usagef("--as %d is not a 32-bit AS number", *f.as)
	}
	tr.AS = uint32(*f.as)
	if out.Port < 1 || out.Port > 65535 {
		return usagef("-p %d is not a port number", out.Port)
	}
	switch {
	case f.speed >= 0:
		in.Speed = f.speed
	case out.PrintOnly:
		in.Speed = 0
	default:
		in.Speed = 1
	}
	if *f.keyFile != "" {
		key, err := readKey(*f.keyFile)
		if err != nil {
			return err
		}
		cfg.Auth.Key = key
	}
	return nil
}

// closingLine is the agent's last word: what it read, and everything it lost
// by input and cause. A file read whole without loss says nothing (unless
// -d); a live capture or collectors, which end by a signal, always answer.
func closingLine(st agent.Stats, in *agent.InputConfig, debug bool) string {
	source := in.ReadFile != "" || in.Iface != ""
	ongoing := in.Iface != "" || len(st.Inputs) > 0
	if !debug && !ongoing && !st.Truncated && st.TotalLost() == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("packter agent: ")
	if source {
		fmt.Fprintf(&b, "%d frames, %d records (%d sent); skipped %d: %d not IP, %d other protocols, %d filtered; ",
			st.Frames, st.Records, st.Sent, st.Skipped()-st.Bad, st.NotIP, st.Ignored, st.Filtered)
	} else {
		fmt.Fprintf(&b, "%d records (%d sent); ", st.Records, st.Sent)
	}
	for _, i := range st.Inputs {
		fmt.Fprintf(&b, "%s: %d received; ", i.Name, i.Datagrams)
	}
	fmt.Fprintf(&b, "lost %d: %s", st.TotalLost(), agent.FormatLosses(st.Losses()))
	if st.Truncated {
		b.WriteString("; the file ends inside a packet")
	}
	return b.String()
}
