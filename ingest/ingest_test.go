package ingest

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/protocol"
)

var (
	now  = time.Unix(1_800_000_000, 0)
	from = netip.MustParseAddrPort("127.0.0.1:40000")
	key  = []byte("edge-key")
)

func record(desc string) protocol.Record {
	return protocol.Record{
		Src: protocol.AddrFrom(netip.MustParseAddr("10.0.0.1")), Dst: protocol.AddrFrom(netip.MustParseAddr("10.0.0.2")),
		SPort: protocol.PortFrom(60000), DPort: protocol.PortFrom(80), Flag: 1, Desc: []byte(desc),
	}
}

func decoder(t testing.TB, cfg Config) (*Ingest, *Decoder) {
	t.Helper()
	in, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return in, in.NewDecoder()
}

func TestEveryFormBecomesEvents(t *testing.T) {
	in, d := decoder(t, Config{})
	r := record("d")
	var evs []event.Event
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
		evs = d.Decode(dg, from, now, evs)
	}
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind.String())
	}
	if got, want := strings.Join(kinds, " "), "packet packet packet message html sound se voice sky earth"; got != want {
		t.Errorf("events: %s\nwant    %s", got, want)
	}
	if st := in.Stats(); st.Datagrams != 9 || st.Malformed != 1 || st.Events != 10 {
		t.Errorf("stats %+v", st)
	}
	if m := evs[3]; m.File.String() != "pic.png" || m.Text.String() != "<b>hi</b>" {
		t.Errorf("message event %+v", m)
	}
	if s := evs[5]; s.Millis != 30000 || s.File.String() != "Detection.wav" {
		t.Errorf("sound event %+v", s)
	}
}

// Events own their text: the bytes they came from and the decoder's later
// work do not change what an output kept.
func TestEventsOwnTheirText(t *testing.T) {
	_, d := decoder(t, Config{})
	buf := protocol.AppendPacket(nil, record("first description"))
	kept := d.Decode(buf, from, now, nil)
	for i := range buf {
		buf[i] = 'X' // the receive buffer is reused for the next datagram
	}
	for i := 0; i < 5000; i++ { // and the decoder goes on through many chunks
		d.Decode(protocol.AppendPacket(nil, record(fmt.Sprintf("later %d %s", i, strings.Repeat("y", 50)))), from, now, nil)
	}
	if len(kept) != 1 || kept[0].Desc.String() != "first description" {
		t.Fatalf("kept event changed: %+v", kept)
	}
}

// Nothing from the wire reaches an output with a control character: the
// terminal-injection payloads are cleaned in every text field.
func TestWireTextIsCleaned(t *testing.T) {
	_, d := decoder(t, Config{})
	osc := "\x1b]52;c;cm0gLXJmIH4=\x07\x1b]0;pwned\x07\u009b2J\u202e"
	r := record("desc" + osc)
	r.Model = []byte("missile")
	dgs := [][]byte{
		protocol.AppendAgent(nil, "agent"+osc, nil, now, protocol.AppendPacket(nil, r)),
		protocol.AppendMessage(nil, "pic"+osc+".png", "text"+osc),
		protocol.AppendVoice(nil, "voice"+osc),
		protocol.AppendEarth(nil, protocol.EarthRecord{Flag: 1, Desc: []byte("earth" + osc)}),
	}
	var evs []event.Event
	for _, dg := range dgs {
		evs = d.Decode(dg, from, now, evs)
	}
	if len(evs) != 4 {
		t.Fatalf("%d events: %+v", len(evs), evs)
	}
	for _, e := range evs {
		for _, s := range []string{e.Desc.String(), e.Model.String(), e.Text.String(), e.File.String(), e.Agent.String()} {
			if strings.ContainsAny(s, "\x1b\x07\u009b\u202e") {
				t.Errorf("%s event carries a control character: %q", e.Kind, s)
			}
		}
	}
	if evs[0].Desc.String() != "desc]52;c;cm0gLXJmIH4=]0;pwned2J" {
		t.Errorf("cleaned description %q", evs[0].Desc)
	}
}

func TestLongTextIsCut(t *testing.T) {
	_, d := decoder(t, Config{})
	evs := d.Decode(protocol.AppendPacket(nil, record(strings.Repeat("d", 5000))), from, now, nil)
	if len(evs) != 1 || len(evs[0].Desc.String()) > event.MaxDesc || !strings.HasSuffix(evs[0].Desc.String(), "…") {
		t.Fatalf("description of %d bytes", len(evs[0].Desc.String()))
	}
}

