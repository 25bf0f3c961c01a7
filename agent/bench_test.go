package agent

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/packter/packter/samples"
)

// BenchmarkPrintTrace is the whole -n -T path: read the pcapng, decode,
// classify, hash, format and write, over the bundled sample.
// Rerun: go test ./agent -run '^$' -bench PrintTrace -benchmem
func BenchmarkPrintTrace(b *testing.B) {
	c := samples.Capture()
	var n uint64
	b.ReportAllocs()
	b.SetBytes(int64(len(c)))
	for b.Loop() {
		st, err := Run(context.Background(), Config{Output: OutputConfig{PrintOnly: true, Stdout: io.Discard}, Trace: TraceConfig{Server: "host"}, Input: InputConfig{Reader: bytes.NewReader(c)}})
		if err != nil {
			b.Fatal(err)
		}
		n += st.Frames
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "packets/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/packet")
}

// BenchmarkPacketPath measures one packet through the agent (no file reading),
// to show zero allocations per packet in steady state.
func BenchmarkPacketPath(b *testing.B) {
	fr := testFrames(b)[0]
	a, err := newAgent(Config{Output: OutputConfig{PrintOnly: true}, Trace: TraceConfig{Server: "host"}}, newPrinter(Config{Output: OutputConfig{Stdout: io.Discard}}))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := a.frame(ctx, 1, fr, zeroTime, "", false); err != nil {
			b.Fatal(err)
		}
	}
}

var zeroTime = time.Unix(1700000000, 0)
