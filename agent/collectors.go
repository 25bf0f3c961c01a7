package agent

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"

	"github.com/packter/packter/collect"
)

// Collector is one collector or IDS input the agent can run beside capture:
// named once here, with its flag, how it starts and what it accepts.
type Collector struct {
	Flag  string // command-line flag, and the key in InputConfig.Collectors
	Name  string // in errors and logs
	Usage string // the flag's help (a back-quoted word names the argument)
	// Validate checks the flag's value without opening anything.
	Validate func(v string) error

	run func(ctx context.Context, v string, in *InputConfig, sink collect.Sink, log *slog.Logger, o collect.Options) error
}

// collectors is the registry, in the order the flags are listed.
var collectors = [...]Collector{
	{Flag: "sflow", Name: "sFlow collector", Usage: "collect sFlow on UDP `ADDR` (e.g. 127.0.0.1:6343)", Validate: validUDP,
		run: func(ctx context.Context, v string, _ *InputConfig, s collect.Sink, l *slog.Logger, o collect.Options) error {
			return collect.RunSFlowWith(ctx, v, s, l, o)
		}},
	{Flag: "netflow", Name: "NetFlow collector", Usage: "collect NetFlow v5/v9 on UDP `ADDR` (e.g. 127.0.0.1:2055)", Validate: validUDP,
		run: func(ctx context.Context, v string, _ *InputConfig, s collect.Sink, l *slog.Logger, o collect.Options) error {
			return collect.RunFlowsWith(ctx, "netflow", v, s, l, o)
		}},
	{Flag: "ipfix", Name: "IPFIX collector", Usage: "collect IPFIX on UDP `ADDR` (e.g. 127.0.0.1:4739)", Validate: validUDP,
		run: func(ctx context.Context, v string, _ *InputConfig, s collect.Sink, l *slog.Logger, o collect.Options) error {
			return collect.RunFlowsWith(ctx, "ipfix", v, s, l, o)
		}},
	{Flag: "snort", Name: "Snort input", Usage: "read Snort alert_unixsock datagrams on the Unix socket `PATH`", Validate: validPath,
		run: func(ctx context.Context, v string, _ *InputConfig, s collect.Sink, l *slog.Logger, o collect.Options) error {
			return collect.RunSnortWith(ctx, v, s, l, o)
		}},
	{Flag: "eve", Name: "EVE input", Usage: "follow Suricata's EVE JSON `PATH` for alerts (or unix:PATH, unixgram:PATH); an existing file is read from its end unless --eve-from start", Validate: validEVE,
		run: func(ctx context.Context, v string, in *InputConfig, s collect.Sink, l *slog.Logger, o collect.Options) error {
			o.FromStart = in.EVEFromStart
			return collect.ServeEVE(ctx, v, in.EVESeverity, s, l, o)
		}},
}

// Collectors lists the collector inputs, for the command line to offer.
func Collectors() []Collector { return append([]Collector(nil), collectors[:]...) }

func findCollector(flag string) (*Collector, bool) {
	for i := range collectors {
		if collectors[i].Flag == flag {
			return &collectors[i], true
		}
	}
	return nil, false
}

func validateCollectors(m map[string]string) error {
	for flag, v := range m {
		c, ok := findCollector(flag)
		if !ok {
			return usageErr("unknown collector input %q", flag)
		}
		if v == "" {
			continue
		}
		if err := c.Validate(v); err != nil {
			return usageErr("--%s %s: %v", flag, v, err)
		}
	}
	return nil
}

// validUDP accepts HOST:PORT (HOST may be empty: all addresses).
func validUDP(v string) error {
	_, port, err := net.SplitHostPort(v)
	if err != nil {
		return fmt.Errorf("want HOST:PORT")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q is not a port number", port)
	}
	return nil
}

func validPath(v string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("want a path")
	}
	return nil
}

func validEVE(v string) error {
	for _, p := range []string{"unix:", "unixgram:"} {
		if rest, ok := strings.CutPrefix(v, p); ok {
			return validPath(rest)
		}
	}
	return validPath(v)
}
