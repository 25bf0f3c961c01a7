package collect

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// heldSink holds every Flow call until released: the decoder stalls while the
// test writes.
type heldSink struct {
	*recSink
	release chan struct{}
}

func (h *heldSink) Flow(f *Flow) {
	<-h.release
	h.recSink.Flow(f)
}

// TestEVEBurstKeepsSevereAlert: 5,000 cheap alerts written at once, then a
// severity-1 one, with the decoder stalled meanwhile: every alert becomes a
// record and the severe one is spoken. (The follower used to drop lines
// beyond a 1,024-line queue, the severe one with them.)
func TestEVEBurstKeepsSevereAlert(t *testing.T) {
	path := filepath.Join(t.TempDir(), "eve.json")
	appendFile(t, path, "")
	sink := &heldSink{recSink: newRecSink(), release: make(chan struct{})}
	var st Stats
	startEVE(t, path, 1, sink, &st)
	var b strings.Builder
	const cheap = 5000
	for i := range cheap {
		b.WriteString(eveLine(100000+i, "ET INFO cheap noise", 3))
		b.WriteByte('\n')
	}
	b.WriteString(eveLine(1, "ET EXPLOIT the real one", 1) + "\n")
	appendFile(t, path, b.String())
	// Release the decoder only once the queue is full and the follower is
	// waiting to push one more line (one line is held by the stalled decoder).
	deadline := time.Now().Add(10 * time.Second) // hang guard
	for st.Datagrams.Load() < eveQueue+2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := st.Datagrams.Load(); n != eveQueue+2 {
		t.Errorf("with the decoder stalled the follower read %d lines, want %d (queue full, then wait)", n, eveQueue+2)
	}
	close(sink.release)
	// The severe alert's record comes first, its spoken alert just after.
	if !sink.wait(30*time.Second, func(s *recSink) bool { return len(s.flows) == cheap+1 && len(s.alerts) > 0 }) {
		_, flows, _ := sink.snapshot()
		t.Fatalf("%d records of %d; stats %+v", len(flows), cheap+1, st.Snapshot())
	}
	_, flows, alerts := sink.snapshot()
	if !strings.Contains(flows[cheap].Desc, "the real one") {
		t.Errorf("last record %q, want the severe alert", flows[cheap].Desc)
	}
	if len(alerts) != 1 || !strings.Contains(alerts[0], "severity 1: ET EXPLOIT the real one") {
		t.Errorf("spoken %q, want the severity-1 alert", alerts)
	}
	if s := st.Snapshot(); s.Losses() != 0 || s.Datagrams != cheap+1 {
		t.Errorf("stats %+v: want %d lines, nothing lost", s, cheap+1)
	}
}

// followRig drives a follower tick by tick.
type followRig struct {
	tick  chan time.Time
	lines chan string
	errc  chan error
}

func startFollower(t *testing.T, path string, fromStart bool) *followRig {
	t.Helper()
	r := &followRig{tick: make(chan time.Time), lines: make(chan string, 100), errc: make(chan error, 1)}
	ctx, cancel := context.WithCancel(t.Context())
	ready := make(chan struct{})
	ff := follower{path: path, fromStart: fromStart, log: orDiscard(nil),
		line:     func(l []byte) { r.lines <- string(l) },
		overlong: func() { r.lines <- "(overlong)" }}
	go func() { r.errc <- ff.run(ctx, r.tick, func() { close(ready) }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-r.errc; err != nil {
			t.Errorf("follower: %v", err)
		}
	})
	select {
	case <-ready:
	case err := <-r.errc:
		t.Fatalf("follower stopped: %v", err)
	}
	return r
}

// expect waits for exactly these lines (the hang guard is generous).
func (r *followRig) expect(t *testing.T, want ...string) {
	t.Helper()
	var got []string
	for len(got) < len(want) {
		select {
		case l := <-r.lines:
			got = append(got, l)
		case <-time.After(10 * time.Second):
			t.Fatalf("lines %q, want %q", got, want)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("lines %q, want %q", got, want)
	}
}

// TestFollowerTruncatedAndRefilled: a file truncated and written past the
// old read position between two checks is read again from its start, not
// from the middle of a line.
func TestFollowerTruncatedAndRefilled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "eve.json")
	appendFile(t, path, "old one\nold two\n")
	r := startFollower(t, path, true)
	r.expect(t, "old one", "old two")
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, "new line one, longer than before\nnew two\n")
	r.tick <- time.Now()
	r.expect(t, "new line one, longer than before", "new two")
	appendFile(t, path, "appended\n")
	r.tick <- time.Now()
	r.expect(t, "appended")
}

