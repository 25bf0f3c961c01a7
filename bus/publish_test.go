package bus_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/packter/packter/bus"
)

// TestPublisherByteBound: what is unacknowledged is bounded in bytes too.
// With no stream yet nothing is acknowledged; a Send that would pass the
// bound waits (and is counted) until the stream is there and takes the
// first ones, then goes; nothing is lost.
func TestPublisherByteBound(t *testing.T) {
	hub := startCluster(t, 1, nil)[0]
	nc := connect(t, bus.ClientOptions{URLs: hub.ClientURL()})
	p := publisher(t, nc, bus.PublisherConfig{MaxPendingBytes: 1000, AckTimeout: 200 * time.Millisecond})
	body := bytes.Repeat([]byte("r"), 400)
	subj := bus.Subject("lab", "a1")
	for range 2 {
		if err := p.Send(subj, body, ""); err != nil {
			t.Fatal(err)
		}
	}
	third := make(chan error, 1)
	go func() { third <- p.Send(subj, body, "") }()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for p.Stats().Waited != 1 {
		select {
		case err := <-third:
			t.Fatalf("the third Send returned (%v) with 800 of 1,000 bytes unacknowledged", err)
		case <-ctx.Done():
			t.Fatal("the third Send never waited")
		case <-time.After(10 * time.Millisecond):
		}
	}
	ensureStream(t, nc, 1)
	if err := <-third; err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	st := stream(t, ctx, nc)
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.Messages != 3 || s.Waited != 1 || info.State.Msgs != 3 {
		t.Errorf("stats %+v, stream holds %d; want 3 acknowledged and stored, 1 wait", s, info.State.Msgs)
	}
}
