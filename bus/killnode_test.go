package bus_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/packter/packter/bus"
	"github.com/packter/packter/bus/hub"
	"github.com/packter/packter/event"
	"github.com/packter/packter/internal/syncbuf"
)

// hubProcessEnv, when set, makes this test binary a JetStream server
// (TestHubProcess) instead of running tests: its value is a
// hubProcessConfig in JSON.
const hubProcessEnv = "PACKTER_TEST_HUB_PROCESS"

type hubProcessConfig struct{ Name, DataDir, Route string }

// TestHubProcess is not a test of its own: started by startProcesses as a
// child process, it runs one cluster node, prints "listening CLIENT-URL
// CLUSTER-URL" on stdout and serves until its stdin closes (the test ended,
// or died) or it is killed. Asked "meta?", it says whether it leads the
// JetStream cluster's metadata (a system-account request otherwise).
func TestHubProcess(t *testing.T) {
	env := os.Getenv(hubProcessEnv)
	if env == "" {
		t.Skip("the server process of the kill -9 tests: runs only when they start it")
	}
	var c hubProcessConfig
	if err := json.Unmarshal([]byte(env), &c); err != nil {
		t.Fatal(err)
	}
	h, err := hub.Start(hub.Config{Listen: "127.0.0.1:0", ClusterListen: "127.0.0.1:0", Routes: []string{c.Route},
		DataDir: c.DataDir, Name: c.Name, Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("listening %s %s\n", h.ClientURL(), h.ClusterURL())
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if sc.Text() == "meta?" {
			fmt.Printf("meta %v\n", h.Server().JetStreamIsLeader())
		}
	}
	h.Shutdown()
}

// proc is one JetStream node in a process of its own, so that it can die
// by SIGKILL: no clean shutdown, no leadership handed over, its file store
// as the kill left it.
type proc struct {
	name, clientURL string
	cmd             *exec.Cmd
	stdin           io.WriteCloser
	lines           chan string // its stdout
	log             string      // its stderr
	done            chan struct{}
}

// isMeta asks the node whether it leads the cluster's metadata (where
// consumers are made).
func (p *proc) isMeta(t testing.TB) bool {
	t.Helper()
	if _, err := io.WriteString(p.stdin, "meta?\n"); err != nil {
		t.Fatalf("%s: %v", p.name, err)
	}
	select {
	case s := <-p.lines:
		return s == "meta true"
	case <-time.After(5 * time.Second):
		t.Fatalf("%s did not answer", p.name)
	}
	return false
}

// kill sends SIGKILL and waits until the process is gone.
func (p *proc) kill(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %s: %v", p.name, err)
	}
	<-p.done
}

// startProcesses starts n JetStream nodes n0…, each this test binary run
// again as TestHubProcess, on loopback ports the servers choose. As in
// startCluster, a seed without JetStream (in this process, never killed)
// is what they route to, since no node's cluster port is known before it
// runs; they find each other through it.
func startProcesses(t testing.TB, n int) []*proc {
	t.Helper()
	seed, err := hub.Start(hub.Config{Listen: "127.0.0.1:0", ClusterListen: "127.0.0.1:0", Name: "seed", NoJetStream: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(seed.Shutdown)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var ps []*proc
	for i := range n {
		c, _ := json.Marshal(hubProcessConfig{Name: fmt.Sprintf("n%d", i), DataDir: t.TempDir(), Route: seed.ClusterURL()})
		ps = append(ps, startProcess(t, exe, fmt.Sprintf("n%d", i), string(c)))
	}
	return ps
}

func startProcess(t testing.TB, exe, name, cfg string) *proc {
	t.Helper()
	p := &proc{name: name, log: filepath.Join(t.TempDir(), name+".log"), done: make(chan struct{})}
	errf, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	defer errf.Close()
	p.cmd = exec.Command(exe, "-test.run=^TestHubProcess$", "-test.count=1")
	p.cmd.Env = append(os.Environ(), hubProcessEnv+"="+cfg)
	p.cmd.Stderr = errf
	stdin, err := p.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.stdin = stdin
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		stdin.Close() // a clean shutdown for those still running
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
			t.Errorf("%s did not stop within 15 s of its stdin closing", name)
		}
	})
	p.lines = make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case p.lines <- sc.Text():
			default: // nobody asked: the test binary's own PASS
			}
		}
		close(p.lines)
	}()
	select {
	case s := <-p.lines:
		f := strings.Fields(s)
		if len(f) != 3 || f[0] != "listening" {
			b, _ := os.ReadFile(p.log)
			t.Fatalf("%s said %q:\n%s", name, s, b)
		}
		p.clientURL = f[1]
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not say where it listens within 20 s", name)
	}
	return p
}

