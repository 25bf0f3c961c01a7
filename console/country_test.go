package console

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/protocol"
)

// earth is a PACKTEARTH event between two points (degrees).
func earth(lat1, lon1, lat2, lon2 float64, flag int, desc string) event.Event {
	return event.Event{Kind: event.KindEarth, Lat1: lat1, Lon1: lon1, Lat2: lat2, Lon2: lon2, Flag: flag, Desc: event.CleanText(desc, event.MaxText)}
}

// Points from zone.tab (geo's table): Tokyo, Berlin, São Paulo; and Berlin
// Mitte as PACKTER 3.0's agents might send it, near but not at the point.
var (
	jpToDE   = earth(35.6544, 139.7447, 52.5, 13.3667, 1, "TCP src:1.0.0.7(40000) dst:2.0.0.1(80)")
	brToJP   = earth(-23.5333, -46.6167, 35.68, 139.69, 3, "")
	cityToBR = earth(52.52, 13.40, -23.5333, -46.6167, 6, "0123456789abcdef0123456789abcdef-tc")
)

func TestDescribeEarth(t *testing.T) {
	for _, tc := range []struct {
		ev   event.Event
		want string
	}{
		{jpToDE, "TCP SYN from Japan to Germany"}, // the agent's default description says nothing more
		{brToJP, "UDP from Brazil to Japan"},
		{cityToBR, "IPv6 TCP SYN from Germany to Brazil"}, // a hash is not read out
		{earth(35.6544, 139.7447, 52.5, 13.3667, 0, "backup run"), "TCP from Japan to Germany, backup run"},
	} {
		got := Describe(&tc.ev)
		if got != tc.want {
			t.Errorf("Describe = %q, want %q", got, tc.want)
		}
		if strings.Contains(got, "latitude") {
			t.Errorf("%q reads out coordinates", got)
		}
	}
	if got := EarthCoordinates(&jpToDE); got != "from latitude 35.6544 longitude 139.7447 to latitude 52.5 longitude 13.3667" {
		t.Errorf("EarthCoordinates = %q", got)
	}
}

func TestFilterCountries(t *testing.T) {
	syn4 := pkt("1.0.0.7", "2.0.0.1", 60000, 80, 1, "TCP src:1.0.0.7(60000) dst:2.0.0.1(80) Japan")
	all := []event.Event{jpToDE, brToJP, cityToBR, syn4}
	checkFilters(t, all, []filterCase{
		{"cc:JP", []bool{true, true, false, false}}, // either end; a packet has no country
		{"CC:de", []bool{true, false, true, false}},
		{"country:japan", []bool{true, true, false, false}},
		{"country:united-states", []bool{false, false, false, false}},
		{"from:JP", []bool{true, false, false, false}},
		{"to:japan", []bool{false, true, false, false}},
		{"from germany", []bool{false, false, true, false}},
		{"to jp", []bool{false, true, false, false}},
		{"from br to jp udp", []bool{false, true, false, false}},
		{"src:de dst:br", []bool{false, false, true, false}},
		{"from 1.0.0.0/8", []bool{false, false, false, true}}, // addresses still work
		{"japan", []bool{false, false, false, true}},          // a bare word is a word of the description
	}, "cc:XX", "country:atlantis", "from:nowhere", "to:zz")
	f, err := ParseFilter("from:jp to:germany tcp")
	if err != nil {
		t.Fatal(err)
	}
	ev := cityToBR
	if n := testing.AllocsPerRun(100, func() { f.Match(&ev); f.Match(&jpToDE) }); n != 0 {
		t.Errorf("Match allocates %v times", n)
	}
}

// An agent with --geoip sends a PACKTEARTH beside each record: accessible
// mode says the two as one line, the packet with its countries.
func TestEarthFoldedIntoItsPacket(t *testing.T) {
	r := newRig(t, 0, true)
	r.clock = r.clock.Add(2 * time.Second)
	at := r.clock.Add(-time.Second)
	pkt := event.Event{Time: at, Kind: event.KindPacket, Flag: 1, Desc: jpToDE.Desc,
		Src: protocol.AddrFrom(netip.MustParseAddr("1.0.0.7")), Dst: protocol.AddrFrom(netip.MustParseAddr("2.0.0.1")),
		SPort: protocol.PortFrom(40000), DPort: protocol.PortFrom(80)}
	e := jpToDE
	e.Time = at
	r.tl.Append(&pkt)
	r.tl.Append(&e)
	r.c.refresh()
	lines := textsOf(r.c.takeNotes(), noteEvent)
	want := "TCP SYN from 1.0.0.7 port 40000 to 2.0.0.1 port 80, from Japan to Germany"
	if len(lines) != 1 || lines[0] != want {
		t.Errorf("lines %q, want one: %q", lines, want)
	}
}

// A summary of a window with geographic records says where they came from;
// Enter on one reads its coordinates too (asked for in full).
func TestCountriesInSummaryAndFull(t *testing.T) {
	r := newRig(t, 0, true)
	base := r.clock
	add := func(e event.Event, k int) {
		for i := 0; i < k; i++ {
			e.Time = base.Add(time.Duration(i) * time.Millisecond)
			r.tl.Append(&e)
		}
	}
	add(brToJP, 5)   // from Brazil
	add(jpToDE, 3)   // from Japan
	add(cityToBR, 1) // from Germany
	for i := 0; i < 10; i++ {
		p := event.Event{Time: base, Kind: event.KindPacket, Flag: 1, Src: protocol.AddrFrom(netip.MustParseAddr("10.0.0.1")), Dst: protocol.AddrFrom(netip.MustParseAddr("10.0.0.2"))}
		r.tl.Append(&p)
	}
	r.clock = base.Add(11 * time.Second)
	r.c.refresh()
	summary := lastOf(r.c.takeNotes(), noteSummary)
	if !strings.Contains(summary, "from 3 countries, most from Brazil, Japan and Germany") {
		t.Errorf("summary %q", summary)
	}
	if got := sourceCountries(&r.c.rd, 0, 5); got != "from Brazil" {
		t.Errorf("one country: %q", got)
	}
}

func TestEnterReadsEarthCoordinates(t *testing.T) {
	r := newRig(t, 0, false)
	e := jpToDE
	e.Time = r.clock
	r.tl.Append(&e)
	r.c.refresh()
	notes, _ := r.press("1", "enter")
	got := lastOf(notes, noteAnnounce)
	if !strings.HasPrefix(got, "TCP SYN from Japan to Germany") || !strings.Contains(got, "from latitude 35.6544 longitude 139.7447") {
		t.Errorf("Enter said %q", got)
	}
}
