package monitor

import (
	"testing"

	"github.com/packter/packter/protocol"
	"github.com/packter/packter/synth"
	"github.com/packter/packter/timeline"
)

// BenchmarkHandle measures the monitor's work per datagram once it is read:
// parse, event, timeline append (no outputs).
func BenchmarkHandle(b *testing.B) {
	for _, per := range []int{1, 40} {
		b.Run(map[int]string{1: "single", 40: "bulk40"}[per], func(b *testing.B) {
			m, err := New(Config{Timeline: timeline.New(1 << 20)})
			if err != nil {
				b.Fatal(err)
			}
			g := synth.New(1, synth.DefaultMix, "")
			dgs := make([][]byte, 256)
			recs := make([]protocol.Record, per)
			for i := range dgs {
				var descs [][]byte
				for j := range recs {
					g.Next(&recs[j])
					descs = append(descs, append([]byte(nil), recs[j].Desc...))
					recs[j].Desc = descs[j]
				}
				dgs[i] = protocol.AppendPacket(nil, recs...)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				m.HandleDatagram(dgs[i&255], from, now)
				i++
			}
			b.ReportMetric(float64(b.N*per)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