func procURLs(ps []*proc) string {
	var u []string
	for _, p := range ps {
		u = append(u, p.clientURL)
	}
	return strings.Join(u, ",")
}

// streamLeader is the server leading the stream's replicas, once all
// replicas are current.
func streamLeader(t testing.TB, js jetstream.JetStream) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		s, err := js.Stream(ctx, bus.StreamName)
		cancel()
		if err == nil {
			ci := s.CachedInfo().Cluster
			current := 0
			for _, r := range ci.Replicas {
				if r.Current {
					current++
				}
			}
			if ci.Leader != "" && current == len(ci.Replicas) {
				return ci.Leader
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no stream leader with current replicas in 20 s (last error %v)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// tally is a monitor output keeping, per record ("site-i sentUnixNano"),
// how often it arrived, and when each arrived.
type tally struct {
	site     string
	mu       sync.Mutex
	seen     map[string]int
	authed   int
	foreign  []string
	arrivals []arrivalTime
}

type arrivalTime struct{ at, sent time.Time }

func newTally(site string) *tally { return &tally{site: site, seen: map[string]int{}} }

func (c *tally) Event(ev *event.Event) {
	if ev.Kind != event.KindPacket {
		return
	}
	now := time.Now()
	id, sent, _ := strings.Cut(ev.Desc.String(), " ")
	ns, _ := strconv.ParseInt(sent, 10, 64)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !strings.HasPrefix(id, c.site+"-") {
		c.foreign = append(c.foreign, id)
		return
	}
	c.seen[id]++
	if ev.Authed {
		c.authed++
	}
	c.arrivals = append(c.arrivals, arrivalTime{now, time.Unix(0, ns)})
}

func (c *tally) distinct() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

// resumed is the time from kill to the arrival of the first record sent
// after it (0 while none has).
func (c *tally) resumed(kill time.Time) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return failover(kill, c.arrivals).resume
}

// failoverFigures describe a failover at one monitor.
type failoverFigures struct {
	resume  time.Duration // kill → first record sent after it arrives (0: none yet)
	silence time.Duration // the longest time without an arrival
	// caughtUp: kill → the last arrival more than 250 ms after its record
	// was sent (the backlog left by a stall is in); 0 if none was late.
	caughtUp time.Duration
}

func failover(kill time.Time, as []arrivalTime) failoverFigures {
	var f failoverFigures
	var first time.Time
	ts := make([]time.Time, 0, len(as))
	for _, a := range as {
		ts = append(ts, a.at)
		if a.sent.After(kill) && (first.IsZero() || a.at.Before(first)) {
			first = a.at
		}
		if a.at.After(kill) && a.at.Sub(a.sent) > 250*time.Millisecond {
			f.caughtUp = max(f.caughtUp, a.at.Sub(kill))
		}
	}
	slices.SortFunc(ts, time.Time.Compare)
	for i := 1; i < len(ts); i++ {
		f.silence = max(f.silence, ts[i].Sub(ts[i-1]))
	}
	if !first.IsZero() {
		f.resume = first.Sub(kill)
	}
	return f
}

// agent publishes paced records for one site until stopped.
type agent struct {
	site string
	b    *bus.Batcher
	p    *bus.Publisher
	sent int
	err  error
	stop chan struct{}
	done chan struct{}
}

func (a *agent) run(perMs int) {
	defer close(a.done)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-a.stop:
			return
		case <-tick.C:
		}
		for range perMs {
			d := fmt.Sprintf("%s-%d %d", a.site, a.sent, time.Now().UnixNano())
			if a.err = a.b.Record(rec(d)); a.err != nil {
				return
			}
			a.sent++
		}
	}
}

