package monitor

import (
	"context"
	"log/slog"
	"net/netip"

	"github.com/packter/packter/protocol"
)

// UDP is the monitor's PACKTER input: one UDP socket.
type UDP struct{ l *protocol.Listener }

// ListenUDP opens addr ("127.0.0.1:11300"; port 0 picks one).
func ListenUDP(addr string, log *slog.Logger) (*UDP, error) {
	l, err := protocol.Listen(protocol.ListenConfig{Addr: addr, Logger: log})
	if err != nil {
		return nil, err
	}
	return &UDP{l: l}, nil
}

// Addr is where the socket is bound.
func (u *UDP) Addr() netip.AddrPort { return u.l.Addr() }

// Stats are the socket's drop counts.
func (u *UDP) Stats() protocol.ListenerStats { return u.l.Stats() }

// Run hands every batch read to in until ctx ends; then the socket is closed.
func (u *UDP) Run(ctx context.Context, in Intake) error {
	stop := context.AfterFunc(ctx, func() { u.l.Close() })
	defer stop()
	for b := u.l.Next(); b != nil; b = u.l.Next() {
		in.Datagrams(b.Packets, func() { u.l.Release(b) })
	}
	return ctx.Err()
}

// Close closes the socket (Run does it when its context ends).
func (u *UDP) Close() error { return u.l.Close() }
