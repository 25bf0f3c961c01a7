package bus_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/packter/packter/bus"
	"github.com/packter/packter/event"
	"github.com/packter/packter/monitor"
)

// arrivals is a monitor output noting when each record arrives: records
// carry "seq sentUnixNano" as their description.
type arrivals struct {
	mu    sync.Mutex
	lat   []time.Duration
	times []time.Time
	seen  map[int]int
	want  int
	done  chan struct{}
}

func newArrivals(want int) *arrivals {
	return &arrivals{seen: make(map[int]int, want), want: want, done: make(chan struct{})}
}

func (a *arrivals) Event(ev *event.Event) {
	if ev.Kind != event.KindPacket {
		return
	}
	now := time.Now()
	seq, sent, _ := strings.Cut(ev.Desc.String(), " ")
	n, _ := strconv.Atoi(seq)
	ns, _ := strconv.ParseInt(sent, 10, 64)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seen[n]++
	a.lat = append(a.lat, now.Sub(time.Unix(0, ns)))
	a.times = append(a.times, now)
	if len(a.seen) == a.want && a.seen[n] == 1 {
		close(a.done)
	}
}

// count counts records: the cheapest output, so the figure is the bus's
// and the monitor's, not the measuring's (exactly once is the tests' job).
type count struct {
	n    atomic.Uint64
	want uint64
	done chan struct{}
}

func (c *count) Event(ev *event.Event) {
	if ev.Kind == event.KindPacket && c.n.Add(1) == c.want {
		close(c.done)
	}
}

type benchRig struct {
	b *bus.Batcher
	p *bus.Publisher
}

// rig starts a three-node cluster (replicas 3), one monitor reading all of
// it into out, and one agent publishing.
func rig(b *testing.B, out monitor.Output) *benchRig {
	b.Helper()
	hubs := startCluster(b, 3, nil)
	admin := connect(b, bus.ClientOptions{URLs: urls(hubs, 1)})
	ensureStream(b, admin, 3)
	return rigClients(b, urls(hubs, 2), urls(hubs, 0), out)
}

