package intertrack

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/protocol"
)

// viewer collects the datagrams a TC sends to the monitor.
type viewer struct {
	pc net.PacketConn
	mu sync.Mutex
	dg []string
}

func newViewer(t testing.TB) *viewer {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	v := &viewer{pc: pc}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			v.mu.Lock()
			v.dg = append(v.dg, string(buf[:n]))
			v.mu.Unlock()
		}
	}()
	return v
}

// has reports whether a datagram with this prefix arrived.
func (v *viewer) has(prefix string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, d := range v.dg {
		if strings.HasPrefix(d, prefix) {
			return true
		}
	}
	return false
}

func (v *viewer) all() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return strings.Join(v.dg, "")
}

// agent starts a digest server for one AS on loopback.
func startAgent(t testing.TB, ctx context.Context, asn uint32, s *DigestStore) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go ServeDigests(ctx, ln, asn, s, nil)
	return ln.Addr().String()
}

func startDP(t testing.TB, ctx context.Context, cfg DPConfig) string {
	d, err := NewDP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go d.Serve(ctx, ln)
	return ln.Addr().String()
}

// tcRig runs a TC whose outcomes arrive on a channel.
type tcRig struct {
	addr     string
	outcomes chan Outcome
	view     *viewer
}

func startTC(t testing.TB, ctx context.Context, cfg TCConfig) *tcRig {
	r := &tcRig{outcomes: make(chan Outcome, 64), view: newViewer(t)}
	cfg.Viewer = r.view.pc.LocalAddr().String()
	cfg.OnOutcome = func(o Outcome) {
		if o.Kind != Launched {
			r.outcomes <- o
		}
	}
	tc, err := NewTC(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = pc.LocalAddr().String()
	go tc.Serve(ctx, pc)
	return r
}

// launch presses T on a record whose description names the rig's TC.
func (r *tcRig) launch(t *testing.T, hash [16]byte) {
	t.Helper()
	ev := &event.Event{Kind: event.KindPacket, Src: protocol.AddrFrom(netip.MustParseAddr("10.0.0.1")),
		Dst: protocol.AddrFrom(netip.MustParseAddr("10.0.0.2")), SPort: protocol.PortFrom(1234), DPort: protocol.PortFrom(80),
		Flag: 3, Desc: event.CleanText(fmt.Sprintf("%x-%s", hash, r.addr), event.MaxText)}
	if err := LaunchTrace(t.Context(), ev, 0); err != nil {
		t.Fatal(err)
	}
}

func (r *tcRig) next(t testing.TB) Outcome {
	t.Helper()
	select {
	case o := <-r.outcomes:
		return o
	case <-time.After(10 * time.Second): // a hang guard, not a timing claim
		t.Fatal("no outcome")
	}
	return Outcome{}
}

// threeASes: 65001 (source) — 65002 (transit) — 65003 (home, victim).
func threeASes(t testing.TB, ctx context.Context) (stores map[uint32]*DigestStore, cfg DPConfig) {
	stores = map[uint32]*DigestStore{}
	cfg = DPConfig{Home: 65003, Agents: map[uint32]string{}, Links: [][2]uint32{{65001, 65002}, {65002, 65003}}}
	for _, asn := range []uint32{65001, 65002, 65003} {
		stores[asn] = NewDigestStore(DigestConfig{Capacity: 1000})
		cfg.Agents[asn] = startAgent(t, ctx, asn, stores[asn])
	}
	return stores, cfg
}

func TestTraceEndToEndLoopback(t *testing.T) {
	ctx := t.Context()
	stores, cfg := threeASes(t, ctx)
	now := time.Now()
	seen := hashN(42)
	for _, s := range stores {
		s.Insert(seen, now)
	}
	stores[65003].Insert(hashN(43), now) // only the victim saw this one: it came from inside
	rig := startTC(t, ctx, TCConfig{DP: startDP(t, ctx, cfg)})

	rig.launch(t, seen)
	o := rig.next(t)
	want := "Traceback succeeded: the packet came from AS 65001, through AS 65002"
	if o.Kind != Succeeded || o.Voice != want {
		t.Fatalf("outcome %v %q (%s), want %q", o.Kind, o.Voice, o.Reason, want)
	}
	for _, p := range []string{
		"PACKTERMSG\nstart.png,", "PACKTERSOUND\n10000,Traceback.wav\n", "PACKTERVOICE\nLaunched IP traceback process\n",
		"PACKTERMSG\nsuccess.png,", "PACKTERSOUND\n10000,Success.wav\n", "PACKTERVOICE\n" + want + "\n",
	} {
		if !waitFor(func() bool { return rig.view.has(p) }) {
			t.Errorf("viewer never got %q", p)
		}
	}
	if !rig.view.has("PACKTERMSG\nsuccess.png,") || !strings.Contains(rig.view.all(), "Depth 2: found AS:65001") {
		t.Errorf("message lacks the AS path: %q", rig.view.all())
	}

	rig.launch(t, hashN(43))
	if o := rig.next(t); o.Kind != Succeeded || o.Voice != "Traceback succeeded: the packet came from AS 65003" {
		t.Errorf("inside packet: %v %q", o.Kind, o.Voice)
	}

	// Spoofed: the transit AS saw it, its source AS (watched) did not.
	stores[65003].Insert(hashN(45), now)
	stores[65002].Insert(hashN(45), now)
	rig.launch(t, hashN(45))
	spoofed := "Traceback succeeded: the packet reached us through AS 65002; its source network was not found (possibly spoofed)"
	if o := rig.next(t); o.Kind != Succeeded || o.Voice != spoofed || len(o.Sources) != 0 {
		t.Errorf("spoofed packet: %v %q %v, want %q", o.Kind, o.Voice, o.Sources, spoofed)
	}
	// PACKTER's viewers key on the message and its Depth lines: unchanged.
	if !waitFor(func() bool { return rig.view.has("PACKTERVOICE\n" + spoofed + "\n") }) ||
		!strings.Contains(rig.view.all(), "Traceback trial succeeded</b></div><br>Hash: "+fmt.Sprintf("%x", hashN(45))+"<br>Depth 0: found AS:65003<br>Depth 1: found AS:65002") {
		t.Errorf("spoofed packet's datagrams: %q", rig.view.all())
	}

	rig.launch(t, hashN(44)) // nobody saw it
	if o := rig.next(t); o.Kind != Failed || !strings.Contains(o.Voice, "no agent saw the packet") {
		t.Errorf("unseen packet: %v %q", o.Kind, o.Voice)
	}
	if !waitFor(func() bool { return rig.view.has("PACKTERSOUND\n10000,Failed.wav\n") }) {
		t.Error("no Failed.wav")
	}
}

// waitFor polls a condition that the code under test makes true after an
// event already observed (an outcome): datagrams sent just before it.
func waitFor(cond func() bool) bool {
	for i := 0; i < 200; i++ {
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

func TestTraceSeveralAtOnce(t *testing.T) {
	ctx := t.Context()
	stores, cfg := threeASes(t, ctx)
	for i := uint64(0); i < 8; i++ {
		for _, s := range stores {
			s.Insert(hashN(i), time.Now())
		}
	}
	rig := startTC(t, ctx, TCConfig{DP: startDP(t, ctx, cfg)})
	for i := uint64(0); i < 12; i++ { // 8 seen, 4 not
		rig.launch(t, hashN(i))
	}
	got := map[[16]byte]OutcomeKind{}
	for i := 0; i < 12; i++ {
		o := rig.next(t)
		got[o.Hash] = o.Kind
	}
	for i := uint64(0); i < 12; i++ {
		want := Succeeded
		if i >= 8 {
			want = Failed
		}
		if got[hashN(i)] != want {
			t.Errorf("trace %d: %v, want %v", i, got[hashN(i)], want)
		}
	}
}

// A misbehaving DP: each test case gives the reason spoken, and the TC must
// still serve the next trace afterwards.
func TestTraceDPFailures(t *testing.T) {
	ctx := t.Context()
	closedPort := func() string {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		a := ln.Addr().String()
		ln.Close()
		return a
	}
	fakeDP := func(behave func(c net.Conn)) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() { defer c.Close(); behave(c) }()
			}
		}()
		return ln.Addr().String()
	}
	readRequest := func(c net.Conn) *Message {
		raw, err := NewFramer(c, 0).Next()
		if err != nil {
			return nil
		}
		m, _ := Decode(raw)
		return m
	}
	cases := []struct {
		name, dp, reason string
	}{
		{"down", closedPort(), "is not reachable (connection refused)"},
		{"silent", fakeDP(func(c net.Conn) { readRequest(c); <-ctx.Done() }), "did not accept the request within"},
		{"slow", fakeDP(func(c net.Conn) {
			m := readRequest(c)
			d, _ := NewDP(DPConfig{Home: 1, Agents: map[uint32]string{1: "x"}})
			ack, _ := d.handle(ctx, netip.MustParseAddr("127.0.0.1"), m.ClientTraceRequest)
			b, _ := Encode(ack)
			c.Write(b)
			<-ctx.Done()
		}), "did not finish the trace within"},
		{"garbage", fakeDP(func(c net.Conn) {
			readRequest(c)
			for i := 0; i < 100 && ctx.Err() == nil; i++ {
				if _, err := c.Write([]byte(strings.Repeat("HTTP/1.1 400 Bad Request\r\n", 100))); err != nil {
					return
				}
			}
		}), "sent something that is not an InterTrack message"},
		{"bad xml", fakeDP(func(c net.Conn) {
			readRequest(c)
			c.Write([]byte("<InterTrackMessage type=\"ClientTraceReply\"><oops></InterTrackMessage>\n"))
		}), "sent an unreadable message"},
		{"hangs up", fakeDP(func(c net.Conn) { readRequest(c) }), "closed the connection without an answer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rig := startTC(t, ctx, TCConfig{DP: tc.dp, AckTimeout: 300 * time.Millisecond, ReplyTimeout: 300 * time.Millisecond})
			rig.launch(t, testHash)
			o := rig.next(t)
			if o.Kind != Failed || !strings.Contains(o.Reason, tc.reason) || !strings.HasPrefix(o.Voice, "Traceback failed: ") {
				t.Errorf("outcome %v, reason %q, voice %q; want failed with %q", o.Kind, o.Reason, o.Voice, tc.reason)
			}
			if !waitFor(func() bool { return rig.view.has("PACKTERVOICE\n" + o.Voice) }) {
				t.Error("failure not spoken")
			}
			// Still serving.
			rig.launch(t, hashN(7))
			if o := rig.next(t); o.Kind != Failed {
				t.Errorf("second trace: %v", o.Kind)
			}
		})
	}
}

