package agent

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/packter/packter/detect"
	"github.com/packter/packter/geo"
	"github.com/packter/packter/protocol"
)

// geoTestDB is the project's made-up ranges (geo/testdata): 1.0.0.0/24
// Japan, 5.0.0.0/8 Brazil, 2001:200::/32 Japan, 2a00::/16 Germany.
func geoTestDB(t testing.TB) *geo.DB {
	t.Helper()
	db, err := geo.Open("../geo/testdata/ranges4.txt,../geo/testdata/ranges6.txt")
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func synFrame(t testing.TB, src, dst string, sport uint16) []byte {
	s, d := net.ParseIP(src), net.ParseIP(dst)
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: 80, SYN: true, Window: 1000}
	if s.To4() != nil {
		ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: s.To4(), DstIP: d.To4()}
		tcp.SetNetworkLayerForChecksum(ip)
		return ser(t, eth(layers.EthernetTypeIPv4), ip, tcp)
	}
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: s, DstIP: d}
	tcp.SetNetworkLayerForChecksum(ip)
	return ser(t, eth(layers.EthernetTypeIPv6), ip, tcp)
}

// TestGeoEarthRecords: every record sent is followed by PACKTEARTH with each
// end at its country's point (zone.tab's Tokyo, São Paulo, Berlin), flag and
// description as the record's; a local end is drawn at --geoip-home, or not
// at all without it.
func TestGeoEarthRecords(t *testing.T) {
	frames := [][]byte{
		synFrame(t, "1.0.0.7", "5.1.2.3", 40000),     // Japan → Brazil
		synFrame(t, "2001:200::1", "2a00::5", 40001), // Japan → Germany
		synFrame(t, "10.0.0.1", "1.0.0.9", 40002),    // local → Japan
		synFrame(t, "1.0.0.7", "9.9.9.9", 40003),     // Japan → nowhere known
	}
	c := pcapOf(t, frames, time.Millisecond)
	got, _ := printRun(t, Config{Geo: GeoConfig{DB: geoTestDB(t)}, Trace: TraceConfig{Server: "tc.example"}}, c)
	want := []string{
		"35.6544,139.7447,-23.5333,-46.6167,1,", // JP → BR
		"35.6544,139.7447,52.5,13.3667,6,",      // JP → DE, IPv6 SYN
	}
	if n := strings.Count(got, "PACKTEARTH\n"); n != 2 {
		t.Fatalf("%d PACKTEARTH datagrams, want 2 (local and unknown ends are not drawn):\n%s", n, got)
	}
	for _, w := range want {
		if !strings.Contains(got, "PACKTEARTH\n"+w) {
			t.Errorf("no PACKTEARTH line starting %q in\n%s", w, got)
		}
	}
	// The earth record carries the record's traceable description, so T works on the globe.
	var d protocol.Datagram
	i := strings.Index(got, "PACKTEARTH\n")
	end := strings.Index(got[i:], "\nPACKTER\n")
	if err := protocol.Parse([]byte(got[i:i+end+1]), &d); err != nil || len(d.Earth) != 1 {
		t.Fatalf("parse %q: %v", got[i:i+end+1], err)
	}
	if !strings.HasSuffix(string(d.Earth[0].Desc), "-tc.example") {
		t.Errorf("earth description %q is not the record's HASH-TCHOST", d.Earth[0].Desc)
	}

	got, _ = printRun(t, Config{Geo: GeoConfig{DB: geoTestDB(t), Home: "nz"}}, c)
	if !strings.Contains(got, "PACKTEARTH\n-36.8667,174.7667,35.6544,139.7447,1,") {
		t.Errorf("local end not at home (Auckland):\n%s", got)
	}
}

