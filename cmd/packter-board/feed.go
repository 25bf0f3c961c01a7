package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

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
			datagramEvents(&d, p.Time, func(ev *event.Event) { in.Push(ev) })
		}
	})
}

// datagramEvents calls fn with the events a parsed datagram carries.
func datagramEvents(d *protocol.Datagram, t time.Time, fn func(*event.Event)) {
	base := event.Event{Time: t, Agent: string(d.Agent.ID)}
	switch d.Header {
	case protocol.HeaderPacket, protocol.HeaderBallistic, protocol.HeaderGateway:
		for i := range d.Records {
			ev := event.FromRecord(t, &d.Records[i])
			ev.Agent = base.Agent
			fn(&ev)
		}
	case protocol.HeaderEarth:
		// No globe on this board.
	default:
		ev := base
		ev.Kind = controlKinds[d.Header]
		if ev.Kind == event.KindNone {
			return
		}
		ev.Text, ev.File, ev.Millis = string(d.Text), string(d.File), d.Millis
		if d.Header == protocol.HeaderMessage {
			ev.File = string(d.Picture)
		}
		fn(&ev)
	}
}

var controlKinds = map[protocol.Header]event.Kind{
	protocol.HeaderMessage: event.KindMessage,
	protocol.HeaderHTML:    event.KindHTML,
	protocol.HeaderSound:   event.KindSound,
	protocol.HeaderSE:      event.KindSE,
	protocol.HeaderVoice:   event.KindVoice,
	protocol.HeaderSky:     event.KindSky,
}
