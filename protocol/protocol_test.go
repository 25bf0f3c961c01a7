package protocol

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func mustParse(t *testing.T, s string) *Datagram {
	t.Helper()
	var d Datagram
	if err := Parse([]byte(s), &d); err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return &d
}

func TestParseForms(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		header  Header
		records int
		check   func(t *testing.T, d *Datagram)
	}{
		{"single LF", "PACKTER\n192.168.1.1,10.0.0.1,49305,80,5,This is a test\n", HeaderPacket, 1, func(t *testing.T, d *Datagram) {
			r := d.Records[0]
			if r.Src.IP != netip.MustParseAddr("192.168.1.1") || r.Dst.IP != netip.MustParseAddr("10.0.0.1") ||
				r.SPort.Value != 49305 || r.DPort.Value != 80 || r.Flag != 5 || string(r.Desc) != "This is a test" {
				t.Errorf("record = %+v", r)
			}
		}},
		{"CRLF as the paper writes", "PACKTER\r\n1.2.3.4,5.6.7.8,1,2,3,d\r\n", HeaderPacket, 1, func(t *testing.T, d *Datagram) {
			if string(d.Records[0].Desc) != "d" {
				t.Errorf("desc %q keeps the CR", d.Records[0].Desc)
			}
		}},
		{"no final newline", "PACKTER\n1.2.3.4,5.6.7.8,1,2,3,d", HeaderPacket, 1, nil},
		{"description with commas kept whole", "PACKTER\n1.2.3.4,5.6.7.8,1,2,3,a,b,c\n", HeaderPacket, 1, func(t *testing.T, d *Datagram) {
			if string(d.Records[0].Desc) != "a,b,c" {
				t.Errorf("desc %q", d.Records[0].Desc)
			}
		}},
		{"bulk", "PACKTER\n1.1.1.1,2.2.2.2,1,2,0,a\n3.3.3.3,4.4.4.4,3,4,1,b\n::1,::2,5,6,8,c\n", HeaderPacket, 3, nil},
		{"one-line", "PACKTER 1.1.1.1,2.2.2.2,1,2,0,a", HeaderPacket, 1, nil},
		{"PACTER", "PACTER\n1.1.1.1,2.2.2.2,1,2,0,a\n", HeaderPacket, 1, nil},
		{"ballistic", "PACKTERBALLISTIC\n1.1.1.1,2.2.2.2,1,2,0,a\n", HeaderBallistic, 1, nil},
		{"normalised coordinates", "PACKTER\n0.25,0.5,0.125,1.0,3,n\n", HeaderPacket, 1, func(t *testing.T, d *Datagram) {
			r := d.Records[0]
			if r.Src.Normalized() != 0.25 || r.Dst.Normalized() != 0.5 || r.SPort.Normalized() != 0.125 || r.DPort.Normalized() != 1 {
				t.Errorf("record = %+v", r)
			}
		}},
		{"model flag", "PACKTER\n1.1.1.1,2.2.2.2,1,2,missile,SYN flood\n", HeaderPacket, 1, func(t *testing.T, d *Datagram) {
			if string(d.Records[0].Model) != "missile" {
				t.Errorf("model %q", d.Records[0].Model)
			}
		}},
		{"gateway", "PACKTERWITHGATEWAY\n1.1.1.1,2.2.2.2,1,2,3.3.3.3,4,router.x,1\n", HeaderGateway, 1, func(t *testing.T, d *Datagram) {
			r := d.Records[0]
			if !r.HasGateway || r.Gateway.IP != netip.MustParseAddr("3.3.3.3") || r.GatewayPort.Value != 4 || string(r.Model) != "router.x" || r.Flag != 1 {
				t.Errorf("record = %+v", r)
			}
		}},
		{"earth", "PACKTEARTH\n35.6,139.7,-33.9,151.2,2,quake\n", HeaderEarth, 0, func(t *testing.T, d *Datagram) {
			if len(d.Earth) != 1 || d.Earth[0].Lat2 != -33.9 || d.Earth[0].Lon2 != 151.2 || string(d.Earth[0].Desc) != "quake" {
				t.Errorf("earth = %+v", d.Earth)
			}
		}},
		{"msg", "PACKTERMSG\npic01.png,This is a <b>message</b>, really\n", HeaderMessage, 0, func(t *testing.T, d *Datagram) {
			if string(d.Picture) != "pic01.png" || string(d.Text) != "This is a <b>message</b>, really" {
				t.Errorf("msg = %q %q", d.Picture, d.Text)
			}
		}},
		{"mesg spelling", "PACKTERMESG\np.png,hi\n", HeaderMessage, 0, nil},
		{"html", "PACKTERHTML\n<html><body><b>ABCDEFG</b></body></html>\n", HeaderHTML, 0, nil},
		{"sound", "PACKTERSOUND\n30000,Detection.wav\n", HeaderSound, 0, func(t *testing.T, d *Datagram) {
			if d.Millis != 30000 || !d.HasMillis || string(d.File) != "Detection.wav" {
				t.Errorf("sound = %d %q", d.Millis, d.File)
			}
		}},
		{"sound loop", "PACKTERSOUND\n-5000,bgm.wav\n", HeaderSound, 0, func(t *testing.T, d *Datagram) {
			if d.Millis != -5000 {
				t.Errorf("millis = %d", d.Millis)
			}
		}},
		{"sound stop", "PACKTERSOUND\n,\n", HeaderSound, 0, func(t *testing.T, d *Datagram) {
			if d.HasMillis || d.Millis != 0 {
				t.Errorf("millis = %d", d.Millis)
			}
		}},
		{"se without newline", "PACKTERSE\nse3.wav", HeaderSE, 0, func(t *testing.T, d *Datagram) {
			if string(d.File) != "se3.wav" {
				t.Errorf("file %q", d.File)
			}
		}},
		{"voice", "PACKTERVOICE\n/T:1 /W: hello\n", HeaderVoice, 0, nil},
		{"sky", "PACKTERSKYDOMETEXTURE\ntexture1.png\n", HeaderSky, 0, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := mustParse(t, c.in)
			if d.Header != c.header {
				t.Errorf("header %v, want %v", d.Header, c.header)
			}
			if len(d.Records) != c.records {
				t.Errorf("%d records, want %d", len(d.Records), c.records)
			}
			if c.check != nil {
				c.check(t, d)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrEmpty},
		{"unknown header", "HELLO\nx\n", ErrHeader},
		{"no body", "PACKTER\n", ErrNoRecords},
		{"too few fields", "PACKTER\n1.1.1.1,2.2.2.2,1\n", ErrFieldCount},
		{"bad address", "PACKTER\n1.1.1.256,2.2.2.2,1,2,3,d\n", ErrAddr},
		{"normalised address out of range", "PACKTER\n1.5,2.2.2.2,1,2,3,d\n", ErrAddr},
		{"bad port", "PACKTER\n1.1.1.1,2.2.2.2,70000,2,3,d\n", ErrPort},
		{"negative flag", "PACKTER\n1.1.1.1,2.2.2.2,1,2,-3,d\n", ErrFlag},
		{"empty voice", "PACKTERVOICE\n", ErrBody},
		{"bad sound time", "PACKTERSOUND\nsoon,x.wav\n", ErrTime},
		{"bad agent line", "PACKTERAGENT a,b\nPACKTER\n1.1.1.1,2.2.2.2,1,2,3,d\n", ErrAgentLine},
		{"earth out of range", "PACKTEARTH\n95,0,0,0,1,x\n", ErrCoord},
		{"too large", "PACKTER\n" + strings.Repeat("x", MaxDatagram), ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var d Datagram
			err := Parse([]byte(c.in), &d)
			if !errors.Is(err, c.want) {
				t.Fatalf("Parse(%q) = %v, want %v", c.in, err, c.want)
			}
		})
	}
}