// TestKillNode is the failover test with a real kill: three
// JetStream nodes, each its own process, file store, stream replicas 3; two
// agents at two sites publishing; two monitors with different filters (one
// ephemeral consumer, one durable and replicated). A node dies by SIGKILL
// while the agents publish through it, and they go on publishing. Every
// record whose publication the stream acknowledged arrives exactly once at
// the monitor whose filter takes it and at no other; the time from the kill
// to the arrival of the first record sent after it is measured.
//
// A node killed while it leads one of the cluster's Raft groups (the
// stream, a durable consumer, the metadata that consumers are made in)
// stalls that group until the two left elect a new leader, and nats-server
// (v2.15) waits its Raft election timeout, 4–9 s and not configurable, for
// a leader that has fallen silent before it calls one. The monitors hear
// the agents' messages live meanwhile (their core NATS copies, bus/live.go),
// so the 2 s holds for the stream's leader too; the stream still
// stores every record once it has a leader again, and each arrives once.
func TestKillNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three server processes and kills one")
	}
	for _, v := range []struct {
		name      string
		leader    bool
		maxResume time.Duration
	}{
		{"clients' node", false, 2 * time.Second},
		{"stream leader", true, 2 * time.Second},
	} {
		t.Run(v.name, func(t *testing.T) {
			r := killNode(t, v.leader)
			t.Logf("killed %s (%s): resumed after %v (tokyo %v, osaka %v); longest silence %v, %v; caught up after %v, %v",
				r.killed, strings.Join(r.roles, ", "), max(r.at[0].resume, r.at[1].resume), r.at[0].resume, r.at[1].resume,
				r.at[0].silence, r.at[1].silence, r.at[0].caughtUp, r.at[1].caughtUp)
			for i, f := range r.at {
				if d := f.resume; d > v.maxResume {
					t.Errorf("%s monitor: the first record sent after the kill arrived %v after it, want ≤ %v", []string{"tokyo", "osaka"}[i], d, v.maxResume)
				}
			}
		})
	}
}

type killResult struct {
	killed string
	roles  []string           // what the killed node led or held
	at     [2]failoverFigures // at the tokyo and osaka monitors
}

const durableName = "osaka-board"

// roles says what p leads or holds: the metadata, the stream, consumers.
func roles(t testing.TB, js jetstream.JetStream, p *proc) []string {
	t.Helper()
	var r []string
	if p.isMeta(t) {
		r = append(r, "metadata leader")
	}
	if streamLeader(t, js) == p.name {
		r = append(r, "stream leader")
	}
	for durable, at := range consumerLeaders(t, js) {
		switch {
		case at != p.name:
		case durable == "":
			r = append(r, "ephemeral consumer")
		default:
			r = append(r, "durable consumer leader")
		}
	}
	if len(r) == 0 {
		r = append(r, "no group")
	}
	return r
}

// consumerLeaders is where each of the stream's consumers lives (its
// leader), durable ones by name, the ephemeral one as "".
func consumerLeaders(t testing.TB, js jetstream.JetStream) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, bus.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	l := s.ListConsumers(ctx)
	for ci := range l.Info() {
		if ci.Cluster != nil && ci.Cluster.Leader != "" {
			m[ci.Config.Durable] = ci.Cluster.Leader
		}
	}
	if err := l.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