// TestGeoEarthBulk: with -B, earth lines share PACKTEARTH datagrams as
// records share PACKTER ones, within the same size limit.
func TestGeoEarthBulk(t *testing.T) {
	var frames [][]byte
	for i := 0; i < 10; i++ {
		frames = append(frames, synFrame(t, "1.0.0.7", "5.1.2.3", uint16(40000+i)))
	}
	got, _ := printRun(t, Config{Geo: GeoConfig{DB: geoTestDB(t)}, Output: OutputConfig{Bulk: time.Hour}}, pcapOf(t, frames, time.Millisecond))
	if n := strings.Count(got, "PACKTEARTH\n"); n != 1 {
		t.Fatalf("%d PACKTEARTH datagrams, want 1 bulk: %q", n, got)
	}
	var d protocol.Datagram
	i := strings.Index(got, "PACKTEARTH\n")
	if err := protocol.Parse([]byte(got[i:]), &d); err != nil || len(d.Earth) != 10 {
		t.Fatalf("bulk PACKTEARTH does not parse as 10 records: %v", err)
	}
	// 40 records: more than one MTU-sized datagram holds.
	for i := 10; i < 40; i++ {
		frames = append(frames, synFrame(t, "1.0.0.7", "5.1.2.3", uint16(40000+i)))
	}
	raw, _ := printRunRaw(t, Config{Geo: GeoConfig{DB: geoTestDB(t)}, Output: OutputConfig{Bulk: time.Hour}}, pcapOf(t, frames, time.Millisecond))
	ps, err := SplitPrinted([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	earth := 0
	for _, p := range ps {
		if len(p.Data) > protocol.DefaultBulkMax {
			t.Errorf("a datagram of %d bytes, over %d", len(p.Data), protocol.DefaultBulkMax)
		}
		if err := protocol.Parse(p.Data, &d); err != nil {
			t.Fatal(err)
		}
		earth += len(d.Earth)
	}
	if earth != 40 {
		t.Errorf("%d earth records, want 40", earth)
	}
}

// TestGeoFloodWords: a flood from Brazil toward a Japanese address is said
// with both countries.
func TestGeoFloodWords(t *testing.T) {
	var frames [][]byte
	for i := 0; i < 600; i++ {
		frames = append(frames, synFrame(t, "5.1.2."+strconv.Itoa(i%250), "1.0.0.9", uint16(1024+i)))
	}
	got, st := printRun(t, Config{Geo: GeoConfig{DB: geoTestDB(t)}, Detection: DetectConfig{Spec: "threshold"}}, pcapOf(t, frames, time.Millisecond))
	if st.Alerts != 1 {
		t.Fatalf("%d alerts", st.Alerts)
	}
	i := strings.Index(got, "PACKTERVOICE\n")
	voice, _, _ := strings.Cut(got[i+len("PACKTERVOICE\n"):], "\n")
	if !strings.HasPrefix(voice, "SYN flood toward 1.0.0.9 in Japan, mostly from Brazil, ") {
		t.Fatalf("voice %q", voice)
	}
}

func TestGeoConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		g    GeoConfig
		want string
	}{
		{"home alone", GeoConfig{Home: "JP"}, "--geoip-home needs --geoip"},
		{"bad home", GeoConfig{Spec: "auto", Home: "XX"}, "not a two-letter country code"},
	} {
		cfg := Config{Output: OutputConfig{PrintOnly: true}, Geo: tc.g}
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	_, err := Run(t.Context(), Config{Output: OutputConfig{PrintOnly: true}, Geo: GeoConfig{Spec: "/nonexistent/geoip"}, Input: InputConfig{Reader: strings.NewReader("")}})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/geoip") {
		t.Errorf("missing database: %v", err)
	}
}

// TestGeoRecordAllocatesNothing: the earth record beside each record, and
// the alert words' source tally, cost no allocation per packet.
func TestGeoRecordAllocatesNothing(t *testing.T) {
	cfg := Config{Geo: GeoConfig{DB: geoTestDB(t)}}
	cfg.defaults()
	o := withGeo(&cfg, funcOut(func(time.Time, *protocol.Record) error { return nil }), cfg.Geo.DB).(*earthOut)
	rec := protocol.Record{Src: protocol.AddrFrom(netip.MustParseAddr("1.0.0.7")), Dst: protocol.AddrFrom(netip.MustParseAddr("5.1.2.3")),
		SPort: protocol.PortFrom(40000), DPort: protocol.PortFrom(80), Flag: 1, Desc: []byte("TCP src:1.0.0.7(40000) dst:5.1.2.3(80)")}
	src := netip.MustParseAddr("5.1.2.3")
	if n := testing.AllocsPerRun(1000, func() {
		if err := o.record(time.Time{}, &rec); err != nil {
			t.Fatal(err)
		}
		o.places.observe(src, detect.Classify(6, 0x02))
	}); n != 0 {
		t.Errorf("%v allocations per record", n)
	}
	if got := o.places.From(detect.SYN); got != "Brazil" {
		t.Errorf("From(SYN) = %q after SYNs from Brazil", got)
	}
}

// BenchmarkGeoRecord is the per-record cost --geoip adds on the send path:
// two lookups and one PACKTEARTH line (the datagram itself is not sent).
func BenchmarkGeoRecord(b *testing.B) {
	cfg := Config{Geo: GeoConfig{DB: geoTestDB(b)}}
	cfg.defaults()
	o := withGeo(&cfg, funcOut(func(time.Time, *protocol.Record) error { return nil }), cfg.Geo.DB).(*earthOut)
	rec := protocol.Record{Src: protocol.AddrFrom(netip.MustParseAddr("1.0.0.7")), Dst: protocol.AddrFrom(netip.MustParseAddr("5.1.2.3")),
		SPort: protocol.PortFrom(40000), DPort: protocol.PortFrom(80), Flag: 1, Desc: []byte("TCP src:1.0.0.7(40000) dst:5.1.2.3(80)")}
	b.ReportAllocs()
	for b.Loop() {
		_ = o.record(time.Time{}, &rec)
	}
}