func TestBulkKeepsGoodLines(t *testing.T) {
	d := mustParse(t, "PACKTER\n1.1.1.1,2.2.2.2,1,2,0,a\ngarbage\n3.3.3.3,4.4.4.4,3,4,1,b\n")
	if len(d.Records) != 2 || d.Bad != 1 || !errors.Is(d.BadErr, ErrFieldCount) {
		t.Fatalf("records %d bad %d err %v", len(d.Records), d.Bad, d.BadErr)
	}
	var pe *ParseError
	if !errors.As(d.BadErr, &pe) || pe.Line != 3 {
		t.Fatalf("bad line error %v, want line 3", d.BadErr)
	}
}

// TestEncodeExact pins the bytes PACKTER's agents send (mesg.c / send.c formats).
func TestEncodeExact(t *testing.T) {
	r := Record{
		Src: AddrFrom(netip.MustParseAddr("192.168.1.1")), Dst: AddrFrom(netip.MustParseAddr("10.0.0.1")),
		SPort: PortFrom(49305), DPort: PortFrom(80), Flag: 1,
		Desc: []byte("TCP src:192.168.1.1(49305) dst:10.0.0.1(80)"),
	}
	cases := []struct{ got, want string }{
		{string(AppendPacket(nil, r)), "PACKTER\n192.168.1.1,10.0.0.1,49305,80,1,TCP src:192.168.1.1(49305) dst:10.0.0.1(80)\n"},
		{string(AppendPacket(nil, r, r)), "PACKTER\n" + strings.Repeat("192.168.1.1,10.0.0.1,49305,80,1,TCP src:192.168.1.1(49305) dst:10.0.0.1(80)\n", 2)},
		{string(AppendDesc(nil, &r)), "TCP src:192.168.1.1(49305) dst:10.0.0.1(80)"},
		{string(AppendSE(nil, "se1.wav")), "PACKTERSE\nse1.wav"},
		{string(AppendSound(nil, 30000, "Detection.wav")), "PACKTERSOUND\n30000,Detection.wav\n"},
		{string(AppendMessage(nil, "pic01.png", "line1\nline2")), "PACKTERMSG\npic01.png,line1 line2\n"},
		{string(AppendVoice(nil, "Launched IP traceback process")), "PACKTERVOICE\nLaunched IP traceback process\n"},
		{string(AppendHTML(nil, "<b>x</b>")), "PACKTERHTML\n<b>x</b>\n"},
		{string(AppendSky(nil, "sky.png")), "PACKTERSKYDOMETEXTURE\nsky.png\n"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got  %q\nwant %q", c.got, c.want)
		}
	}
	icmp := Record{Src: AddrFrom(netip.MustParseAddr("10.0.0.1")), Dst: AddrFrom(netip.MustParseAddr("10.0.0.2")), Flag: 4}
	icmp.SPort, icmp.DPort = ICMPPorts(8, 0)
	if got := string(AppendDesc(nil, &icmp)); got != "ICMPv4 src:10.0.0.1 dst:10.0.0.2 (type:8 code:0)" {
		t.Errorf("icmp desc %q", got)
	}
	if icmp.SPort.Value != 2048 {
		t.Errorf("icmp sport %d, want 8*256", icmp.SPort.Value)
	}
}

