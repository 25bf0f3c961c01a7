package bus_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/packter/packter/bus"
	"github.com/packter/packter/bus/hub"
	"github.com/packter/packter/event"
	"github.com/packter/packter/ingest"
	"github.com/packter/packter/monitor"
	"github.com/packter/packter/protocol"
	"github.com/packter/packter/timeline"
)

// startCluster starts n embedded JetStream servers on loopback, ports
// chosen by the servers; each stops at the test's end. A JetStream node
// needs a configured route when it starts, and with chosen ports none is
// known before the first node runs: so a seed node without JetStream starts
// first, the others route to it and find each other through it.
func startCluster(t testing.TB, n int, extra func(*hub.Config)) []*hub.Hub {
	t.Helper()
	var hubs []*hub.Hub
	var seed string
	if n > 1 {
		h, err := hub.Start(hub.Config{Listen: "127.0.0.1:0", ClusterListen: "127.0.0.1:0", Name: "seed", NoJetStream: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(h.Shutdown)
		seed = h.ClusterURL()
	}
	for i := range n {
		cfg := hub.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), Name: fmt.Sprintf("n%d", i)}
		if n > 1 {
			cfg.ClusterListen = "127.0.0.1:0"
			cfg.Routes = []string{seed}
		}
		if extra != nil {
			extra(&cfg)
		}
		h, err := hub.Start(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(h.Shutdown)
		hubs = append(hubs, h)
	}
	return hubs
}

func urls(hubs []*hub.Hub, first int) string {
	var u []string
	for i := range hubs {
		u = append(u, hubs[(first+i)%len(hubs)].ClientURL())
	}
	return strings.Join(u, ",")
}

func connect(t testing.TB, o bus.ClientOptions) *nats.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nc, err := bus.Connect(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// ensureStream creates the stream once the cluster has elected its
// JetStream leader (the servers are up before they agree on one, and a
// request made before then is never answered: hence the short attempts).
func ensureStream(t testing.TB, nc *nats.Conn, replicas int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		actx, acancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := bus.EnsureStream(actx, nc, bus.StreamConfig{Replicas: replicas})
		acancel()
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("stream: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// counter is a monitor output counting each record description, and
// signalling when it has seen want distinct ones.
type counter struct {
	mu     sync.Mutex
	seen   map[string]int
	authed int
	want   int
	done   chan struct{}
	at     map[int]chan struct{} // closed when that many distinct records are in
}

func newCounter(want int) *counter {
	return &counter{seen: map[string]int{}, want: want, done: make(chan struct{})}
}

func (c *counter) Event(ev *event.Event) {
	if ev.Kind != event.KindPacket {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen[ev.Desc.String()]++
	if ev.Authed {
		c.authed++
	}
	if ch, ok := c.at[len(c.seen)]; ok && c.seen[ev.Desc.String()] == 1 {
		close(ch)
		delete(c.at, len(c.seen))
	}
	if len(c.seen) == c.want && c.seen[ev.Desc.String()] == 1 {
		close(c.done)
	}
}

func (c *counter) wait(t *testing.T, name string, d time.Duration) {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(d):
		c.mu.Lock()
		defer c.mu.Unlock()
		t.Fatalf("%s: %d of %d records after %v", name, len(c.seen), c.want, d)
	}
}

func runMonitor(t *testing.T, ctx context.Context, src monitor.Source, keys map[string][]byte, out monitor.Output) {
	t.Helper()
	m, err := monitor.New(monitor.Config{Ingest: ingest.Config{Keys: keys}, Timeline: timeline.New(1 << 16),
		Sources: []monitor.Source{src}, Outputs: []monitor.Output{out}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("monitor: %v", err)
		}
	})
}

func rec(desc string) *protocol.Record {
	return &protocol.Record{
		Src: protocol.AddrFrom(netip.MustParseAddr("10.0.0.1")), Dst: protocol.AddrFrom(netip.MustParseAddr("192.0.2.10")),
		SPort: protocol.PortFrom(60000), DPort: protocol.PortFrom(443), Flag: 1, Desc: []byte(desc),
	}
}

// TestClusterFailover: three nodes in this process, stream replicas 3, two
// agents at two sites, two monitors with different filters; the agents'
// node shuts down cleanly halfway (handing over what it leads); every record
// arrives exactly once at the monitor whose filter takes it, and none at the
// other. TestKillNode kills a node's process instead.
func TestClusterFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	hubs := startCluster(t, 3, nil)
	admin := connect(t, bus.ClientOptions{URLs: urls(hubs, 1)})
	ensureStream(t, admin, 3)

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel) // runs before the monitors' cleanups wait for them
	const n = 20000
	start := time.Now().Add(-time.Second)
	key := []byte("tokyo-secret")
	tokyo, osaka := newCounter(n), newCounter(n)
	for _, m := range []struct {
		filter, durable string
		out             *counter
	}{{"packter.tokyo.>", "", tokyo}, {"packter.osaka.*", "osaka-board", osaka}} {
		nc := connect(t, bus.ClientOptions{URLs: urls(hubs, 2)})
		src, err := bus.NewSource(nc, bus.SourceConfig{Filters: []string{m.filter}, Durable: m.durable, Start: start})
		if err != nil {
			t.Fatal(err)
		}
		runMonitor(t, ctx, src, map[string][]byte{"tokyo-1": key}, m.out)
	}

	type agentRun struct {
		b  *bus.Batcher
		p  *bus.Publisher
		id string
	}
	var agents []agentRun
	for i, a := range []struct{ site, id string }{{"tokyo", "tokyo-1"}, {"osaka", "osaka-1"}} {
		// Given only the URL of the server that will stop, each agent
		// connects there (the client shuffles a list), and learns the
		// others' from it.
		nc := connect(t, bus.ClientOptions{URLs: hubs[0].ClientURL(), Name: a.id})
		p, err := bus.NewPublisher(nc, bus.PublisherConfig{AckTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		bc := bus.BatcherConfig{Subject: bus.Subject(a.site, a.id), Window: 5 * time.Millisecond, Max: 4000}
		if i == 0 {
			bc.AgentID, bc.Key = a.id, key
		}
		b, err := bus.NewBatcher(p, bc)
		if err != nil {
			t.Fatal(err)
		}
		agents = append(agents, agentRun{b, p, a.site})
	}
	send := func(from, to int) {
		for i := from; i < to; i++ {
			for _, a := range agents {
				if err := a.b.Record(rec(fmt.Sprintf("%s-%d", a.id, i))); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	send(0, n/2)
	hubs[0].Shutdown() // mid-stream: the agents' server, maybe a leader
	send(n/2, n)
	for _, a := range agents {
		fctx, fcancel := context.WithTimeout(ctx, 30*time.Second)
		if err := a.b.Flush(fctx); err != nil {
			t.Fatalf("%s: %v", a.id, err)
		}
		fcancel()
		a.b.Close()
		a.p.Close(time.Second)
		t.Logf("%s: %+v", a.id, a.p.Stats())
	}
	tokyo.wait(t, "tokyo monitor", 30*time.Second)
	osaka.wait(t, "osaka monitor", 30*time.Second)
	cancel()
	for name, c := range map[string]*counter{"tokyo": tokyo, "osaka": osaka} {
		c.mu.Lock()
		for d, k := range c.seen {
			if k != 1 {
				t.Errorf("%s monitor: %q arrived %d times", name, d, k)
			}
			if !strings.HasPrefix(d, name+"-") {
				t.Errorf("%s monitor: got %q, outside its filter", name, d)
			}
		}
		c.mu.Unlock()
	}
	if tokyo.authed != n {
		t.Errorf("tokyo monitor: %d of %d records authenticated", tokyo.authed, n)
	}
}
