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
	for deadline := time.Now().Add(10 * time.Second); len(consumerNames(t, js)) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no consumer")
		}
	}
	time.Sleep(200 * time.Millisecond) // its live subscription reaches the server
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
	for deadline := time.Now().Add(10 * time.Second); got.distinct() < n && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // time for a second copy to show
	checkTally(t, got, n, false)
}
