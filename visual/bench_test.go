package visual

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/protocol"
)

// Synthetic fills m with n random records: the same generator the board's
// --synthetic flag uses lives in the shell; this one is for benchmarks.
func fill(m *Model, n int, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 1))
	for i := 0; i < n; i++ {
		ev := event.Event{
			Kind:  event.KindPacket,
			Src:   protocol.AddrFrom(netip.AddrFrom4([4]byte{byte(r.Uint32()), byte(r.Uint32()), 1, 2})),
			Dst:   protocol.AddrFrom(netip.AddrFrom4([4]byte{byte(r.Uint32()), 3, 4, 5})),
			SPort: protocol.PortFrom(r.Uint32N(65536)),
			DPort: protocol.PortFrom(r.Uint32N(65536)),
			Flag:  int(r.Uint32N(10)),
		}
		if i%100 == 0 {
			ev.Model = event.CleanText(protocol.FloodModel, event.MaxText)
		}
		m.Receive(&ev)
	}
}

// BenchmarkFrame measures the board's CPU work per frame: advance the clock,
// retire arrived balls, project every ball and write its four vertices.
// ns/ball is the figure the issue bounds (≤ 20 ns).
func BenchmarkFrame(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			m := New(Config{Fly: time.Hour, MaxBalls: n}, 1280, 800)
			fill(m, n, 1)
			b.ResetTimer()
			for b.Loop() {
				m.Advance(time.Second / 60)
				m.Vertices()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/ball")
		})
	}
}

// BenchmarkChurn is the steady state of a busy board: 10,000 balls in flight
// over a 3 s flight, so about 55 arrive and 55 new ones appear every frame.
func BenchmarkChurn(b *testing.B) {
	const n = 10_000
	m := New(Config{Fly: 3 * time.Second, MaxBalls: 2 * n}, 1280, 800)
	perFrame := n / (3 * 60)
	var evs []event.Event
	src := New(Config{Fly: time.Hour, MaxBalls: 4 * n}, 1, 1)
	fill(src, 4*n, 2)
	evs = append(evs, src.evs...)
	for i := 0; i < 3*60; i++ {
		for j := 0; j < perFrame; j++ {
			m.Receive(&evs[(i*perFrame+j)%len(evs)])
		}
		m.Advance(time.Second / 60)
	}
	k := 0
	b.ResetTimer()
	for b.Loop() {
		for j := 0; j < perFrame; j++ {
			m.Receive(&evs[k%len(evs)])
			k++
		}
		m.Advance(time.Second / 60)
		m.Vertices()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(m.Len()), "ns/ball")
}

func BenchmarkPick(b *testing.B) {
	m := New(Config{Fly: time.Hour, MaxBalls: 100_000}, 1280, 800)
	fill(m, 100_000, 3)
	for b.Loop() {
		m.Pick(640, 400)
	}
}
