package bus_test

import (
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/packter/packter/bus"
	"github.com/packter/packter/bus/hub"
	"github.com/packter/packter/event"
	"github.com/packter/packter/intertrack"
	"github.com/packter/packter/protocol"
)

// oneNode starts a single embedded server with the stream (replicas 1).
// stream is the PACKTER stream, as nc sees it.
func stream(t testing.TB, ctx context.Context, nc *nats.Conn) jetstream.Stream {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, bus.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// publisher makes a Publisher on nc, closed at the test's end.
func publisher(t testing.TB, nc *nats.Conn, cfg bus.PublisherConfig) *bus.Publisher {
	t.Helper()
	p, err := bus.NewPublisher(nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(time.Second) })
	return p
}

func oneNode(t *testing.T, extra func(*hub.Config), o bus.ClientOptions) (*hub.Hub, *nats.Conn) {
	t.Helper()
	h := startCluster(t, 1, extra)[0]
	o.URLs = h.ClientURL()
	nc := connect(t, o)
	ensureStream(t, nc, 1)
	return h, nc
}

func TestCredentialsEnforced(t *testing.T) {
	h, _ := oneNode(t, func(c *hub.Config) { c.User, c.Password = "tokyo", "s3cret" },
		bus.ClientOptions{User: "tokyo", Password: "s3cret"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for name, o := range map[string]bus.ClientOptions{
		"no credentials": {URLs: h.ClientURL()},
		"wrong password": {URLs: h.ClientURL(), User: "tokyo", Password: "guess"},
	} {
		nc, err := bus.Connect(ctx, o)
		if err == nil {
			nc.Close()
			t.Errorf("%s: connected", name)
			continue
		}
		if !errors.Is(err, nats.ErrAuthorization) && !strings.Contains(strings.ToLower(err.Error()), "authorization") {
			t.Errorf("%s: refused for another reason: %v", name, err)
		}
	}
}

func TestClientOptionsCheck(t *testing.T) {
	for name, o := range map[string]bus.ClientOptions{
		"no url":          {},
		"user alone":      {URLs: "nats://x", User: "u"},
		"cert alone":      {URLs: "nats://x", Cert: "c.pem"},
		"two credentials": {URLs: "nats://x", Token: "t", Creds: "f.creds"},
	} {
		if err := o.Check(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestRelayCarriesDatagrams(t *testing.T) {
	_, nc := oneNode(t, nil, bus.ClientOptions{})
	p := publisher(t, nc, bus.PublisherConfig{})
	r, err := bus.NewRelay(p, bus.RelayConfig{Listen: "127.0.0.1:0", Site: "lab"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go r.Run(ctx)

	key := []byte("k")
	src, err := bus.NewSource(nc, bus.SourceConfig{Filters: []string{"packter.lab.>"}, Start: time.Now().Add(-time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	got := newCounter(2)
	runMonitor(t, ctx, src, map[string][]byte{"agent-7": key}, got)

	// PACKTER 2.5 (no agent line) and 3.0 (signed), as their agents send them.
	v25 := protocol.AppendPacket(nil, *rec("from-2.5"))
	v30 := protocol.AppendAgent(nil, "agent-7", key, time.Now(), protocol.AppendPacket(nil, *rec("from-3.0")))
	c, err := net.Dial("udp", r.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, d := range [][]byte{v25, v30} {
		if _, err := c.Write(d); err != nil {
			t.Fatal(err)
		}
	}
	got.wait(t, "monitor behind the relay", 10*time.Second)
	if got.authed != 1 {
		t.Errorf("%d records authenticated, want the 3.0 one", got.authed)
	}
	sites := src.Sites()
	if len(sites) != 1 || sites[0].Site.String() != "lab" {
		t.Fatalf("sites %+v, want lab", sites)
	}
	local := c.LocalAddr().(*net.UDPAddr).IP.String()
	want := []string{"agent-7", "udp-" + strings.ReplaceAll(local, ".", "-")}
	slices.Sort(want)
	var agents []string
	for _, a := range sites[0].Agents {
		agents = append(agents, a.String())
	}
	if !slices.Equal(agents, want) {
		t.Errorf("agents %v, want %v", sites[0].Agents, want)
	}
	if s := bus.Summary(sites, time.Now(), time.Minute); !strings.HasPrefix(s, "1 site: lab (2 agents") {
		t.Errorf("summary %q", s)
	}
}

func TestDigestsOverNATS(t *testing.T) {
	h, nc := oneNode(t, nil, bus.ClientOptions{})
	store := intertrack.NewDigestStore(intertrack.DigestConfig{})
	seen := md5.Sum([]byte("a packet this agent saw"))
	store.Insert(seen, time.Now())
	ln, err := bus.ListenDigests(nc, 65001)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- intertrack.ServeDigests(ctx, ln, 65001, store, nil) }()
	t.Cleanup(func() { cancel(); <-served })

	d := &bus.DigestDialer{NC: connect(t, bus.ClientOptions{URLs: h.ClientURL()})}
	for _, c := range []struct {
		hash [16]byte
		seen bool
	}{{seen, true}, {md5.Sum([]byte("a packet nobody saw")), false}} {
		qctx, qcancel := context.WithTimeout(ctx, 5*time.Second)
		a, err := intertrack.QueryDigest(qctx, d, "nats:65001", c.hash, time.Time{}, time.Time{})
		qcancel()
		if err != nil {
			t.Fatal(err)
		}
		if a.Seen != c.seen || a.ASN != 65001 {
			t.Errorf("hash %x: %+v, want seen=%v from AS 65001", c.hash, a, c.seen)
		}
	}
	// An AS nobody serves: no responders, at once rather than at the timeout.
	qctx, qcancel := context.WithTimeout(ctx, 5*time.Second)
	defer qcancel()
	if _, err := intertrack.QueryDigest(qctx, d, "nats:65099", seen, time.Time{}, time.Time{}); err == nil {
		t.Error("an AS without an agent answered")
	}
}

func TestHistoryRange(t *testing.T) {
	_, nc := oneNode(t, nil, bus.ClientOptions{})
	p := publisher(t, nc, bus.PublisherConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	publish := func(prefix string, n int) {
		for i := range n {
			if err := p.Send(bus.Subject("kyoto", "a1"), protocol.AppendPacket(nil, *rec(fmt.Sprintf("%s-%d", prefix, i))), ""); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Now().Add(-time.Second)
	publish("early", 50)
	t1 := time.Now()
	publish("late", 30)

	for _, c := range []struct {
		name       string
		start, end time.Time
		want       int
		prefix     string
	}{{"all", t0, time.Time{}, 80, ""}, {"up to t1", t0, t1, 50, "early-"}, {"from t1", t1, time.Time{}, 30, "late-"}} {
		h, err := bus.NewHistory(nc, bus.HistoryConfig{Start: c.start, End: c.end})
		if err != nil {
			t.Fatal(err)
		}
		var got recorder
		if err := h.Run(ctx, &got); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, d := range got.descs {
			if !strings.HasPrefix(d, c.prefix) {
				t.Errorf("%s: %q outside the range", c.name, d)
			}
		}
		if len(got.descs) != c.want {
			t.Errorf("%s: %d records, want %d", c.name, len(got.descs), c.want)
		}
		if len(got.descs) > 0 && (got.times[0].Before(c.start) || got.times[0].After(time.Now())) {
			t.Errorf("%s: first datagram dated %v, not when it was stored", c.name, got.times[0])
		}
	}
	if _, err := bus.NewHistory(nc, bus.HistoryConfig{Start: t1, End: t0}); err == nil {
		t.Error("a range ending before it starts was accepted")
	}
}

// recorder is an Intake that parses what it is handed, as ingest would.
type recorder struct {
	descs []string
	times []time.Time
}

func (r *recorder) Datagrams(pkts []protocol.Packet, done func()) {
	for _, p := range pkts {
		var d protocol.Datagram
		if err := protocol.Parse(p.Data, &d); err != nil {
			continue
		}
		for _, rec := range d.Records {
			r.descs = append(r.descs, string(rec.Desc))
			r.times = append(r.times, p.Time)
		}
	}
	done()
}

func (r *recorder) Events([]event.Event) {}

// TestConsumerLost: when the servers lose the monitor's consumer (here it
// is deleted under it; in a cluster, its server dies) the source makes a new
// one after the last message it handed over: nothing missed, nothing twice.
func TestConsumerLost(t *testing.T) {
	_, nc := oneNode(t, nil, bus.ClientOptions{})
	p := publisher(t, nc, bus.PublisherConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const n = 200
	got := newCounter(n)
	half := make(chan struct{})
	got.at = map[int]chan struct{}{n / 2: half}
	src, err := bus.NewSource(nc, bus.SourceConfig{Start: time.Now().Add(-time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	runMonitor(t, ctx, src, nil, got)
	send := func(from, to int) {
		for i := from; i < to; i++ {
			if err := p.Send(bus.Subject("nara", "a1"), protocol.AppendPacket(nil, *rec(fmt.Sprint(i))), ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	send(0, n/2)
	select {
	case <-half:
	case <-ctx.Done():
		t.Fatal("the first half did not arrive")
	}
	st := stream(t, ctx, nc)
	names := st.ConsumerNames(ctx)
	deleted := 0
	for name := range names.Name() {
		if err := st.DeleteConsumer(ctx, name); err != nil {
			t.Fatal(err)
		}
		deleted++
	}
	if deleted != 1 {
		t.Fatalf("%d consumers deleted, want the monitor's one", deleted)
	}
	send(n/2, n)
	got.wait(t, "monitor", 15*time.Second)
	got.mu.Lock()
	defer got.mu.Unlock()
	for d, k := range got.seen {
		if k != 1 {
			t.Errorf("%q arrived %d times", d, k)
		}
	}
}
