package console

import (
	"bytes"
	"context"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/packter/packter/console/consoletest"
	"github.com/packter/packter/event"
	"github.com/packter/packter/timeline"
)

// watchWriter is the program's output; it signals when a frame holds want.
type watchWriter struct {
	mu   sync.Mutex
	want []byte
	seen chan struct{}
}

func (w *watchWriter) expect(token string) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.want = []byte(token)
	w.seen = make(chan struct{})
	return w.seen
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.want != nil && bytes.Contains(p, w.want) {
		close(w.seen)
		w.want = nil
	}
	return len(p), nil
}

// feed appends synthetic events at rate per second until stop closes, and
// returns how many it appended.
func feed(tl *timeline.Timeline, rate int, stop <-chan struct{}, n *atomic.Int64) {
	tk := time.NewTicker(time.Millisecond)
	defer tk.Stop()
	// Events are made once: the feed should cost what the monitor's own
	// appends cost, not the making of synthetic addresses.
	pre := make([]event.Event, 4096)
	for i := range pre {
		pre[i] = consoletest.Synthetic(i, time.Time{})
	}
	start := time.Now()
	i := 0
	for {
		select {
		case <-stop:
			return
		case <-tk.C:
		}
		due := int(time.Since(start).Seconds() * float64(rate))
		now := time.Now()
		for ; i < due; i++ {
			ev := &pre[i%len(pre)]
			ev.Time = now
			tl.Append(ev)
		}
		n.Store(int64(i))
	}
}

// BenchmarkKeyToScreen measures, on the real bubbletea program, the time from
// writing a key to its input to the output receiving the frame that shows the
// key's effect, while 100,000 events per second arrive on the timeline. The
// renderer writes only changed cells, so no text can be waited for: the tick
// is set to an hour, so that the only frame after a key is the key's.
//
// "filter-rare" first sets a filter that no event matches, so that every
// snapshot scans its limit of events: the worst case.
func BenchmarkKeyToScreen(b *testing.B) {
	b.Run("no-filter", func(b *testing.B) { benchKeyToScreen(b, "") })
	b.Run("filter-rare", func(b *testing.B) { benchKeyToScreen(b, "udp port:7") })
}

func benchKeyToScreen(b *testing.B, filter string) {
	const rate = 100_000
	tl := timeline.New(1 << 22)
	stop := make(chan struct{})
	var fed atomic.Int64
	go feed(tl, rate, stop, &fed)
	defer close(stop)

	inR, inW := io.Pipe()
	out := &watchWriter{}
	cfg := Config{Timeline: tl, Sound: consoletest.NewSound(), Speech: &consoletest.Speech{},
		In: inR, Out: out, NoColor: true, Tick: time.Hour, Now: time.Now,
		Getenv: func(string) string { return "" }}
	done := make(chan error, 1)
	ready := out.expect("Packter console")
	go func() { done <- run(context.Background(), cfg) }()
	<-ready
	if filter != "" {
		shown := out.expect(filter)
		io.WriteString(inW, "f")
		for _, r := range filter + "\r" {
			io.WriteString(inW, string(r))
		}
		<-shown
	}
	time.Sleep(200 * time.Millisecond) // let the feed reach its rate before measuring

	lat := make([]time.Duration, 0, b.N)
	fedStart, t0 := fed.Load(), time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Volume keys change one line; pause and live change the mode, and
		// live takes a new snapshot of the list.
		key := [...]string{"+", "-", " ", " "}[i%4]
		seen := out.expect("")       // the next frame
		time.Sleep(time.Millisecond) // let a frame in flight finish first
		start := time.Now()
		io.WriteString(inW, key)
		select {
		case <-seen:
		case <-time.After(5 * time.Second):
			b.Fatalf("key %q: no frame", key)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	elapsed := time.Since(t0)
	rateSeen := float64(fed.Load()-fedStart) / elapsed.Seconds()
	io.WriteString(inW, "q")
	<-done

	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
	b.ReportMetric(rateSeen, "events/s")
}

// BenchmarkSnapshot is one refresh of the list, counts and messages on a
// timeline of a million events: with a filter matching one event in ten, and
// with one matching nothing (the scan runs to its limit: the worst case).
func BenchmarkSnapshot(b *testing.B) {
	tl := timeline.New(1 << 20)
	for i := 0; i < 1<<20; i++ {
		ev := consoletest.Synthetic(i, consoletest.Base.Add(time.Duration(i)*time.Microsecond))
		tl.Append(&ev)
	}
	for _, tc := range []struct{ name, filter string }{{"filter-tenth", "tcp syn v4"}, {"filter-nothing", "udp port:7"}} {
		b.Run(tc.name, func(b *testing.B) {
			c := newCore(Config{Timeline: tl, Now: time.Now})
			c.list.rows = 20
			f, err := ParseFilter(tc.filter)
			if err != nil {
				b.Fatal(err)
			}
			c.find.filter = f
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c.refresh()
			}
		})
	}
}

// BenchmarkView is rendering one full-screen frame of 100x40.
func BenchmarkView(b *testing.B) {
	tl := timeline.New(1 << 16)
	for i := 0; i < 1000; i++ {
		ev := consoletest.Synthetic(i, consoletest.Base.Add(time.Duration(i)*time.Millisecond))
		tl.Append(&ev)
	}
	c := newCore(Config{Timeline: tl, Sound: consoletest.NewSound(), Now: time.Now})
	m := newModel(context.Background(), c, newStyles(true), defaultTick)
	m.width, m.height = 100, 40
	m.resize()
	c.refresh()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = m.View()
	}
}

// countWriter counts bytes and writes (one write per rendered frame).
type countWriter struct {
	mu            sync.Mutex
	bytes, writes int
}

func (w *countWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.bytes += len(p)
	w.writes++
	w.mu.Unlock()
	return len(p), nil
}

func (w *countWriter) read() (int, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.bytes, w.writes
}

// BenchmarkRedraws measures the full-screen program's output over 3 s: idle
// (no new events) and busy (1,000 events/s). Run with -benchtime=1x.
func BenchmarkRedraws(b *testing.B) {
	for _, rate := range []int{0, 1000} {
		b.Run(map[int]string{0: "idle", 1000: "busy-1000"}[rate], func(b *testing.B) {
			tl := timeline.New(1 << 20)
			for i := 0; i < 100; i++ {
				ev := consoletest.Synthetic(i, time.Now())
				tl.Append(&ev)
			}
			stop := make(chan struct{})
			var fed atomic.Int64
			if rate > 0 {
				go feed(tl, rate, stop, &fed)
			}
			inR, inW := io.Pipe()
			out := &countWriter{}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, Config{Timeline: tl, Sound: consoletest.NewSound(), In: inR, Out: out,
					NoColor: true, Tick: defaultTick, Now: time.Now, Getenv: func(string) string { return "" }})
			}()
			time.Sleep(time.Second) // first frames
			b0, w0 := out.read()
			const span = 3 * time.Second
			time.Sleep(span)
			b1, w1 := out.read()
			cancel()
			inW.Close()
			close(stop)
			<-done
			b.ReportMetric(float64(b1-b0)/span.Seconds(), "bytes/s")
			b.ReportMetric(float64(w1-w0)/span.Seconds(), "redraws/s")
		})
	}
}