// stepDown asks the leader of a stream or consumer (subject: the API's
// stepdown subject) to hand over to node to, and waits until it has.
func stepDown(t testing.TB, js jetstream.JetStream, subject, to string, leader func() string) {
	t.Helper()
	m, err := js.Conn().Request(subject, fmt.Appendf(nil, `{"placement":{"preferred":%q}}`, to), 5*time.Second)
	if err != nil {
		t.Fatalf("%s: %v", subject, err)
	}
	if strings.Contains(string(m.Data), `"error"`) {
		t.Fatalf("%s: %s", subject, m.Data)
	}
	for deadline := time.Now().Add(10 * time.Second); leader() != to; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: leader still %s", subject, leader())
		}
	}
}

// killTarget picks the node to kill before any client connects: the
// stream's leader, or a node that leads neither the stream nor the
// metadata.
func killTarget(t testing.TB, js jetstream.JetStream, ps []*proc, leader bool) (target, other *proc) {
	lead := streamLeader(t, js)
	for _, p := range ps {
		if target == nil && (leader && p.name == lead || !leader && p.name != lead && !p.isMeta(t)) {
			target = p
		} else {
			other = p
		}
	}
	if target == nil {
		t.Fatalf("no node to kill (stream leader %s)", lead)
	}
	return target, other
}

// killNode runs one kill: of the stream's leader, which the agents publish
// through, or of a node that leads no group, which the agents publish
// through and the monitors read from. It fails the test if a record is
// lost, duplicated, or reaches the wrong monitor.
// It is over 80 lines because it is one scenario told in order: cluster,
// monitors, agents, kill, drain, count.
func killNode(t *testing.T, leader bool) killResult {
	ps := startProcesses(t, 3)
	admin := connect(t, bus.ClientOptions{URLs: procURLs(ps)})
	ensureStream(t, admin, 3)
	js, err := jetstream.New(admin)
	if err != nil {
		t.Fatal(err)
	}
	target, other := killTarget(t, js, ps, leader)
	monitorURLs := procURLs(ps)
	if !leader {
		monitorURLs = target.clientURL
	}

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	key := []byte("tokyo-secret")
	tokyo, osaka := newTally("tokyo"), newTally("osaka")
	var said syncbuf.Buffer
	start := time.Now().Add(-time.Second)
	for _, m := range []struct {
		filter, durable string
		out             *tally
	}{{"packter.tokyo.>", "", tokyo}, {"packter.osaka.*", durableName, osaka}} {
		nc := connect(t, bus.ClientOptions{URLs: monitorURLs})
		src, err := bus.NewSource(nc, bus.SourceConfig{Filters: []string{m.filter}, Durable: m.durable, Start: start,
			Logger: slog.New(slog.NewTextHandler(&said, nil)).With("monitor", m.out.site)})
		if err != nil {
			t.Fatal(err)
		}
		runMonitor(t, ctx, src, map[string][]byte{"tokyo-1": key}, m.out)
	}
	for deadline := time.Now().Add(20 * time.Second); len(consumerLeaders(t, js)) < 2; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the monitors' consumers: %v", consumerLeaders(t, js))
		}
	}
	if !leader && consumerLeaders(t, js)[durableName] == target.name {
		stepDown(t, js, "$JS.API.CONSUMER.LEADER.STEPDOWN."+bus.StreamName+"."+durableName, other.name,
			func() string { return consumerLeaders(t, js)[durableName] })
	}

	var agents []*agent
	for i, site := range []string{"tokyo", "osaka"} {
		id := site + "-1"
		// Given only the target's URL, a client connects there; the
		// others' it learns from the servers, and reconnects to them.
		nc := connect(t, bus.ClientOptions{URLs: target.clientURL, Name: id})
		p, err := bus.NewPublisher(nc, bus.PublisherConfig{AckTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		bc := bus.BatcherConfig{Subject: bus.Subject(site, id), Window: 5 * time.Millisecond}
		if i == 0 {
			bc.AgentID, bc.Key = id, key
		}
		b, err := bus.NewBatcher(p, bc)
		if err != nil {
			t.Fatal(err)
		}
		a := &agent{site: site, b: b, p: p, stop: make(chan struct{}), done: make(chan struct{})}
		agents = append(agents, a)
		go a.run(2) // 2,000 records/s each
	}
	stopAgents := func() {
		for _, a := range agents {
			select {
			case <-a.stop:
			default:
				close(a.stop)
			}
			<-a.done
		}
	}
	t.Cleanup(stopAgents)

	time.Sleep(1500 * time.Millisecond)
	if tokyo.distinct() == 0 || osaka.distinct() == 0 {
		t.Fatalf("before the kill: tokyo heard %d records, osaka %d", tokyo.distinct(), osaka.distinct())
	}
	res := killResult{killed: target.name, roles: roles(t, js, target)}
	if !leader && slices.ContainsFunc(res.roles, func(r string) bool { return strings.Contains(r, "leader") }) {
		t.Fatalf("%s, to be killed as leading no group, is %v", target.name, res.roles)
	}
	killed := time.Now()
	target.kill(t)
	// Publishing goes on until both monitors hear records sent after the
	// kill, and a second longer.
	for deadline := killed.Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		rt, ro := tokyo.resumed(killed), osaka.resumed(killed)
		if rt > 0 && ro > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("30 s after the kill: tokyo resumed after %v, osaka after %v (0: not yet)", rt, ro)
		}
	}
	time.Sleep(time.Second)
	stopAgents()

	for _, a := range agents {
		if a.err != nil {
			t.Fatalf("%s agent: %v", a.site, a.err)
		}
		fctx, fcancel := context.WithTimeout(ctx, 30*time.Second)
		err := a.b.Flush(fctx) // everything sent is now acknowledged by the stream
		fcancel()
		if err != nil {
			t.Fatalf("%s agent: %v", a.site, err)
		}
		a.b.Close()
		a.p.Close(time.Second)
		if st := a.p.Stats(); st.Lost != 0 {
			t.Fatalf("%s agent: %+v", a.site, st)
		}
		t.Logf("%s agent: %d records sent, %+v", a.site, a.sent, a.p.Stats())
	}
	for i, c := range []*tally{tokyo, osaka} {
		for until := time.Now().Add(30 * time.Second); c.distinct() < agents[i].sent && time.Now().Before(until); {
			time.Sleep(20 * time.Millisecond)
		}
	}
	time.Sleep(500 * time.Millisecond) // time for a late second copy to show
	cancel()
	for i, c := range []*tally{tokyo, osaka} {
		c.mu.Lock()
		res.at[i] = failover(killed, c.arrivals)
		c.mu.Unlock()
		checkTally(t, c, agents[i].sent, i == 0)
	}
	if s := said.String(); s != "" {
		t.Logf("the monitors said:\n%s", s)
	}
	return res
}

