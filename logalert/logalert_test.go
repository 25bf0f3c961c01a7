package logalert

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/packter/packter/event"
	"github.com/packter/packter/protocol"
)

type sink chan event.Event

func (s sink) Datagrams(_ []protocol.Packet, done func()) { done() }

func (s sink) Events(evs []event.Event) {
	for _, e := range evs {
		s <- e
	}
}

func TestNoControlBytesInLines(t *testing.T) {
	var w bytes.Buffer
	log := slog.New(New(&w, "packter", false, slog.LevelInfo))
	log.Warn("bad datagram \x1b]0;title\x07", "from", "10.0.0.1:5", "err", "desc \x1b]52;c;cm0=\x07 \u009b2J \u202e")
	out := w.String()
	if strings.ContainsAny(out, "\x1b\x07\u009b\u202e") {
		t.Fatalf("control characters reached the log: %q", out)
	}
	if !strings.HasPrefix(out, "packter: bad datagram") || !strings.Contains(out, "from=10.0.0.1:5") {
		t.Errorf("line %q", out)
	}
}

func TestHeldLinesBecomeAlertsAndArePrintedLater(t *testing.T) {
	var w bytes.Buffer
	s := New(&w, "packter", true, slog.LevelInfo)
	log := slog.New(s)
	log.Info("just so")
	log.Warn("board gone", "err", "exit 1")
	if w.Len() != 0 {
		t.Fatalf("a held line was written: %q", w.String())
	}
	in := make(sink, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Source().Run(ctx, in) }()
	// The warning was queued before Run: the first delivery is it.
	ev := <-in
	cancel()
	<-done
	if ev.Kind != event.KindAlert || ev.Text.String() != "board gone err=\"exit 1\"" {
		t.Errorf("alert %+v", ev)
	}
	s.Release()
	if got := w.String(); got != "packter: just so\npackter: board gone err=\"exit 1\"\n" {
		t.Errorf("released %q", got)
	}
}
