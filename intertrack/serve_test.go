package intertrack

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The hostile-load tests: thousands of idle connections, slow senders, a
// listener out of file descriptors. Each waits on conditions with a hang
// guard, never on a clock.

const idleFlood = 3000

// raiseNoFile makes sure this test process may open need descriptors, raising
// its soft RLIMIT_NOFILE up to the hard limit (restored afterwards), or skips.
func raiseNoFile(t testing.TB, need uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skipf("RLIMIT_NOFILE: %v", err)
	}
	if lim.Cur >= need {
		return
	}
	if lim.Max < need {
		t.Skipf("needs %d file descriptors; the hard limit is %d", need, lim.Max)
	}
	old := lim
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skipf("raising RLIMIT_NOFILE to %d: %v", lim.Max, err)
	}
	t.Logf("raised this test's RLIMIT_NOFILE soft limit from %d to %d", old.Cur, lim.Cur)
	t.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) })
}

// openIdle dials n connections that send nothing; they close at cleanup.
func openIdle(t testing.TB, addr string, n int) []net.Conn {
	t.Helper()
	cs := make([]net.Conn, 0, n)
	t.Cleanup(func() {
		for _, c := range cs {
			c.Close()
		}
	})
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("idle connection %d: %v", len(cs)+1, err)
		}
		cs = append(cs, c)
	}
	return cs
}

