package sonify

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// Four producers push at once while one consumer pops: every command arrives
// exactly once, each producer's in the order it pushed them, and a full queue
// refuses instead of waiting.
func TestCmdQueueMPSC(t *testing.T) {
	q := newCmdQueue(64)
	const producers, each = 4, 5000
	var wg sync.WaitGroup
	refused := make([]int, producers)
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; {
				if q.push(cmd{kind: cmdCue, at: int64(p), millis: i}) {
					i++
				} else {
					refused[p]++
					runtime.Gosched()
				}
			}
		}()
	}
	next := make([]int, producers)
	got := 0
	for got < producers*each {
		c, ok := q.pop()
		if !ok {
			continue
		}
		p := int(c.at)
		if c.millis != next[p] {
			t.Fatalf("producer %d: got %d, want %d", p, c.millis, next[p])
		}
		next[p]++
		got++
	}
	wg.Wait()
	if _, ok := q.pop(); ok || q.Len() != 0 {
		t.Error("queue not empty at the end")
	}
	total := 0
	for _, r := range refused {
		total += r
	}
	t.Logf("%d pushes refused while full", total)
	for i := 0; i < 64; i++ {
		if !q.push(cmd{}) {
			t.Fatalf("refused push %d into an empty 64-slot queue", i)
		}
	}
	if q.push(cmd{}) {
		t.Error("a full queue accepted a 65th command")
	}
}

// The WAV ring drops whole blocks when its reader falls behind, counts them,
// and never hands out a torn block.
func TestSampleRingDropsWhenFull(t *testing.T) {
	r := newSampleRing(16)
	r.write([]float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	r.write([]float32{11, 12, 13, 14, 15, 16, 17, 18}) // does not fit: dropped
	if d := r.dropped.Load(); d != 8 {
		t.Errorf("dropped %d samples, want 8", d)
	}
	buf := make([]float32, 32)
	if n := r.read(buf); n != 10 || buf[0] != 1 || buf[9] != 10 {
		t.Errorf("read %d: %v", n, buf[:n])
	}
	r.write([]float32{21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32}) // wraps around
	if n := r.read(buf); n != 12 || buf[0] != 21 || buf[11] != 32 {
		t.Errorf("after wrapping, read %d: %v", n, buf[:n])
	}
}

// BenchmarkEventWhileRendering is Event's cost while another goroutine
// renders a block every 10.7 ms, as the sound card pulls them: the intake and
// the renderer share no lock, so Event costs what it costs alone.
func BenchmarkEventWhileRendering(b *testing.B) {
	e := offlineEngine(b, Options{})
	evs := flood(1e6, time.Millisecond, 1)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Duration(maxBlock) * time.Second / 48000)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				e.renderBlock(maxBlock)
			}
		}
	}()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := threadCPU()
	for i := range b.N {
		e.Event(evs[i%len(evs)])
	}
	cpu := threadCPU() - cpu0
	b.StopTimer()
	// CPU time of this thread per event: what the caller pays, whatever the
	// scheduler does with the two goroutines.
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu_ns/event")
	close(stop)
	<-done
}