func TestRoundTrip(t *testing.T) {
	recs := []Record{
		{Src: AddrFrom(netip.MustParseAddr("10.1.2.3")), Dst: AddrFrom(netip.MustParseAddr("2001:db8::1")), SPort: PortFrom(1), DPort: PortFrom(65535), Flag: 17, Desc: []byte("x,y")},
		{Src: NormAddr(0.5), Dst: NormAddr(0.001), SPort: Port{Norm: 0.75, IsNorm: true}, DPort: PortFrom(0), Model: []byte("missile"), Desc: nil},
	}
	b := AppendPacket(nil, recs...)
	d := mustParse(t, string(b))
	if len(d.Records) != len(recs) {
		t.Fatalf("%d records", len(d.Records))
	}
	for i := range recs {
		if again := AppendRecord(nil, &d.Records[i]); !bytes.Equal(again, AppendRecord(nil, &recs[i])) {
			t.Errorf("record %d: %q != %q", i, again, AppendRecord(nil, &recs[i]))
		}
	}
	g := AppendGateway(nil, Record{Src: recs[0].Src, Dst: recs[0].Dst, SPort: PortFrom(1), DPort: PortFrom(2), Gateway: AddrFrom(netip.MustParseAddr("192.0.2.1")), GatewayPort: PortFrom(3), Model: []byte("gw"), Flag: 2})
	dg := mustParse(t, string(g))
	if again := AppendGateway(nil, dg.Records...); !bytes.Equal(again, g) {
		t.Errorf("gateway: %q != %q", again, g)
	}
	e := AppendEarth(nil, EarthRecord{Lat1: 1.5, Lon1: -2.25, Lat2: 3, Lon2: 4, Flag: 1, Desc: []byte("geo")})
	de := mustParse(t, string(e))
	if again := AppendEarth(nil, de.Earth...); !bytes.Equal(again, e) {
		t.Errorf("earth: %q != %q", again, e)
	}
}