// rigClients starts a monitor reading all of the stream from monitorURLs
// into out, and an agent publishing to agentURLs.
func rigClients(b *testing.B, monitorURLs, agentURLs string, out monitor.Output) *benchRig {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	nc := connect(b, bus.ClientOptions{URLs: monitorURLs})
	src, err := bus.NewSource(nc, bus.SourceConfig{Start: time.Now().Add(-time.Second)})
	if err != nil {
		b.Fatal(err)
	}
	m, err := monitor.New(monitor.Config{Sources: []monitor.Source{src}, Outputs: []monitor.Output{out}})
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	pc := connect(b, bus.ClientOptions{URLs: agentURLs})
	p, err := bus.NewPublisher(pc, bus.PublisherConfig{AckTimeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	bt, err := bus.NewBatcher(p, bus.BatcherConfig{Subject: bus.Subject("bench", "a1"), Window: 5 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	return &benchRig{b: bt, p: p}
}

func (r *benchRig) send(b *testing.B, i int) {
	if err := r.b.Record(rec(strconv.Itoa(i) + " " + strconv.FormatInt(time.Now().UnixNano(), 10))); err != nil {
		b.Fatal(err)
	}
}

func (a *arrivals) wait(b *testing.B) {
	select {
	case <-a.done:
	case <-time.After(60 * time.Second):
		a.mu.Lock()
		defer a.mu.Unlock()
		b.Fatalf("%d of %d records arrived", len(a.seen), a.want)
	}
}

// BenchmarkClusterThroughput: records through a three-node loopback cluster
// (replicas 3) into one monitor, in bulk messages, as fast as they go.
//
//	go test -run XXX -bench ClusterThroughput -benchtime 2000000x ./bus/
func BenchmarkClusterThroughput(b *testing.B) {
	c := &count{want: uint64(b.N), done: make(chan struct{})}
	r := rig(b, c)
	one := rec("a record of typical length: TCP src:10.0.0.1(60000) dst:192.0.2.10(443)")
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if err := r.b.Record(one); err != nil {
			b.Fatal(err)
		}
	}
	r.b.Close()
	select {
	case <-c.done:
	case <-time.After(60 * time.Second):
		b.Fatalf("%d of %d records arrived", c.n.Load(), b.N)
	}
	el := time.Since(start)
	b.ReportMetric(float64(b.N)/el.Seconds(), "records/s")
}

// BenchmarkClusterLatency: agent-to-monitor latency at 100,000 records/s
// (paced in 1 ms steps) through the three-node cluster; b.N records.
//
//	go test -run XXX -bench ClusterLatency -benchtime 300000x ./bus/
func BenchmarkClusterLatency(b *testing.B) {
	a := newArrivals(b.N)
	r := rig(b, a)
	b.ResetTimer()
	start := time.Now()
	pace(b, r, 0, b.N, 100)
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "sent/s")
	r.b.Close()
	a.wait(b)
	b.StopTimer()
	reportLatency(b, a)
}

// pace sends records from..to at perMs records a millisecond, on average:
// each tick sends what is due by then, so a late tick (or a Record that
// waited) does not lower the rate.
func pace(b *testing.B, r *benchRig, from, to, perMs int) {
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	start := time.Now()
	for i := from; i < to; {
		<-t.C
		due := min(to, from+int(time.Since(start)/time.Millisecond+1)*perMs)
		for ; i < due; i++ {
			r.send(b, i)
		}
	}
}

func reportLatency(b *testing.B, a *arrivals) {
	a.mu.Lock()
	defer a.mu.Unlock()
	l := slices.Clone(a.lat)
	slices.Sort(l)
	q := func(p float64) float64 { return float64(l[int(p*float64(len(l)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(q(1), "max-ms")
}

// BenchmarkClusterFailover: records at 10,000/s through a three-node
// cluster whose nodes are processes of their own (as in TestKillNode);
// halfway, the node the agent publishes through dies by SIGKILL: in
// clients-node one that leads no Raft group (the monitor reads through it
// too), in stream-leader the stream's leader. Reports records lost and
// duplicated (both must be 0), resume-s (kill → first record sent after it
// arrives), silence-s (the longest time without an arrival), catchup-s
// (kill → the last record to arrive over 250 ms after it was sent) and the
// publisher's retries.
//
//	go test -run XXX -bench ClusterFailover -benchtime 40000x ./bus/
func BenchmarkClusterFailover(b *testing.B) {
	for _, v := range []struct {
		name   string
		leader bool
	}{{"clients-node", false}, {"stream-leader", true}} {
		b.Run(v.name, func(b *testing.B) {
			ps := startProcesses(b, 3)
			admin := connect(b, bus.ClientOptions{URLs: procURLs(ps)})
			ensureStream(b, admin, 3)
			js, err := jetstream.New(admin)
			if err != nil {
				b.Fatal(err)
			}
			target, _ := killTarget(b, js, ps, v.leader)
			monitorURLs := procURLs(ps)
			if !v.leader {
				monitorURLs = target.clientURL
			}
			a := newArrivals(b.N)
			r := rigClients(b, monitorURLs, target.clientURL, a)
			b.ResetTimer()
			pace(b, r, 0, b.N/2, 10)
			killed := time.Now()
			target.kill(b)
			pace(b, r, b.N/2, b.N, 10)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if err := r.b.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			r.b.Close()
			a.wait(b)
			b.StopTimer()
			a.mu.Lock()
			as := make([]arrivalTime, len(a.times))
			for i, at := range a.times {
				as[i] = arrivalTime{at: at, sent: at.Add(-a.lat[i])}
			}
			dups := 0
			for _, k := range a.seen {
				dups += k - 1
			}
			lost := b.N - len(a.seen)
			a.mu.Unlock()
			f := failover(killed, as)
			b.ReportMetric(float64(lost), "lost")
			b.ReportMetric(float64(dups), "duplicates")
			b.ReportMetric(f.resume.Seconds(), "resume-s")
			b.ReportMetric(f.silence.Seconds(), "silence-s")
			b.ReportMetric(f.caughtUp.Seconds(), "catchup-s")
			b.ReportMetric(float64(r.p.Stats().Retries), "retries")
		})
	}
}
