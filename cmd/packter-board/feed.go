package main

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/packter/packter/event"
	"github.com/packter/packter/journal"
	"github.com/packter/packter/protocol"
	"github.com/packter/packter/visual"
)

// readJournal feeds the board from the monitor: one journal line per event.
// Bad lines are skipped with a warning; it returns at the end of the input.
func readJournal(r io.Reader, in *visual.Inbox, log *slog.Logger) error {
	d := journal.NewDecoder(r)
	var ev event.Event
	bad := 0
	for {
		err := d.Next(&ev)
		switch {
		case err == nil:
			in.Push(&ev)
		case errors.Is(err, io.EOF):
			return nil
		case errors.Is(err, journal.ErrLine):
			if bad++; bad <= 10 {
				log.Warn("skipped a bad journal line", "err", err)
			}
		default:
			return err
		}
	}
}

// serveUDP is the standalone viewer: PACKTER datagrams on addr, parsed and
// turned into events as the monitor does (without agent keys: a standalone
// board shows what reaches it, on loopback unless told otherwise).
func serveUDP(ctx context.Context, l *protocol.Listener, in *visual.Inbox, log *slog.Logger) error {
	var d protocol.Datagram
	bad := 0
	return l.Serve(ctx, func(b *protocol.Batch) {
		for i := range b.Packets {
			p := &b.Packets[i]
			if err := protocol.Parse(p.Data, &d); err != nil {
				if bad++; bad <= 10 {
					log.Warn("malformed datagram dropped", "from", p.From.String(), "err", err)
				}
				continue
			}
			visual.DatagramEvents(&d, p.Time, func(ev *event.Event) { in.Push(ev) })
		}
	})
}