func TestTCWithConfigFile(t *testing.T) {
	ctx := t.Context()
	stores, cfg := threeASes(t, ctx)
	for _, s := range stores {
		s.Insert(testHash, time.Now())
	}
	path := t.TempDir() + "/packter.conf"
	conf := "# PACKTER's sample\r\nMON_SYN_MSG=ignored\r\nIPTB_SUCCEED_PIC=ok.png\r\nIPTB_SUCCEED_SOUND=5000,packter03.wav\r\nIPTB_SUCCEED_VOICE=/T:1 /W:Traceback Succeeded\r\nIPTB_OPT_HASH=<b>Hash=</b>\r\n"
	if err := writeFile(path, conf); err != nil {
		t.Fatal(err)
	}
	rig := startTC(t, ctx, TCConfig{DP: startDP(t, ctx, cfg), ConfigFile: path})
	rig.launch(t, testHash)
	o := rig.next(t)
	if o.Voice != "/T:1 /W:Traceback Succeeded: the packet came from AS 65001, through AS 65002" {
		t.Errorf("voice %q", o.Voice)
	}
	for _, p := range []string{"PACKTERMSG\nok.png,", "PACKTERSOUND\n5000,packter03.wav\n"} {
		if !waitFor(func() bool { return rig.view.has(p) }) {
			t.Errorf("no %q", p)
		}
	}
	if !strings.Contains(rig.view.all(), "<b>Hash=</b>0123456789abcdeffedcba9876543210") {
		t.Error("IPTB_OPT_HASH not used")
	}
}

