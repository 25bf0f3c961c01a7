package bus_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/packter/packter/bus"
	"github.com/packter/packter/internal/syncbuf"
	"github.com/packter/packter/protocol"
)

// TestDeliveryLostOnItsWay: a delivery meant for the monitor that never
// reaches it (as when the monitor's server dies with it in flight) must
// still reach it, once. Here another puller on the same consumer takes one
// delivery and drops it: the monitor sees a jump in the consumer's delivery
// sequence. A durable consumer acknowledging everything up to a later
// message (AckAll) would cover the lost one for good; an ephemeral one
// (AckNone) never sends anything twice.
func TestDeliveryLostOnItsWay(t *testing.T) {
	for _, durable := range []string{"board", ""} {
		name := "ephemeral"
		if durable != "" {
			name = "durable"
		}
		t.Run(name, func(t *testing.T) {
			_, nc := oneNode(t, nil, bus.ClientOptions{})
			p := publisher(t, nc, bus.PublisherConfig{})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			sent := 0
			publish := func(n int) {
				for range n {
					d := protocol.AppendPacket(nil, *rec(fmt.Sprintf("gap-%d %d", sent, time.Now().UnixNano())))
					if err := p.Send(bus.Subject("kobe", "a1"), d, ""); err != nil {
						t.Fatal(err)
					}
					sent++
				}
				if err := p.Flush(ctx); err != nil {
					t.Fatal(err)
				}
			}

			got := newTally("gap")
			var said syncbuf.Buffer
			src, err := bus.NewSource(connect(t, bus.ClientOptions{URLs: nc.ConnectedUrl()}), bus.SourceConfig{
				// The stream's path alone: the live one would bring the
				// stolen message anyway, and hide a rewind that lost it.
				Durable: durable, Start: time.Now().Add(-time.Second), StreamOnly: true, Logger: slog.New(slog.NewTextHandler(&said, nil))})
			if err != nil {
				t.Fatal(err)
			}
			mctx, mcancel := context.WithCancel(ctx)
			runMonitor(t, mctx, src, nil, got)
			t.Cleanup(mcancel)
			waitFor := func(n int) {
				for got.distinct() < n && ctx.Err() == nil {
					time.Sleep(10 * time.Millisecond)
				}
			}
			publish(10)
			waitFor(10)

			// The thief: a pull of one message on the monitor's consumer,
			// waiting alongside the monitor's own pulls.
			js, err := jetstream.New(nc)
			if err != nil {
				t.Fatal(err)
			}
			var c jetstream.Consumer
			for _, name := range consumerNames(t, js) {
				if c, err = js.Consumer(ctx, bus.StreamName, name); err != nil {
					t.Fatal(err)
				}
			}
			stolen := make(chan uint64, 1)
			go func() {
				b, err := c.Fetch(1, jetstream.FetchMaxWait(10*time.Second))
				if err != nil {
					stolen <- 0
					return
				}
				var seq uint64
				for m := range b.Messages() {
					md, _ := m.Metadata()
					seq = md.Sequence.Stream // and dropped: never acknowledged
				}
				stolen <- seq
			}()
			time.Sleep(200 * time.Millisecond) // the thief's pull is waiting
			publish(20)
			if seq := <-stolen; seq == 0 {
				t.Fatal("the thief took nothing: the test did not make a gap")
			} else {
				t.Logf("message %d taken from the monitor", seq)
			}
			waitFor(30)
			time.Sleep(300 * time.Millisecond) // time for a second copy to show
			mcancel()
			checkTally(t, got, sent, false)
			if !strings.Contains(said.String(), "delivery lost") {
				t.Errorf("the monitor did not say it lost a delivery:\n%s", said.String())
			}
		})
	}
}

// consumerNames lists the stream's consumers.
func consumerNames(t *testing.T, js jetstream.JetStream) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, bus.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	l := s.ConsumerNames(ctx)
	for n := range l.Name() {
		names = append(names, n)
	}
	if err := l.Err(); err != nil {
		t.Fatal(err)
	}
	if len(names) != 1 {
		t.Fatalf("consumers %v, want the monitor's", names)
	}
	return names
}