// waitUntil polls cond; false means the hang guard ran out.
func waitUntil(cond func() bool) bool {
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(2 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// serveDP starts a DP on loopback and returns it with its address.
func serveDP(t testing.TB, cfg DPConfig) (*DP, string) {
	d, err := NewDP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go d.Serve(t.Context(), ln)
	return d, ln.Addr().String()
}

// traceOver sends one ClientTraceRequest on a new connection and returns the
// reply's summary.
func traceOver(t testing.TB, addr string, hash [16]byte) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b, _ := Encode(NewTraceRequest(hash, netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.1"), time.Now()))
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(60 * time.Second)) // a hang guard
	f := NewFramer(c, 0)
	for {
		raw, err := f.Next()
		if err != nil {
			t.Fatalf("no trace reply: %v", err)
		}
		m, err := Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		if m.Type == TypeClientTraceReply {
			return summary(m.ClientTraceReply.AllResultExport.ITMTraceReply.InterASTraceResult)
		}
	}
}

const wantThree = "0:65003:found:Destination 1:65002:found:Transit 2:65001:found:Source"

func TestDPAnswersUnderIdleFlood(t *testing.T) {
	raiseNoFile(t, 2*idleFlood+500)
	for _, c := range []struct {
		name   string
		limits ServerLimits
		held   bool // all idle connections stay open (the limit is above them)
	}{
		{"default limit evicts", ServerLimits{}, false},
		{"all held", ServerLimits{MaxConns: idleFlood + 100, FirstTimeout: 10 * time.Minute}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			stores, cfg := threeASes(t, t.Context())
			for _, s := range stores {
				s.Insert(hashN(7), time.Now())
			}
			cfg.Limits = c.limits
			d, addr := serveDP(t, cfg)
			openIdle(t, addr, idleFlood)
			if !waitUntil(func() bool { return d.Stats().Accepted >= idleFlood }) {
				t.Fatalf("accepted only %+v", d.Stats())
			}
			if got := traceOver(t, addr, hashN(7)); got != wantThree {
				t.Errorf("with %d idle connections: %s, want %s", idleFlood, got, wantThree)
			}
			st := d.Stats()
			t.Logf("%+v", st)
			if c.held && (st.Open < idleFlood || st.Evicted != 0) {
				t.Errorf("idle connections were dropped: %+v", st)
			}
			if !c.held && (st.Open > dpLimits.MaxConns || st.Evicted < idleFlood+1-uint64(dpLimits.MaxConns)) {
				t.Errorf("limit %d not kept: %+v", dpLimits.MaxConns, st)
			}
		})
	}
}

func TestDigestStoreAnswersUnderIdleFlood(t *testing.T) {
	raiseNoFile(t, 2*idleFlood+500)
	for _, c := range []struct {
		name   string
		limits ServerLimits
		held   bool
	}{
		{"default limit evicts", ServerLimits{}, false},
		{"all held", ServerLimits{MaxConns: idleFlood + 100, FirstTimeout: 10 * time.Minute}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := t.Context()
			stores, cfg := threeASes(t, ctx)
			// The home AS's store is the one flooded: without it no trace works.
			store := NewDigestStore(DigestConfig{Capacity: 1000})
			l := NewDigestListener(65003, store, nil, c.limits)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go l.Serve(ctx, ln)
			cfg.Agents[65003] = ln.Addr().String()
			cfg.QueryTimeout = 30 * time.Second // a hang guard: the point is that it is answered
			for _, s := range []*DigestStore{stores[65001], stores[65002], store} {
				s.Insert(hashN(8), time.Now())
			}
			openIdle(t, ln.Addr().String(), idleFlood)
			if !waitUntil(func() bool { return l.Stats().Accepted >= idleFlood }) {
				t.Fatalf("accepted only %+v", l.Stats())
			}
			d, err := NewDP(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(d.Trace(ctx, hashN(8), DefaultTTL)); got != wantThree {
				t.Errorf("with %d idle connections to the home store: %s, want %s", idleFlood, got, wantThree)
			}
			st := l.Stats()
			t.Logf("%+v", st)
			if c.held && (st.Open < idleFlood || st.Evicted != 0) {
				t.Errorf("idle connections were dropped: %+v", st)
			}
			if !c.held && (st.Open > digestLimits.MaxConns || st.Evicted < idleFlood+1-uint64(digestLimits.MaxConns)) {
				t.Errorf("limit %d not kept: %+v", digestLimits.MaxConns, st)
			}
		})
	}
}

// emfileListener fails one Accept with EMFILE per token in fail, as accept4
// does when the process has no descriptor left (the connection it took is
// closed, standing in for the one the kernel could not hand over).
type emfileListener struct {
	net.Listener
	fail atomic.Int32
}

func (l *emfileListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil && l.fail.Add(-1) >= 0 {
		c.Close()
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return c, err
}

func TestDPBacksOffWhenOutOfDescriptors(t *testing.T) {
	stores, cfg := threeASes(t, t.Context())
	for _, s := range stores {
		s.Insert(hashN(9), time.Now())
	}
	d, err := NewDP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	el := &emfileListener{Listener: ln}
	served := make(chan error, 1)
	go func() { served <- d.Serve(t.Context(), el) }()
	addr := ln.Addr().String()
	idle := openIdle(t, addr, 1)[0]
	if !waitUntil(func() bool { return d.Stats().Open == 1 }) {
		t.Fatalf("idle connection not accepted: %+v", d.Stats())
	}
	el.fail.Store(3)
	for range 3 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	if got := traceOver(t, addr, hashN(9)); got != wantThree {
		t.Errorf("after EMFILE: %s, want %s", got, wantThree)
	}
	select {
	case err := <-served:
		t.Fatalf("Serve returned: %v", err)
	default:
	}
	st := d.Stats()
	if st.AcceptErrors != 3 || st.Evicted < 1 {
		t.Errorf("want 3 accept errors and the idle connection evicted to free a descriptor: %+v", st)
	}
	idle.SetReadDeadline(time.Now().Add(30 * time.Second)) // a hang guard
	if _, err := idle.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("idle connection: read %v, want EOF (closed by the DP)", err)
	}
}

// A connection that never completes a request, or idles past the limit after
// one, is closed by the server.
func TestServersCloseSlowAndIdleConnections(t *testing.T) {
	lim := ServerLimits{FirstTimeout: 50 * time.Millisecond, IdleTimeout: 50 * time.Millisecond, MessageTimeout: 50 * time.Millisecond}
	stores, cfg := threeASes(t, t.Context())
	cfg.Limits = lim
	_, dpAddr := serveDP(t, cfg)
	dl := NewDigestListener(65001, stores[65001], nil, lim)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go dl.Serve(t.Context(), ln)
	req, _ := Encode(NewTraceRequest(hashN(1), netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.1"), time.Now()))
	for _, c := range []struct {
		name, addr string
		send       []byte
	}{
		{"dp silent", dpAddr, nil},
		{"dp half a request", dpAddr, req[:len(req)/2]},
		{"dp idle after a request", dpAddr, req},
		{"digest silent", ln.Addr().String(), nil},
		{"digest half a line", ln.Addr().String(), []byte("QUERY 0123")},
		{"digest idle after a query", ln.Addr().String(), []byte("AS\n")},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", c.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.Write(c.send)
			conn.SetReadDeadline(time.Now().Add(30 * time.Second)) // a hang guard
			if _, err := io.Copy(io.Discard, conn); err != nil {
				t.Errorf("want the server to close the connection: %v", err)
			}
		})
	}
}

// The memory a server holds per idle connection (and per slow one, holding
// part of a request), both sides of loopback included:
//
//	go test -run '^$' -bench IdleConnMemory -benchtime 1x ./intertrack
func BenchmarkDPIdleConnMemory(b *testing.B) {
	raiseNoFile(b, 2*1000+500)
	_, cfg := threeASes(b, b.Context())
	cfg.Limits = ServerLimits{MaxConns: 2000, FirstTimeout: time.Minute}
	d, addr := serveDP(b, cfg)
	for b.Loop() {
		benchConnMemory(b, addr, d.Stats, "", "B/idle-conn")
		benchConnMemory(b, addr, d.Stats, fmt.Sprintf("<InterTrackMessage type=\"ClientTraceRequest\">%0*d", 20<<10, 0), "B/slow-conn")
	}
}

func BenchmarkDigestIdleConnMemory(b *testing.B) {
	raiseNoFile(b, 2*1000+500)
	l := NewDigestListener(65001, NewDigestStore(DigestConfig{Capacity: 1000}), nil, ServerLimits{MaxConns: 2000, FirstTimeout: time.Minute})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go l.Serve(b.Context(), ln)
	for b.Loop() {
		benchConnMemory(b, ln.Addr().String(), l.Stats, "", "B/idle-conn")
		benchConnMemory(b, ln.Addr().String(), l.Stats, fmt.Sprintf("QUERY %0100d", 0), "B/slow-conn")
	}
}

func benchConnMemory(b *testing.B, addr string, stats func() ServerStats, send, unit string) {
	const n = 1000
	base := heapAndStacks()
	cs := make([]net.Conn, 0, n)
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		io.WriteString(c, send)
		cs = append(cs, c)
	}
	if !waitUntil(func() bool { return stats().Open == n }) {
		b.Fatalf("open %+v", stats())
	}
	if len(send) > 1000 {
		// The request is in when the framers' buffers have grown.
		waitUntil(func() bool { return heapAndStacks()-base > uint64(n*len(send)) })
	}
	held := heapAndStacks()
	for _, c := range cs {
		c.Close()
	}
	if !waitUntil(func() bool { return stats().Open == 0 }) {
		b.Fatalf("open %+v", stats())
	}
	b.ReportMetric(float64(int64(held)-int64(base))/n, unit)
}

func heapAndStacks() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}