func TestNormalize(t *testing.T) {
	cases := []struct {
		a    string
		want float64
	}{
		{"0.0.0.0", 0},
		{"128.0.0.0", 0.5},
		{"255.255.255.255", float64(math.MaxUint32) / (1 << 32)},
		{"::", 0},
		{"8000::", 0.5},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", math.Nextafter(1, 0)},
	}
	for _, c := range cases {
		if got := AddrFrom(netip.MustParseAddr(c.a)).Normalized(); got != c.want || got >= 1 {
			t.Errorf("%s: %v, want %v", c.a, got, c.want)
		}
	}
	s, d := ICMPPorts(3, 1)
	if s.Normalized() != 3.0/256 || d.Normalized() != 1.0/256 {
		t.Errorf("icmp %v %v", s.Normalized(), d.Normalized())
	}
	if PortFrom(32768).Normalized() != 0.5 {
		t.Error("port 32768 should be 0.5")
	}
}

func TestSignVerify(t *testing.T) {
	key := []byte("s3cret")
	now := time.Unix(1_800_000_000, 0)
	payload := AppendPacket(nil, Record{Src: AddrFrom(netip.MustParseAddr("1.1.1.1")), Dst: AddrFrom(netip.MustParseAddr("2.2.2.2")), Flag: 3})
	signed := AppendAgent(nil, "edge1", key, now, payload)
	if !bytes.HasPrefix(signed, []byte("PACKTERAGENT edge1,1800000000,")) {
		t.Fatalf("agent line: %q", signed)
	}
	d := mustParse(t, string(signed))
	if string(d.Agent.ID) != "edge1" || d.Header != HeaderPacket || len(d.Records) != 1 {
		t.Fatalf("parsed %+v", d)
	}
	if err := d.Verify(key, now.Add(299*time.Second)); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if err := d.Verify(key, now.Add(301*time.Second)); !errors.Is(err, ErrStale) {
		t.Errorf("stale: %v", err)
	}
	if err := d.Verify([]byte("other"), now); !errors.Is(err, ErrBadMAC) {
		t.Errorf("wrong key: %v", err)
	}
	tampered := bytes.Replace(signed, []byte("2.2.2.2"), []byte("2.2.2.3"), 1)
	dt := mustParse(t, string(tampered))
	if err := dt.Verify(key, now); !errors.Is(err, ErrBadMAC) {
		t.Errorf("tampered: %v", err)
	}
	unsigned := mustParse(t, string(AppendAgent(nil, "edge1", nil, now, payload)))
	if err := unsigned.Verify(key, now); !errors.Is(err, ErrUnsigned) {
		t.Errorf("unsigned: %v", err)
	}
}

