package monitor

import (
	"bytes"
	"context"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/journal"
	"github.com/packter/packter/protocol"
	"github.com/packter/packter/timeline"
)

var (
	now  = time.Unix(1_800_000_000, 0)
	from = netip.MustParseAddrPort("127.0.0.1:40000")
	key  = []byte("edge-key")
)

type collector struct {
	mu  sync.Mutex
	evs []event.Event
}

func (c *collector) Event(ev *event.Event) {
	c.mu.Lock()
	c.evs = append(c.evs, *ev)
	c.mu.Unlock()
}

func (c *collector) kinds() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, e := range c.evs {
		out = append(out, e.Kind.String())
	}
	return out
}

func record(desc string) protocol.Record {
	return protocol.Record{
		Src: protocol.AddrFrom(netip.MustParseAddr("10.0.0.1")), Dst: protocol.AddrFrom(netip.MustParseAddr("10.0.0.2")),
		SPort: protocol.PortFrom(60000), DPort: protocol.PortFrom(80), Flag: 1, Desc: []byte(desc),
	}
}

func newMonitor(t *testing.T, keys map[string][]byte, require bool) (*Monitor, *collector, *bytes.Buffer) {
	t.Helper()
	var jbuf bytes.Buffer
	c := &collector{}
	m, err := New(Config{Keys: keys, RequireAuth: require, Timeline: timeline.New(1000), Journal: journal.NewWriter(&jbuf), Outputs: []Output{c}})
	if err != nil {
		t.Fatal(err)
	}
	return m, c, &jbuf
}

func TestEveryFormBecomesEvents(t *testing.T) {
	m, c, jbuf := newMonitor(t, nil, false)
	r := record("d")
	for _, dg := range [][]byte{
		protocol.AppendPacket(nil, r, r, r), // bulk: three events
		protocol.AppendMessage(nil, "pic.png", "<b>hi</b>"),
		protocol.AppendHTML(nil, "<i>x</i>"),
		protocol.AppendSound(nil, 30000, "Detection.wav"),
		protocol.AppendSE(nil, "se1.wav"),
		protocol.AppendVoice(nil, "hello"),
		protocol.AppendSky(nil, "sky.png"),
		protocol.AppendEarth(nil, protocol.EarthRecord{Lat1: 1, Lon1: 2, Lat2: 3, Lon2: 4, Flag: 1}),
		[]byte("garbage"),
	} {
		m.HandleDatagram(dg, from, now)
	}
	want := "packet packet packet message html sound se voice sky earth"
	if got := strings.Join(c.kinds(), " "); got != want {
		t.Errorf("events: %s\nwant    %s", got, want)
	}
	st := m.Stats()
	if st.Datagrams != 9 || st.Malformed != 1 || st.Events != 10 {
		t.Errorf("stats %+v", st)
	}
	if first, next := m.Timeline().Bounds(); next-first != 10 {
		t.Errorf("timeline holds %d events", next-first)
	}
	if err := m.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(jbuf.String(), "\n"); n != 10 {
		t.Errorf("journal has %d lines", n)
	}
	c.mu.Lock()
	msg := c.evs[3]
	c.mu.Unlock()
	if msg.File != "pic.png" || msg.Text != "<b>hi</b>" {
		t.Errorf("message event %+v", msg)
	}
}

func TestBadLinesInBulkAreCountedNotFatal(t *testing.T) {
	m, c, _ := newMonitor(t, nil, false)
	m.HandleDatagram([]byte("PACKTER\n10.0.0.1,10.0.0.2,1,2,3,a\nbroken line\n10.0.0.3,10.0.0.4,1,2,3,b\n"), from, now)
	if len(c.kinds()) != 2 || m.Stats().BadLines != 1 || m.Stats().Malformed != 0 {
		t.Errorf("events %v stats %+v", c.kinds(), m.Stats())
	}
}

