package intertrack

import (
	"testing"
	"time"
)

// Digest store figures (BENCHMARKS.md): inserts per second per core, memory
// per million packets at 1 % false positives, and the false-positive rate
// actually measured at that size.

func benchHashes(n int) [][16]byte {
	hs := make([][16]byte, n)
	for i := range hs {
		hs[i] = hashN(uint64(i))
	}
	return hs
}

func BenchmarkDigestInsert(b *testing.B) {
	s := NewDigestStore(DigestConfig{}) // defaults: 1 M packets per window at 1 %
	hs := benchHashes(1 << 16)
	t0 := time.Now()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		s.Insert(hs[i&(1<<16-1)], t0)
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "Minserts/s")
}

func BenchmarkDigestInsertParallel(b *testing.B) {
	s := NewDigestStore(DigestConfig{})
	hs := benchHashes(1 << 16)
	t0 := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			s.Insert(hs[i&(1<<16-1)], t0)
			i++
		}
	})
}

func BenchmarkDigestContains(b *testing.B) {
	s := NewDigestStore(DigestConfig{})
	hs := benchHashes(1 << 16)
	t0 := time.Now()
	for _, h := range hs {
		s.Insert(h, t0)
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		s.Contains(hs[i&(1<<16-1)], time.Time{}, time.Time{})
		i++
	}
}

// BenchmarkDigestMillionAt1Percent fills one window with a million packets
// and reports its memory and the false-positive rate measured on a million
// packets never inserted.
func BenchmarkDigestMillionAt1Percent(b *testing.B) {
	const n = 1_000_000
	for b.Loop() {
		s := NewDigestStore(DigestConfig{Windows: 1, Capacity: n, FPRate: 0.01})
		t0 := time.Now()
		for i := uint64(0); i < n; i++ {
			s.Insert(hashN(i), t0)
		}
		fp := 0
		for i := uint64(n); i < 2*n; i++ {
			if s.Contains(hashN(i), time.Time{}, time.Time{}) {
				fp++
			}
		}
		b.ReportMetric(float64(s.Stats().Bytes)/1e6, "MB/Mpkt")
		b.ReportMetric(float64(fp)/n*100, "FP%")
	}
}

// BenchmarkTraceLoopback: a whole trace (TC → DP → three agents → outcome)
// on loopback, without namespaces; the lab has BenchmarkLabTraceLatency.
func BenchmarkTraceLoopback(b *testing.B) {
	ctx := b.Context()
	stores, cfg := threeASes(b, ctx)
	for _, s := range stores {
		s.Insert(testHash, time.Now())
	}
	v := newViewer(b)
	tc, err := NewTC(TCConfig{DP: startDP(b, ctx, cfg), Viewer: v.pc.LocalAddr().String()})
	if err != nil {
		b.Fatal(err)
	}
	defer tc.Close()
	for b.Loop() {
		if o := tc.Trace(ctx, testHash); o.Kind != Succeeded {
			b.Fatal(o.Reason)
		}
	}
}
