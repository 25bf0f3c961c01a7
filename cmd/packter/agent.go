package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/packter/packter/agent"
	"github.com/packter/packter/protocol"
)

// runAgent is `packter agent`: PACKTER's pt_agent, flag for flag.
func runAgent(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	var cfg agent.Config
	fs.Func("v", "viewer `HOST[:PORT]` to send to (repeatable; IPv4 or IPv6)", func(s string) error {
		cfg.Viewers = append(cfg.Viewers, s)
		return nil
	})
	fs.IntVar(&cfg.Port, "p", 11300, "viewer `PORT` when -v gives none")
	fs.StringVar(&cfg.Iface, "i", "", "capture live from `IFACE` (needs root or CAP_NET_RAW)")
	fs.StringVar(&cfg.ReadFile, "r", "", "read packets from a pcap or pcapng `FILE`")
	fs.IntVar(&cfg.Sample, "R", 1, "random sampling: send about one message in `N` (PACKTER's countdown)")
	fs.StringVar(&cfg.TraceServer, "T", "", "traceback client `HOST`: the description becomes HASH-HOST")
	fs.BoolVar(&cfg.PrintOnly, "n", false, "print the wire text on stdout instead of sending")
	fs.IntVar(&cfg.FlagBase, "f", 0, "flag `BASE` added to every flag")
	bulk := fs.Int("B", 0, "bulk window in `MS`: pack records into one datagram (0: one record per datagram)")
	fs.IntVar(&cfg.BulkMax, "bulk-max", protocol.DefaultBulkMax, "largest bulk datagram in `BYTES` (MTU-sized by default; up to 65507, e.g. on loopback)")
	fs.StringVar(&cfg.AgentID, "A", "", "agent `ID`: adds a PACKTERAGENT line")
	keyFile := fs.String("K", "", "HMAC key `FILE` (first line): sign datagrams, needs -A")
	fs.BoolVar(&cfg.SE, "s", false, "also send PACKTERSE se<flag>.wav for every record")
	speed := fs.Float64("speed", -1, "pacing of -r: 1 capture time, 2 twice as fast, 0 as fast as possible (default 0 with -n, else 1)")
	fs.StringVar(&cfg.Detect, "detect", "", "flood detection: `MODE[,key=value...]`, MODE threshold (PACKTER 2.5: syn= fin= rst= icmp= udp= shares, pps=, window=500, quiet=30s, config=packter.conf with MON_*/TH_* keys) or adaptive (PACKTER 3.0's CUSUM+EWMA, untuned: warmup=8 lambda=0.3 k=3 cusum-k=0.5 cusum-h=5 min-pps=100)")
	fs.StringVar(&cfg.SFlow, "sflow", "", "collect sFlow on UDP `ADDR` (e.g. 127.0.0.1:6343)")
	fs.StringVar(&cfg.NetFlow, "netflow", "", "collect NetFlow v5/v9 on UDP `ADDR` (e.g. 127.0.0.1:2055)")
	fs.StringVar(&cfg.IPFIX, "ipfix", "", "collect IPFIX on UDP `ADDR` (e.g. 127.0.0.1:4739)")
	fs.StringVar(&cfg.Snort, "snort", "", "read Snort alert_unixsock datagrams on the Unix socket `PATH`")
	fs.StringVar(&cfg.EVE, "eve", "", "follow Suricata's EVE JSON `PATH` for alerts")
	fs.IntVar(&cfg.EVESeverity, "eve-severity", 0, "speak EVE alerts of severity 1..`N` (1 is the most severe; 0: the collector's default; every alert is sent as a record)")
	as := fs.Uint("as", 0, "this agent's AS `NUMBER`, for traceback digest answers")
	fs.StringVar(&cfg.Digests, "digests", "", "keep a traceback digest store and answer queries on TCP `ADDR`")
	debug := fs.Bool("d", false, "log more (debug information)")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	cfg.Filter = strings.Join(fs.Args(), " ")
	cfg.Bulk = time.Duration(*bulk) * time.Millisecond
	if *bulk < 0 {
		return usagef("-B must be 0 or more milliseconds")
	}
	if cfg.BulkMax < 64 || cfg.BulkMax > protocol.MaxDatagram {
		return usagef("--bulk-max must be 64 to %d bytes", protocol.MaxDatagram)
	}
	if *as > 1<<32-1 {
		return usagef("--as %d is not a 32-bit AS number", *as)
	}
	cfg.AS = uint32(*as)
	if cfg.Port < 1 || cfg.Port > 65535 {
		return usagef("-p %d is not a port number", cfg.Port)
	}
	switch {
	case *speed >= 0:
		cfg.Speed = *speed
	case cfg.PrintOnly:
		cfg.Speed = 0
	default:
		cfg.Speed = 1
	}
	if *keyFile != "" {
		key, err := readKey(*keyFile)
		if err != nil {
			return err
		}
		cfg.Key = key
	}
	if cfg.AS != 0 && cfg.Digests == "" {
		return usagef("--as needs --digests ADDR")
	}
	level := slog.LevelWarn
	if *debug {
		level = slog.LevelDebug
	}
	cfg.Stdout = stdout
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	st, err := agent.Run(ctx, cfg)
	if (cfg.ReadFile != "" || cfg.Iface != "") && err == nil {
		if st.Truncated || st.Bad > 0 || *debug {
			fmt.Fprintf(stderr, "packter agent: %d frames, %d records (%d sent), %d dropped by the kernel; skipped %d: %d not IP, %d other protocols, %d damaged, %d filtered%s\n",
				st.Frames, st.Records, st.Sent, st.KernelDrops, st.Skipped(), st.NotIP, st.Ignored, st.Bad, st.Filtered,
				map[bool]string{true: "; the file ends inside a packet", false: ""}[st.Truncated])
		}
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		if strings.Contains(err.Error(), "no viewer") || strings.Contains(err.Error(), "--detect") ||
			strings.Contains(err.Error(), "not both") || strings.Contains(err.Error(), "needs an agent id") {
			return usageError{err}
		}
		return err
	}
	return nil
}