func TestAuthPolicy(t *testing.T) {
	r := record("d")
	pkt := protocol.AppendPacket(nil, r)
	voice := protocol.AppendVoice(nil, "spoof")
	sign := func(id string, k []byte, at time.Time, p []byte) []byte {
		return protocol.AppendAgent(nil, id, k, at, p)
	}
	cases := []struct {
		name    string
		keys    bool
		require bool
		dg      []byte
		accept  bool
		authed  bool
	}{
		{"no keys: anything goes", false, false, voice, true, false},
		{"keys: unsigned records still accepted", true, false, pkt, true, false},
		{"keys: unsigned control refused", true, false, voice, false, false},
		{"keys: id without signature refused for control", true, false, sign("edge", nil, now, voice), false, false},
		{"keys: signed control accepted", true, false, sign("edge", key, now, voice), true, true},
		{"keys: signed records are authed", true, false, sign("edge", key, now, pkt), true, true},
		{"keys: wrong key refused even for records", true, false, sign("edge", []byte("nope"), now, pkt), false, false},
		{"keys: stale signature refused", true, false, sign("edge", key, now.Add(-301*time.Second), pkt), false, false},
		{"keys: unknown agent's control refused", true, false, sign("other", key, now, voice), false, false},
		{"require-auth: unsigned records refused", true, true, pkt, false, false},
		{"require-auth: signed records accepted", true, true, sign("edge", key, now, pkt), true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var keys map[string][]byte
			if c.keys {
				keys = map[string][]byte{"edge": key}
			}
			m, col, _ := newMonitor(t, keys, c.require)
			m.HandleDatagram(c.dg, from, now)
			got := len(col.kinds()) == 1
			if got != c.accept {
				t.Fatalf("accepted=%v, want %v (stats %+v)", got, c.accept, m.Stats())
			}
			if got && col.evs[0].Authed != c.authed {
				t.Errorf("authed=%v, want %v", col.evs[0].Authed, c.authed)
			}
			if !got && m.Stats().Unauthorized != 1 {
				t.Errorf("refusal not counted: %+v", m.Stats())
			}
		})
	}
}

func TestReplayedDatagramRefused(t *testing.T) {
	m, col, _ := newMonitor(t, map[string][]byte{"edge": key}, false)
	dg := protocol.AppendAgent(nil, "edge", key, now, protocol.AppendVoice(nil, "once"))
	m.HandleDatagram(dg, from, now)
	m.HandleDatagram(dg, from, now.Add(time.Second))
	if len(col.kinds()) != 1 || m.Stats().Replayed != 1 {
		t.Errorf("events %v stats %+v", col.kinds(), m.Stats())
	}
}

func TestRequireAuthNeedsKeys(t *testing.T) {
	if _, err := New(Config{RequireAuth: true}); err == nil {
		t.Error("--require-auth without keys accepted")
	}
}

// TestRunOverUDP: the real socket path, with garbage mixed in, ends cleanly on
// cancel with everything counted.
func TestRunOverUDP(t *testing.T) {
	c := &collector{}
	m, err := New(Config{Listen: []string{"127.0.0.1:0"}, Timeline: timeline.New(1000), Outputs: []Output{c}})
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := m.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	s, err := protocol.NewSender(protocol.SenderConfig{Viewers: []string{addrs[0].String()}})
	if err != nil {
		t.Fatal(err)
	}
	r := record("x")
	for i := 0; i < 50; i++ {
		s.Record(&r)
		s.Datagram([]byte("\x00\xffjunk"))
	}
	s.Close()
	deadline := time.Now().Add(5 * time.Second)
	for m.Stats().Datagrams < 100 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil && err != context.Canceled {
		t.Fatalf("Run: %v", err)
	}
	st := m.Stats()
	if st.Datagrams != 100 || st.Malformed != 50 || len(c.kinds()) != 50 {
		t.Errorf("stats %+v, %d events", st, len(c.kinds()))
	}
}