func TestHostPort(t *testing.T) {
	cases := map[string]string{
		"127.0.0.1":      "127.0.0.1:11300",
		"127.0.0.1:9":    "127.0.0.1:9",
		"::1":            "[::1]:11300",
		"[::1]":          "[::1]:11300",
		"[::1]:9":        "[::1]:9",
		"localhost":      "localhost:11300",
		"viewer.lan:123": "viewer.lan:123",
	}
	for in, want := range cases {
		got, err := HostPort(in, 11300)
		if err != nil || got != want {
			t.Errorf("HostPort(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := HostPort("1.2.3.4:99999", 1); err == nil {
		t.Error("port 99999 accepted")
	}
}

func TestSplitTraceDesc(t *testing.T) {
	h := "0123456789abcdef0123456789ABCDEF"
	if hash, host, ok := SplitTraceDesc(h + "-172.16.45.1"); !ok || hash != h || host != "172.16.45.1" {
		t.Errorf("got %q %q %v", hash, host, ok)
	}
	for _, bad := range []string{"TCP src:1.1.1.1(1) dst:2.2.2.2(2)", h + "-a-b", "abc-host", h + "-"} {
		if _, _, ok := SplitTraceDesc(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestSenderListener(t *testing.T) {
	l, err := Listen(ListenConfig{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan string, 100)
	go l.Serve(ctx, func(b *Batch) {
		for _, p := range b.Packets {
			got <- string(p.Data)
		}
	})
	s, err := NewSender(SenderConfig{Viewers: []string{l.Addr().String()}, Bulk: time.Hour, BulkMax: 200})
	if err != nil {
		t.Fatal(err)
	}
	r := Record{Src: AddrFrom(netip.MustParseAddr("10.0.0.1")), Dst: AddrFrom(netip.MustParseAddr("10.0.0.2")), SPort: PortFrom(1000), DPort: PortFrom(80), Flag: 1, Desc: []byte("d")}
	for i := 0; i < 10; i++ { // 10 lines of 31 bytes: split over bulk datagrams of at most 200 bytes
		s.Record(&r)
	}
	s.Datagram(AppendVoice(nil, "hello"))
	s.Close()
	var recs int
	for recs < 10 {
		msg := <-got
		if len(msg) > 200 {
			t.Errorf("bulk datagram of %d bytes over the 200 limit", len(msg))
		}
		var d Datagram
		if err := Parse([]byte(msg), &d); err != nil {
			t.Fatalf("parse %q: %v", msg, err)
		}
		if d.Header != HeaderPacket {
			t.Fatalf("got %v before all records", d.Header)
		}
		recs += len(d.Records)
	}
	if msg := <-got; msg != "PACKTERVOICE\nhello\n" {
		t.Errorf("control message after records: %q", msg)
	}
	if st := l.Stats(); st.Dropped != 0 {
		t.Errorf("dropped %d", st.Dropped)
	}
}

func TestAppendTextMatchesNetip(t *testing.T) {
	for _, s := range []string{"0.0.0.0", "1.2.3.4", "10.0.100.9", "255.255.255.255", "192.168.1.10", "2001:db8::1", "::ffff:1.2.3.4"} {
		ip := netip.MustParseAddr(s)
		if got := string(AddrFrom(ip).AppendText(nil)); got != ip.String() {
			t.Errorf("%s: %q", s, got)
		}
	}
	for _, v := range []uint32{0, 9, 10, 99, 100, 65535, 65536, 4294967295} {
		if got := string(PortFrom(v).AppendText(nil)); got != fmt.Sprint(v) {
			t.Errorf("port %d: %q", v, got)
		}
	}
}

// TestSenderListenerIPv6: the same path over IPv6 loopback, to two viewers at
// once.
func TestSenderListenerIPv6(t *testing.T) {
	var ls []*Listener
	got := make(chan string, 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := 0; i < 2; i++ {
		l, err := Listen(ListenConfig{Addr: "[::1]:0"})
		if err != nil {
			t.Skipf("no IPv6 loopback here: %v", err)
		}
		ls = append(ls, l)
		go l.Serve(ctx, func(b *Batch) {
			for _, p := range b.Packets {
				if !p.From.Addr().Is6() {
					t.Errorf("sender address %v is not IPv6", p.From)
				}
				got <- string(p.Data)
			}
		})
	}
	s, err := NewSender(SenderConfig{Viewers: []string{ls[0].Addr().String(), ls[1].Addr().String()}})
	if err != nil {
		t.Fatal(err)
	}
	s.Datagram(AppendVoice(nil, "over IPv6"))
	s.Close()
	for i := 0; i < 2; i++ {
		if msg := <-got; msg != "PACKTERVOICE\nover IPv6\n" {
			t.Errorf("viewer got %q", msg)
		}
	}
}