// checkTally fails the test unless c heard site-0…site-(n-1) each exactly
// once, nothing else, and (authed) all of them signed.
func checkTally(t *testing.T, c *tally, n int, authed bool) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var missing []int
	for i := range n {
		if c.seen[fmt.Sprintf("%s-%d", c.site, i)] == 0 {
			missing = append(missing, i)
		}
	}
	dups := 0
	for id, k := range c.seen {
		if k != 1 {
			dups++
			if dups <= 5 {
				t.Errorf("%s monitor: %s arrived %d times", c.site, id, k)
			}
		}
	}
	if len(missing) > 0 {
		t.Errorf("%s monitor: %d of %d records lost (first: %v)", c.site, len(missing), n, missing[:min(len(missing), 10)])
	}
	if dups > 0 {
		t.Errorf("%s monitor: %d records arrived more than once", c.site, dups)
	}
	if len(c.seen) != n {
		t.Errorf("%s monitor: %d distinct records, %d sent", c.site, len(c.seen), n)
	}
	if len(c.foreign) > 0 {
		t.Errorf("%s monitor: %d records outside its filter (first %s)", c.site, len(c.foreign), c.foreign[0])
	}
	if authed && c.authed != len(c.arrivals) {
		t.Errorf("%s monitor: %d of %d records authenticated", c.site, c.authed, len(c.arrivals))
	}
}

func tail(file string) string {
	b, _ := os.ReadFile(file)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}
