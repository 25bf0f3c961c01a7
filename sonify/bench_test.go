package sonify

import (
	"context"
	"math"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/packter/packter/wav"
	"golang.org/x/sys/unix"
)

// threadCPU is the CPU time the calling OS thread has used.
func threadCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// discardWS is a WAV destination that keeps nothing, so that benchmarks time
// the engine and the encoding, not a growing buffer.
type discardWS struct{}

func (discardWS) Write(p []byte) (int, error)    { return len(p), nil }
func (discardWS) Seek(int64, int) (int64, error) { return 0, nil }

func offlineEngine(tb testing.TB, opts Options) *Engine {
	e, err := newOffline(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(e.lib.close)
	return e
}

// discardWAV is a WAV writer into discardWS: the encoding is timed too.
func discardWAV(tb testing.TB, rate int) *wav.Writer {
	w, err := wav.NewWriter(discardWS{}, rate, 2)
	if err != nil {
		tb.Fatal(err)
	}
	return w
}

// BenchmarkRender64Voices renders one second of 48 kHz stereo with all 64
// voices sounding (FM notes, glides and noise mixed, as the gestures use).
func BenchmarkRender64Voices(b *testing.B) {
	e := offlineEngine(b, Options{})
	ww := discardWAV(b, e.rate)
	gestures := []Gesture{GesturePluck, GestureOpen, GestureClose, GestureDrop, GesturePing, GestureReset}
	fill := func() {
		for i := range e.r.voices {
			if e.r.voices[i].kind != voiceFree {
				continue
			}
			c := Cue{Gesture: gestures[i%len(gestures)], Class: i % 10, Freq: 220 + 13*float64(i), Pan: float64(i%9)/4 - 1,
				Gain: 0.02, Decay: 30, Ratio: 1 + float64(i%3), Bright: 1}
			e.r.voices[i].startTone(&c, float64(e.rate), c.Gain, uint32(i+1))
		}
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ResetTimer()
	cpu0 := threadCPU()
	for range b.N {
		for f := 0; f < e.rate; f += maxBlock {
			fill()
			ww.Write(e.r.renderBlock(maxBlock))
		}
	}
	cpu := threadCPU() - cpu0
	b.StopTimer()
	active := 0
	for i := range e.r.voices {
		if e.r.voices[i].kind != voiceFree {
			active++
		}
	}
	if active != maxVoices {
		b.Fatalf("%d voices active, want %d", active, maxVoices)
	}
	// CPU time of this thread: the figure for "one core", whatever else the
	// machine is doing; wall time is in ns/op.
	b.ReportMetric(float64(b.N)/cpu.Seconds(), "x_realtime_cpu")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "x_realtime_wall")
}

// BenchmarkEvent is the cost of one packet event in the steady state (the
// class is a texture: counted, no note).
func BenchmarkEvent(b *testing.B) {
	e := offlineEngine(b, Options{})
	// A working set that stays in cache, as a monitor's just-received events do.
	evs := flood(1e6, time.Millisecond, 1)
	for i := 0; i < 20; i++ {
		for _, ev := range evs[:1000] {
			e.Event(ev)
		}
		e.renderBlock(maxBlock)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		e.Event(evs[i%len(evs)])
		if i%4096 == 0 {
			b.StopTimer()
			e.renderBlock(maxBlock)
			b.StartTimer()
		}
	}
}

// cpuAtRate renders 2 s of traffic at the given rate (events built before
// the clock starts) and reports CPU time as a share of one core.
func cpuAtRate(b *testing.B, rate float64) {
	evs := flood(rate, 2*time.Second, 11)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ResetTimer()
	cpu0 := threadCPU()
	for range b.N {
		e := offlineEngine(b, Options{})
		if err := e.renderEvents(context.Background(), slices.Values(evs), discardWAV(b, e.rate).Write); err != nil {
			b.Fatal(err)
		}
	}
	cpu := threadCPU() - cpu0
	b.StopTimer()
	// Per second of traffic (the render's short tail is counted as cost).
	audioSec := 2.0
	b.ReportMetric(100*cpu.Seconds()/float64(b.N)/audioSec, "%core")
}

func BenchmarkCPU1kEventsPerSec(b *testing.B) { cpuAtRate(b, 1000) }
func BenchmarkCPU1MEventsPerSec(b *testing.B) { cpuAtRate(b, 1e6) }

// BenchmarkSchedulingError measures, on rendered output, how far each cue's
// onset lies from its event's time: pings at irregular times, onset = first
// sample above -60 dBFS after silence.
func BenchmarkSchedulingError(b *testing.B) {
	evs, times := irregularPlucks(40)
	worst := 0.0
	for range b.N {
		a := renderT(b, Options{}, nil, evs)
		for i, got := range onsets(a, times) {
			want := times[i].Seconds() * float64(a.rate)
			if got < 0 {
				b.Fatalf("event %d: no onset", i)
			}
			worst = math.Max(worst, math.Abs(float64(got)-want)/float64(a.rate)*1000)
		}
	}
	b.ReportMetric(worst, "max_ms")
}

// BenchmarkLiveSchedulingError runs the real-time path (no sound card: the
// wall-clock driver writing --wav), feeds pings stamped with time.Now() at
// irregular intervals, and measures on the WAV how far each onset lies from
// its event's time plus the engine's fixed 30 ms latency (in the anchor).
func BenchmarkLiveSchedulingError(b *testing.B) {
	worst := 0.0
	for range b.N {
		path := b.TempDir() + "/live.wav"
		e, err := New(context.Background(), Options{WAV: path})
		if err != nil {
			b.Fatal(err)
		}
		e.in.mu.Lock()
		anchorT, anchorFrame := e.in.clk.anchorT, e.in.clk.anchorFrame
		e.in.mu.Unlock()
		var want []float64
		for i := 0; i < 10; i++ {
			time.Sleep(time.Duration(400+i*37) * time.Millisecond)
			now := time.Now()
			e.Event(withTime(pkt(0, "10.0.0.1", 40000, 80, 0), now))
			want = append(want, float64(anchorFrame)+now.Sub(anchorT).Seconds()*float64(e.rate))
		}
		time.Sleep(300 * time.Millisecond)
		if err := e.Close(); err != nil {
			b.Fatal(err)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		a := decodeWAV(b, raw)
		m := a.mono()
		for i, w := range want {
			got := firstAbove(m, max(0, int(w)-a.rate/5), 1e-3)
			if got < 0 {
				b.Fatalf("event %d: no onset (dropped %d)", i, e.Dropped())
			}
			worst = math.Max(worst, math.Abs(float64(got)-w)/float64(a.rate)*1000)
		}
	}
	b.ReportMetric(worst, "max_ms")
}
