package bus

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/netip"

	"github.com/packter/packter/protocol"
)

// RelayConfig configures a Relay.
type RelayConfig struct {
	Listen string // UDP address PACKTER agents send to (127.0.0.1:11300)
	Site   string // the site this relay publishes for
	Logger *slog.Logger
}

// Relay takes PACKTER 2.5/3.0 datagrams on UDP and publishes them
// unchanged, each on packter.<site>.<agent>: the agent is the datagram's
// PACKTERAGENT id, or its sender's address for agents without one.
type Relay struct {
	l    *protocol.Listener
	p    *Publisher
	site string
}

// NewRelay opens the UDP socket; Run relays until ctx ends.
func NewRelay(p *Publisher, cfg RelayConfig) (*Relay, error) {
	if cfg.Site == "" {
		return nil, fmt.Errorf("relay: no site name")
	}
	l, err := protocol.Listen(protocol.ListenConfig{Addr: cfg.Listen, Logger: cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("relay: %w", err)
	}
	return &Relay{l: l, p: p, site: Token(cfg.Site)}, nil
}

// Addr is where the relay listens.
func (r *Relay) Addr() netip.AddrPort { return r.l.Addr() }

// Stats are the UDP socket's counts.
func (r *Relay) Stats() protocol.ListenerStats { return r.l.Stats() }

// Run relays every datagram until ctx ends; then the socket is closed.
func (r *Relay) Run(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { r.l.Close() })
	defer stop()
	for b := r.l.Next(); b != nil; b = r.l.Next() {
		for _, p := range b.Packets {
			subj := SubjectPrefix + "." + r.site + "." + Token(AgentOf(p.Data, p.From))
			if err := r.p.Send(subj, p.Data, p.From.String()); err != nil {
				r.l.Release(b)
				return err
			}
		}
		r.l.Release(b) // Send copied the bytes
	}
	return ctx.Err()
}

// AgentOf names the agent that sent datagram b: its PACKTERAGENT id
// ("PACKTERAGENT id,time,hmac" on the first line), or the sender's address
// when it has none (pure; fuzzed).
func AgentOf(b []byte, from netip.AddrPort) string {
	const tag = "PACKTERAGENT "
	line, _, _ := bytes.Cut(b, []byte("\n"))
	if rest, ok := bytes.CutPrefix(line, []byte(tag)); ok {
		id, _, _ := bytes.Cut(rest, []byte(","))
		id = bytes.TrimSpace(id)
		if len(id) > 0 && len(id) <= maxToken {
			return string(id)
		}
	}
	if !from.IsValid() {
		return "unknown"
	}
	return "udp-" + from.Addr().Unmap().String() // Token turns the dots into dashes
}
