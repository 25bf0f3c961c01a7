package intertrack

import (
	"crypto/md5"
	"encoding/binary"
	"testing"
	"time"
)

func hashN(i uint64) [16]byte {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], i)
	return md5.Sum(b[:])
}

func TestBloomSizeTheory(t *testing.T) {
	m, k := BloomSize(1_000_000, 0.01)
	// -n ln p / ln²2 = 9,585,059 bits ≈ 1.198 MB; k = 7.
	if m < 9_585_000 || m > 9_586_000 || k != 7 {
		t.Errorf("BloomSize(1e6, 1%%) = %d bits, k=%d", m, k)
	}
}

func TestDigestNoFalseNegativesAndFPRate(t *testing.T) {
	const n = 100_000
	s := NewDigestStore(DigestConfig{Window: time.Hour, Windows: 1, Capacity: n, FPRate: 0.01})
	now := time.Now()
	for i := uint64(0); i < n; i++ {
		s.Insert(hashN(i), now)
	}
	for i := uint64(0); i < n; i++ {
		if !s.Contains(hashN(i), time.Time{}, time.Time{}) {
			t.Fatalf("false negative for %d", i)
		}
	}
	fp := 0
	for i := uint64(n); i < 2*n; i++ {
		if s.Contains(hashN(i), time.Time{}, time.Time{}) {
			fp++
		}
	}
	rate := float64(fp) / n
	// Expected 1 %; the standard deviation over 1e5 probes is 0.03 %.
	if rate < 0.007 || rate > 0.013 {
		t.Errorf("false-positive rate %.4f at capacity, want ≈ 0.01", rate)
	}
	st := s.Stats()
	if st.Inserted != n || st.WorstFPRate < 0.008 || st.WorstFPRate > 0.012 {
		t.Errorf("stats %+v", st)
	}
	t.Logf("measured FP %.4f, estimated %.4f, %d bytes", rate, st.WorstFPRate, st.Bytes)
}

func TestDigestWindowsRotateAndExpire(t *testing.T) {
	s := NewDigestStore(DigestConfig{Window: time.Second, Windows: 3, Capacity: 1000})
	t0 := time.Unix(1_700_000_000, 0)
	a, b, c := hashN(1), hashN(2), hashN(3)
	s.Insert(a, t0)
	s.Insert(b, t0.Add(1500*time.Millisecond))
	if !s.Contains(a, time.Time{}, time.Time{}) || !s.Contains(b, time.Time{}, time.Time{}) {
		t.Fatal("inserted hashes missing")
	}
	// Time ranges select windows.
	if s.Contains(b, t0, t0.Add(500*time.Millisecond)) {
		t.Error("b found in a window before it was seen")
	}
	if !s.Contains(a, t0, t0.Add(500*time.Millisecond)) || !s.Contains(b, t0.Add(time.Second), time.Time{}) {
		t.Error("range query missed")
	}
	// Three windows later, a's window is reused: a expires, b stays.
	s.Insert(c, t0.Add(3*time.Second))
	if s.Contains(a, time.Time{}, time.Time{}) {
		t.Error("a survived the rotation of its window")
	}
	if !s.Contains(b, time.Time{}, time.Time{}) || !s.Contains(c, time.Time{}, time.Time{}) {
		t.Error("b or c lost")
	}
	// A packet older than the oldest window is counted, not stored.
	s.Insert(hashN(4), t0)
	if s.Stats().Late != 1 || s.Contains(hashN(4), time.Time{}, time.Time{}) {
		t.Errorf("late packet: stats %+v", s.Stats())
	}
}

func TestDigestMemoryBound(t *testing.T) {
	s := NewDigestStore(DigestConfig{Windows: 4, Capacity: 10_000_000, FPRate: 0.01, MaxBytes: 1 << 20})
	st := s.Stats()
	if st.Bytes > 1<<20 {
		t.Errorf("store holds %d bytes, bound 1 MiB", st.Bytes)
	}
	if st.HashFuncs < 1 {
		t.Errorf("k = %d", st.HashFuncs)
	}
}
