package bus_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/packter/packter/bus"
	"github.com/packter/packter/protocol"
)

// TestLivePath: a monitor hearing its filters live as well as through the
// stream gets each message once, whichever copy comes first; a message
// without an id comes through the stream only, once; a message outside its
// filters not at all.
func TestLivePath(t *testing.T) {
	_, nc := oneNode(t, nil, bus.ClientOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := newTally("live")
	src, err := bus.NewSource(connect(t, bus.ClientOptions{URLs: nc.ConnectedUrl()}),
		bus.SourceConfig{Filters: []string{"packter.tokyo.>"}, Start: time.Now().Add(-time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	runMonitor(t, ctx, src, nil, got)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-src.LiveReady():
	case <-ctx.Done():
		t.Fatal("the live path never subscribed")
	}
	n := 0
	send := func(subj, id string) {
		m := nats.NewMsg(subj)
		m.Data = protocol.AppendPacket(nil, *rec(fmt.Sprintf("live-%d %d", n, time.Now().UnixNano())))
		if id != "" {
			m.Header.Set(jetstream.MsgIDHeader, id)
		}
		if _, err := js.PublishMsg(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	for ; n < 20; n++ {
		id := fmt.Sprintf("id-%d", n)
		send(bus.Subject("tokyo", "a1"), id)
		send(bus.Subject("tokyo", "a1"), id) // a retry: the stream keeps one, the live path drops it
	}
	for ; n < 30; n++ {
		send(bus.Subject("tokyo", "a1"), "") // no id: the stream's copy only
	}
	send(bus.Subject("osaka", "a1"), "id-osaka") // not this monitor's
	// Each message with an id comes three times (two live: it and its
	// retry, which the stream does not store again; one from the stream):
	// whichever comes first is delivered, the other two dropped. Without
	// the live path there would be one copy and no drop. Waiting for all 40
	// drops means every copy was handled.
	for got.distinct() < n || src.PathStats().Dropped < 40 {
		select {
		case <-ctx.Done():
			t.Fatalf("%d of %d records, path stats %+v", got.distinct(), n, src.PathStats())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if st := src.PathStats(); st.Dropped != 40 {
		t.Errorf("path stats %+v, want 40 second copies dropped", st)
	}
	checkTally(t, got, n, false)
}
