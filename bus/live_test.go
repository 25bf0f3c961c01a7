package bus

import (
	"runtime"
	"strconv"
	"testing"
	"time"
)

// TestRecentIDs: an id is new once; it is remembered for at least the
// window's age or half its count, and forgotten after twice that.
func TestRecentIDs(t *testing.T) {
	now := time.Unix(1e9, 0)
	r := newRecentIDs(8, time.Minute)
	r.now = func() time.Time { return now }
	r.since = now
	if !r.first("a") || r.first("a") {
		t.Fatal("a: want new, then seen")
	}
	for i := range 4 { // fills the current generation (4): a moves to the old one
		r.first(strconv.Itoa(i))
	}
	if r.first("a") {
		t.Fatal("a forgotten after 4 later ids, want remembered for 4")
	}
	for i := range 4 {
		r.first("x" + strconv.Itoa(i))
	}
	if !r.first("a") {
		t.Fatal("a remembered after 9 later ids, want at most 8")
	}
	if n := r.len(); n > 8 {
		t.Fatalf("%d ids remembered, want at most 8", n)
	}
	now = now.Add(59 * time.Second)
	if r.first("x3") {
		t.Fatal("x3 forgotten within the window's age")
	}
	now = now.Add(2 * time.Minute)
	r.first("b") // a quiet spell longer than twice the age: both generations go
	if !r.first("x3") {
		t.Fatal("x3 remembered after twice the window's age")
	}
}

// BenchmarkRecentIDs: the cost of one id, and the memory of a full set
// (recentMax ids of the Publisher's form).
//
//	go test -run XXX -bench RecentIDs ./bus/
func BenchmarkRecentIDs(b *testing.B) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := newRecentIDs(recentMax, time.Hour)
	const boot = "0BcDeFgHiJkLmNoPqRsTuV."
	for i := range recentMax {
		r.first(boot + strconv.FormatUint(uint64(i), 36))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	mb, ids := float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), r.len()
	b.ResetTimer()
	for i := range b.N {
		r.first(boot + strconv.FormatUint(uint64(recentMax+i), 36))
	}
	b.ReportMetric(mb, "MB-full")
	b.ReportMetric(float64(ids), "ids")
}
