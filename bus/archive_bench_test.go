package bus_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/packter/packter/bus"
	"github.com/packter/packter/ingest"
	"github.com/packter/packter/timeline"
)

// BenchmarkArchiveLoad: how fast a rewind past the timeline brings the
// stream's history in — b.N records, published in bulk messages to one
// node, loaded into a timeline's past as the console's g does.
//
//	go test -run XXX -bench ArchiveLoad -benchtime 1000000x ./bus/
func BenchmarkArchiveLoad(b *testing.B) {
	hub := startCluster(b, 1, nil)[0]
	nc := connect(b, bus.ClientOptions{URLs: hub.ClientURL()})
	ensureStream(b, nc, 1)
	p := publisher(b, nc, bus.PublisherConfig{AckTimeout: 5 * time.Second})
	bt, err := bus.NewBatcher(p, bus.BatcherConfig{Subject: bus.Subject("bench", "a1"), Window: 5 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now().Add(-time.Second)
	for i := range b.N {
		if err := bt.Record(rec("record " + strconv.Itoa(i))); err != nil {
			b.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := bt.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	arch, err := bus.NewArchive(nc, nil, ingest.Config{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	tl := timeline.New(1 << 16)
	if err := tl.AllowPast(b.N); err != nil {
		b.Fatal(err)
	}
	ph := timeline.NewPlayhead(tl, nil)
	ph.SetArchive(arch)
	b.ResetTimer()
	t0 := time.Now()
	l, err := ph.SeekTime(ctx, start, "bench")
	el := time.Since(t0)
	b.StopTimer()
	if err != nil || l.Events != b.N {
		b.Fatalf("loaded %+v, %v; want %d events", l, err, b.N)
	}
	b.ReportMetric(float64(b.N)/el.Seconds(), "records/s")
}