func TestLaunchTrace(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	ev := &event.Event{Kind: event.KindPacket, Src: protocol.AddrFrom(netip.MustParseAddr("2001:db8::1")),
		Dst: protocol.AddrFrom(netip.MustParseAddr("2001:db8::2")), SPort: protocol.PortFrom(5), DPort: protocol.PortFrom(6),
		Flag: 8, Desc: event.CleanText("0123456789abcdeffedcba9876543210-"+pc.LocalAddr().String(), event.MaxText)}
	if err := LaunchTrace(t.Context(), ev, 0); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1024)
	pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	if want := "2001:db8::1,2001:db8::2,5,6,8," + ev.Desc.String() + "\n"; string(buf[:n]) != want {
		t.Errorf("sent %q, want %q", buf[:n], want)
	}
	if h, err := ParseTraceDatagram(buf[:n]); err != nil || h != testHash {
		t.Errorf("TC reads %x, %v", h, err)
	}
	ev.Desc = event.CleanText("TCP src:1 dst:2", event.MaxText)
	if err := LaunchTrace(t.Context(), ev, 0); err != ErrNoTraceHash {
		t.Errorf("no hash: %v", err)
	}
}

func TestParseTraceDatagram(t *testing.T) {
	h := "0123456789abcdeffedcba9876543210"
	for in, ok := range map[string]bool{
		"1.2.3.4,5.6.7.8,1,2,3," + h + "-127.0.0.1\n":          true,
		"PACKTER\n1.2.3.4,5.6.7.8,1,2,3," + h + "-[::1]:11301": true,
		h:                              true,
		h + "-host\r\n":                true,
		"1.2.3.4,5.6.7.8,1,2,3,TCP x":  false,
		"1,2,3":                        false,
		"":                             false,
		"PACKTER\n":                    false,
		strings.Repeat("a", 10000):     false,
		"1.2.3.4,5.6.7.8,1,2,3,zz-foo": false,
	} {
		got, err := ParseTraceDatagram([]byte(in))
		if ok && (err != nil || got != testHash) {
			t.Errorf("%q: %x, %v", in, got, err)
		}
		if !ok && err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestWithDefaultPort(t *testing.T) {
	for in, want := range map[string]string{
		"host": "host:11301", "host:99": "host:99", "[::1]:5": "[::1]:5", "::1": "[::1]:11301", "[::1]": "[::1]:11301", "10.0.0.1": "10.0.0.1:11301",
	} {
		if got, err := WithDefaultPort(in, 11301); err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "host:0", "host:x", ":80"} {
		if _, err := WithDefaultPort(bad, 1); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestStartPair(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	stores, cfg := threeASes(t, ctx)
	for _, s := range stores {
		s.Insert(testHash, time.Now())
	}
	v := newViewer(t)
	got := make(chan Outcome, 4)
	p, err := StartPair(ctx, cfg, TCConfig{Viewer: v.pc.LocalAddr().String(), OnOutcome: func(o Outcome) { got <- o }})
	if err != nil {
		t.Fatal(err)
	}
	rig := &tcRig{addr: p.TCAddr, outcomes: make(chan Outcome)}
	rig.launch(t, testHash)
	for o := range got {
		if o.Kind != Launched {
			if o.Kind != Succeeded {
				t.Errorf("%v %s", o.Kind, o.Reason)
			}
			break
		}
	}
	cancel()
	if err := p.Wait(); err != nil {
		t.Errorf("Wait: %v", err)
	}
}

func TestOutcomePath(t *testing.T) {
	as := func(depth int, n uint32, state, status string) AS {
		return AS{Depth: depth, State: state, NodeID: ASNode(n), ASStatus: ASStatus{Type: status}}
	}
	home := as(0, 64500, StateFound, StatusDestination)
	for _, c := range []struct {
		name string
		ases []AS
		want string
	}{
		{"source saw it", []AS{home, as(1, 64510, StateFound, StatusTransit), as(2, 64540, StateFound, StatusSource)},
			"the packet came from AS 64540, through AS 64510"},
		{"spoofed", []AS{home, as(1, 64510, StateFound, StatusTransit)},
			"the packet reached us through AS 64510; its source network was not found (possibly spoofed)"},
		{"spoofed, two transits", []AS{home, as(1, 64510, StateFound, StatusTransit), as(2, 64520, StateFound, StatusTransit)},
			"the packet reached us through AS 64520, AS 64510; its source network was not found (possibly spoofed)"},
		{"beyond the agents", []AS{home, as(1, 64510, StateFound, StatusTransit), as(2, 64540, StateReached, StatusSource)},
			"the packet came from AS 64540 or from beyond it, through AS 64510"},
		{"two sources", []AS{home, as(1, 64510, StateFound, StatusTransit), as(2, 64530, StateFound, StatusSource), as(2, 64540, StateReached, StatusSource)},
			"the packet came from AS 64530, or from AS 64540 or from beyond it, through AS 64510"},
		{"a DP that marks no status", []AS{as(0, 64500, StateFound, ""), as(1, 64510, StateFound, "")},
			"the packet came from AS 64510"},
		{"inside", []AS{as(0, 64500, StateFound, StatusInternal)}, "the packet came from AS 64500"},
	} {
		r := &ClientTraceReply{AllResultExport: &AllResultExport{ITMTraceReply: ITMTraceReply{InterASTraceResult: InterASTraceResult{AS: c.ases}}}}
		o := interpret(r, testHash)
		if o.Kind != Succeeded || o.Path() != c.want {
			t.Errorf("%s: %v %q, want %q", c.name, o.Kind, o.Path(), c.want)
		}
	}
}

func TestCheckTraceHost(t *testing.T) {
	for _, c := range []struct {
		host, want string // want: a word of the error, "" for none
	}{
		{"192.0.2.1", ""},
		{"tc.example.net", ""},
		{"tc.example.net:11301", ""},
		{"2001:db8::1", ""},
		{"[2001:db8::1]:11301", ""},
		{"tc-1.example.net", "'-'"},
		{"tc.example.net:", "port"},
		{"a,b", "comma"},
		{"a b", "space"},
		{"", "empty"},
	} {
		err := CheckTraceHost(c.host)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q: %v", c.host, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%q: %v, want an error about %s", c.host, err, c.want)
		}
		// The check agrees with the rule viewers apply.
		_, _, ok := protocol.SplitTraceDesc(fmt.Sprintf("%x-%s", testHash, c.host))
		if err == nil && !ok {
			t.Errorf("%q passes but viewers would not trace it", c.host)
		}
	}
}