// TestFollowerStart: an existing file is skipped by default (a line being
// written when we start is skipped to its end, not read broken) and read
// whole with fromStart.
func TestFollowerStart(t *testing.T) {
	t.Run("end", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "eve.json")
		appendFile(t, path, "before\nhalf of a li")
		r := startFollower(t, path, false)
		appendFile(t, path, "ne\nafter\n")
		r.tick <- time.Now()
		r.expect(t, "after")
	})
	t.Run("start", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "eve.json")
		appendFile(t, path, "before\n")
		r := startFollower(t, path, true)
		r.expect(t, "before")
	})
}

// TestEVENotRegular: a FIFO named as the EVE file is refused at once (a
// plain open would block for ever waiting for a writer).
func TestEVENotRegular(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "eve.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs:", err)
	}
	err := RunEVE(t.Context(), fifo, 0, newRecSink(), nil)
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("RunEVE on a FIFO: %v", err)
	}
}

func TestRingWrapsInOrder(t *testing.T) {
	r := newRing(100, 10)
	from := netip.MustParseAddrPort("192.0.2.1:9")
	var want []string
	for i := range 40 {
		d := fmt.Sprintf("datagram %02d %s", i, strings.Repeat("x", i%17))
		if !r.put([]byte(d), from, time.Time{}) {
			// Full: take one and retry; it must fit then.
			s := <-r.slots
			if got := string(r.bytes(s)); got != want[0] {
				t.Fatalf("took %q, want %q", got, want[0])
			}
			want = want[1:]
			r.release(s)
			if !r.put([]byte(d), from, time.Time{}) {
				// Still full: the arena holds only a few of these.
				for len(r.slots) > 0 {
					s := <-r.slots
					if got := string(r.bytes(s)); got != want[0] {
						t.Fatalf("took %q, want %q", got, want[0])
					}
					want = want[1:]
					r.release(s)
				}
				if !r.put([]byte(d), from, time.Time{}) {
					t.Fatalf("empty ring refused %d bytes", len(d))
				}
			}
		}
		want = append(want, d)
	}
	for len(r.slots) > 0 {
		s := <-r.slots
		if got := string(r.bytes(s)); got != want[0] {
			t.Fatalf("took %q, want %q", got, want[0])
		}
		want = want[1:]
		r.release(s)
	}
	if len(want) != 0 {
		t.Fatalf("%d datagrams never came out", len(want))
	}
}

func TestRingFull(t *testing.T) {
	r := newRing(64, 2)
	var from netip.AddrPort
	if !r.put(make([]byte, 40), from, time.Time{}) {
		t.Fatal("first put refused")
	}
	if r.put(make([]byte, 40), from, time.Time{}) {
		t.Fatal("a put over the arena's bytes was accepted")
	}
	if !r.put(make([]byte, 20), from, time.Time{}) {
		t.Fatal("a put that fits was refused")
	}
	if r.put(nil, from, time.Time{}) {
		t.Fatal("a put over the slot count was accepted")
	}
}

// TestSocketDropsCounted: datagrams the kernel drops on a full receive
// buffer (nobody reading) are counted.
func TestSocketDropsCounted(t *testing.T) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w := newDropWatch(c)
	if !w.ok {
		t.Skip("the kernel does not report socket drops here")
	}
	if _, err := setReadBuffer(c.(syscall.Conn), 4096); err != nil {
		t.Fatal(err)
	}
	s, err := net.Dial("udp", c.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	payload := make([]byte, 1200)
	for range 200 {
		s.Write(payload)
	}
	var st Stats
	w.poll(&st)
	if st.SocketDrops.Load() == 0 {
		t.Fatal("200 datagrams into a 4 KiB buffer nobody reads: no drop counted")
	}
}

// BenchmarkRing is the queue's cost per 1,200-byte datagram, put then taken
// (copy included): go test -run '^$' -bench Ring -benchmem ./collect
func BenchmarkRing(b *testing.B) {
	r := newRing(8<<20, 8192)
	d := make([]byte, 1200)
	from := netip.MustParseAddrPort("192.0.2.1:2055")
	b.SetBytes(int64(len(d)))
	b.ReportAllocs()
	for b.Loop() {
		if !r.put(d, from, time.Time{}) {
			b.Fatal("full")
		}
		s := <-r.slots
		_ = r.bytes(s)
		r.release(s)
	}
}
