package bus_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/packter/packter/bus"
	"github.com/packter/packter/event"
	"github.com/packter/packter/ingest"
	"github.com/packter/packter/monitor"
	"github.com/packter/packter/protocol"
	"github.com/packter/packter/timeline"
)

// TestRewindIntoTheStream: a monitor started after records were published
// rewinds past its own timeline into the stream's history. The history comes
// in before the records the monitor heard itself, each record once, only
// those its filter takes, signatures checked as stored.
func TestRewindIntoTheStream(t *testing.T) {
	_, nc := oneNode(t, nil, bus.ClientOptions{})
	p := publisher(t, nc, bus.PublisherConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	key := []byte("kyoto-secret")
	publish := func(prefix string, n int) {
		for i := range n {
			body := protocol.AppendPacket(nil, *rec(fmt.Sprintf("%s-%d", prefix, i)))
			signed := protocol.AppendAgent(nil, "kyoto-1", key, time.Now(), body)
			if err := p.Send(bus.Subject("kyoto", "kyoto-1"), signed, ""); err != nil {
				t.Fatal(err)
			}
			other := protocol.AppendPacket(nil, *rec(fmt.Sprintf("osaka-%s-%d", prefix, i)))
			if err := p.Send(bus.Subject("osaka", "osaka-1"), other, ""); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now().Add(-time.Second)
	publish("history", 300)

	keys := map[string][]byte{"kyoto-1": key}
	filters := []string{"packter.kyoto.>"}
	src, err := bus.NewSource(nc, bus.SourceConfig{Filters: filters})
	if err != nil {
		t.Fatal(err)
	}
	tl := timeline.New(1 << 16)
	if err := tl.AllowPast(1000); err != nil {
		t.Fatal(err)
	}
	live := newCounter(50)
	m, err := monitor.New(monitor.Config{Ingest: ingest.Config{Keys: keys}, Timeline: tl,
		Sources: []monitor.Source{src}, Outputs: []monitor.Output{live}})
	if err != nil {
		t.Fatal(err)
	}
	mctx, mcancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.Run(mctx) }()
	defer func() {
		mcancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("monitor: %v", err)
		}
	}()
	for src.StartSeq() == 0 { // the consumer is made: from now on is live
		select {
		case <-ctx.Done():
			t.Fatal("no consumer")
		case <-time.After(10 * time.Millisecond):
		}
	}
	publish("live", 50)
	live.wait(t, "live records", 20*time.Second)

	arch, err := bus.NewArchive(nc, filters, ingest.Config{Keys: keys}, src)
	if err != nil {
		t.Fatal(err)
	}
	ph := timeline.NewPlayhead(tl, nil)
	ph.SetArchive(arch)
	l, err := ph.SeekTime(ctx, start, "console")
	if err != nil {
		t.Fatal(err)
	}
	if l.Events != 300 || l.Cut || l.From.Before(start) {
		t.Fatalf("loaded %+v, want the 300 kyoto records of history", l)
	}
	first, next := tl.Bounds()
	var got []string
	var ev event.Event
	for seq := first; seq < next; seq++ {
		if !tl.Get(seq, &ev) {
			t.Fatalf("seq %d missing", seq)
		}
		if !ev.Authed {
			t.Errorf("%q not authenticated", ev.Desc)
		}
		got = append(got, ev.Desc.String())
	}
	var want []string
	for i := range 300 {
		want = append(want, fmt.Sprintf("history-%d", i))
	}
	var heard []string
	for i := range 50 {
		heard = append(heard, fmt.Sprintf("live-%d", i))
	}
	// What the monitor heard itself came live or from the stream, whichever
	// copy was first, so not always in the stream's order: the history must
	// be, and then each live record once.
	if len(got) > 300 {
		slices.Sort(got[300:])
		slices.Sort(heard)
	}
	want = append(want, heard...)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("timeline after the rewind (%d events):\n%.300s\nwant (%d):\n%.300s", len(got), strings.Join(got, " "), len(want), strings.Join(want, " "))
	}
	if pos := ph.Position(); pos.Live || !pos.Past || pos.Seq != first+1 {
		t.Errorf("playhead %+v, want paused showing the first loaded event %d", pos, first)
	}

	// With less room than the stretch, it is cut, and said to be.
	small := timeline.New(1 << 16)
	if err := small.AllowPast(120); err != nil {
		t.Fatal(err)
	}
	sph := timeline.NewPlayhead(small, nil)
	sph.SetArchive(arch)
	if l, err := sph.SeekTime(ctx, start, "board"); err != nil || l.Events != 120 || !l.Cut {
		t.Errorf("small timeline: %+v, %v", l, err)
	}
}
