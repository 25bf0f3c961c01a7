package detect

import (
	"math/rand/v2"
	"testing"
	"time"
)

// The detectors on the agent's packet path: one Observe and one Flooding per
// packet, over ordinary traffic with a SYN flood in it.
// Rerun: go test ./detect -run '^$' -bench . -benchmem
func BenchmarkObserve(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	start := t0.Add(20 * time.Second)
	ps := merge(normal(r, t0, 40*time.Second, 2000), synFlood(start, 5*time.Second, 5000))
	for _, mode := range []string{"threshold", "adaptive"} {
		b.Run(mode, func(b *testing.B) {
			d := mustNew(b, mode)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				p := &ps[i%len(ps)]
				// Time keeps moving forward across laps of the sequence.
				ts := p.ts.Add(time.Duration(i/len(ps)) * 45 * time.Second)
				d.Observe(ts, p.dst, p.m)
				d.Flooding(ts, p.dst, p.m)
				i++
			}
		})
	}
}