func TestBadLinesInBulkAreCountedNotFatal(t *testing.T) {
	in, d := decoder(t, Config{})
	evs := d.Decode([]byte("PACKTER\n10.0.0.1,10.0.0.2,1,2,3,a\nbroken line\n10.0.0.3,10.0.0.4,1,2,3,b\n"), from, now, nil)
	if st := in.Stats(); len(evs) != 2 || st.BadLines != 1 || st.Malformed != 0 {
		t.Errorf("%d events, stats %+v", len(evs), st)
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
		name          string
		keys, require bool
		dg            []byte
		accept        bool
		authed        bool
	}{
		{"no keys: anything goes", false, false, voice, true, false},
		{"keys: unsigned records still accepted", true, false, pkt, true, false},
		{"keys: unsigned control refused", true, false, voice, false, false},
		{"keys: id without signature refused for control", true, false, sign("edge", nil, now, voice), false, false},
		{"keys: unsigned records may not claim a configured id", true, false, sign("edge", nil, now, pkt), false, false},
		{"keys: unsigned records of another id accepted", true, false, sign("visitor", nil, now, pkt), true, false},
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
			in, d := decoder(t, Config{Keys: keys, RequireAuth: c.require})
			evs := d.Decode(c.dg, from, now, nil)
			if got := len(evs) == 1; got != c.accept {
				t.Fatalf("accepted=%v, want %v (stats %+v)", got, c.accept, in.Stats())
			}
			if c.accept && evs[0].Authed != c.authed {
				t.Errorf("authed=%v, want %v", evs[0].Authed, c.authed)
			}
			if !c.accept && in.Stats().Unauthorized != 1 {
				t.Errorf("refusal not counted: %+v", in.Stats())
			}
		})
	}
}

func TestRequireAuthNeedsKeys(t *testing.T) {
	if _, err := New(Config{RequireAuth: true}); err != ErrRequireAuthNoKey {
		t.Errorf("--require-auth without keys: %v", err)
	}
}

// Exact within the window: after more signed datagrams than the old cache
// kept (it forgot half when full), every replay is still refused.
func TestReplayCacheExactUnderLoad(t *testing.T) {
	const n = 200_000
	in, d := decoder(t, Config{Keys: map[string][]byte{"edge": key}, ReplayMax: n})
	dgs := make([][]byte, 0, 1000)
	for i := 0; i < n; i++ {
		at := now.Add(time.Duration(i%290) * time.Second)
		dg := protocol.AppendAgent(nil, "edge", key, at, protocol.AppendVoice(nil, fmt.Sprint(i)))
		if len(d.Decode(dg, from, at, nil)) != 1 {
			t.Fatalf("datagram %d refused: %+v", i, in.Stats())
		}
		if i%(n/1000) == 0 {
			dgs = append(dgs, dg)
		}
	}
	for _, dg := range dgs {
		if len(d.Decode(dg, from, now.Add(290*time.Second), nil)) != 0 {
			t.Fatal("a replay inside the window was accepted")
		}
	}
	if st := in.Stats(); st.Replayed != uint64(len(dgs)) {
		t.Errorf("replayed %d, want %d", st.Replayed, len(dgs))
	}
	// Full: the next new signed datagram is refused and counted, not a
	// remembered one forgotten.
	extra := protocol.AppendAgent(nil, "edge", key, now.Add(10*time.Second), protocol.AppendVoice(nil, "one more"))
	if len(d.Decode(extra, from, now.Add(20*time.Second), nil)) != 0 || in.Stats().ReplayFull != 1 {
		t.Errorf("cache full: %+v", in.Stats())
	}
	// Once the window has moved on, old entries go and room comes back.
	later := now.Add(20 * time.Minute)
	fresh := protocol.AppendAgent(nil, "edge", key, later, protocol.AppendVoice(nil, "later"))
	if len(d.Decode(fresh, from, later, nil)) != 1 {
		t.Errorf("after the window: %+v", in.Stats())
	}
}

func FuzzDecode(f *testing.F) {
	r := record("d")
	f.Add(protocol.AppendPacket(nil, r, r))
	f.Add(protocol.AppendAgent(nil, "edge", key, now, protocol.AppendVoice(nil, "x")))
	f.Add(protocol.AppendMessage(nil, "p.png", "\x1b]0;t\x07"))
	f.Add([]byte("PACKTEARTH\n1,2,3,4,1,d\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, d := decoder(t, Config{Keys: map[string][]byte{"edge": key}})
		for _, e := range d.Decode(b, from, now, nil) {
			for _, s := range []string{e.Desc.String(), e.Model.String(), e.Text.String(), e.File.String(), e.Agent.String()} {
				if event.Clean(s, 1<<20) != s {
					t.Fatalf("uncleaned text %q", s)
				}
			}
		}
	})
}
