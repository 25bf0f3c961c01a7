package collect

import (
	"errors"
	"net/netip"
	"testing"
	"time"
)

var (
	exA = netip.MustParseAddr("192.0.2.10")
	exB = netip.MustParseAddr("192.0.2.11")
	t0  = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
)

func mustDecode(t *testing.T, fd *FlowDecoder, ex netip.Addr, b []byte, now time.Time) FlowResult {
	t.Helper()
	var res FlowResult
	if err := fd.Decode(ex, b, now, &res); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return res
}

func r4(i int) rec4 {
	return rec4{
		src: netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), dst: netip.AddrFrom4([4]byte{10, 1, 0, byte(i)}),
		sport: uint16(1000 + i), dport: 80, proto: 6, flags: 0x02, pkts: uint32(i), bytes: uint32(100 * i), last: 90_000,
	}
}

func checkRec(t *testing.T, f Flow, r rec4) {
	t.Helper()
	if f.Src != r.src || f.Dst != r.dst || f.SPort != r.sport || f.DPort != r.dport || f.Proto != r.proto ||
		f.TCPFlags != r.flags || f.Packets != uint64(r.pkts) || f.Bytes != uint64(r.bytes) {
		t.Errorf("flow %+v, want %+v", f, r)
	}
}

func TestNetFlowV5(t *testing.T) {
	hdr := wbuf(nil).u16(5).u16(2).u32(100_000).u32(uint32(t0.Unix())).u32(0).u32(1).u8(0).u8(0).u16(0)
	rec := func(src, dst string, sp, dp uint16, proto, flags uint8, last uint32) []byte {
		return wbuf(nil).ip(netip.MustParseAddr(src)).ip(netip.MustParseAddr(dst)).u32(0).u16(1).u16(2).
			u32(3).u32(300).u32(last - 10).u32(last).u16(sp).u16(dp).u8(0).u8(flags).u8(proto).u8(0).
			u16(0).u16(0).u8(24).u8(24).u16(0)
	}
	b := append(append([]byte(hdr), rec("10.0.0.1", "10.0.0.2", 40000, 80, 6, 0x12, 99_000)...),
		rec("10.0.0.3", "10.0.0.4", 0, 0x0303, 1, 0, 100_000)...)
	var fd FlowDecoder
	res := mustDecode(t, &fd, exA, b, t0)
	if len(res.Flows) != 2 {
		t.Fatalf("%d flows, want 2", len(res.Flows))
	}
	f := res.Flows[0]
	if f.Src != netip.MustParseAddr("10.0.0.1") || f.SPort != 40000 || f.DPort != 80 || f.Proto != 6 || f.TCPFlags != 0x12 || f.Packets != 3 || f.Bytes != 300 {
		t.Errorf("first flow %+v", f)
	}
	if want := t0.Add(-time.Second); !f.Time.Equal(want) { // ended 1 s before export
		t.Errorf("time %v, want %v", f.Time, want)
	}
	if g := res.Flows[1]; g.ICMPType != 3 || g.ICMPCode != 3 {
		t.Errorf("ICMP from dst port: %+v", g)
	}
	// A count larger than the datagram is refused before anything is read.
	b[3] = 200
	var res2 FlowResult
	if err := fd.Decode(exA, b, t0, &res2); !errors.Is(err, ErrShort) || len(res2.Flows) != 0 {
		t.Errorf("lying count: err %v, %d flows", err, len(res2.Flows))
	}
}

func TestV9EveryRecordOfEverySet(t *testing.T) {
	var fd FlowDecoder
	b := v9(100_000, uint32(t0.Unix()), 1,
		set(0, append(templateRec(256, tmpl4), templateRec(257, tmpl4[:6])...)),
		dataSet(256, r4(1), r4(2), r4(3)),
		dataSet(256, r4(4)),
		set(257, append(r4(5).bytes4()[:14], r4(6).bytes4()[:14]...)),
	)
	res := mustDecode(t, &fd, exA, b, t0)
	if res.Templates != 2 || len(res.Flows) != 6 {
		t.Fatalf("templates %d flows %d, want 2 and 6", res.Templates, len(res.Flows))
	}
	for i := 0; i < 4; i++ {
		checkRec(t, res.Flows[i], r4(i+1))
		if want := t0.Add(-10 * time.Second); !res.Flows[i].Time.Equal(want) {
			t.Errorf("time %v, want %v (last switched 10 s before export)", res.Flows[i].Time, want)
		}
	}
	if f := res.Flows[5]; f.Src != r4(6).src || f.DPort != 80 || f.Packets != 0 || !f.Time.Equal(t0) {
		t.Errorf("short-template flow %+v", f)
	}
}

func TestV9DataBeforeTemplate(t *testing.T) {
	fd := FlowDecoder{PendingTTL: 2 * time.Second}
	// Same datagram, data first: decoded.
	res := mustDecode(t, &fd, exA, v9(1000, uint32(t0.Unix()), 1, dataSet(256, r4(1)), set(0, templateRec(256, tmpl4))), t0)
	if len(res.Flows) != 1 || res.Pending != 0 {
		t.Fatalf("data before its template in one datagram: %+v", res)
	}
	// Template in a later datagram within the wait: held, then decoded.
	res = mustDecode(t, &fd, exA, v9(1000, uint32(t0.Unix()), 2, dataSet(300, r4(2), r4(3))), t0)
	if len(res.Flows) != 0 || res.Pending != 1 {
		t.Fatalf("want the set held: %+v", res)
	}
	res = mustDecode(t, &fd, exA, v9(1000, uint32(t0.Unix()), 2, set(0, templateRec(300, tmpl4))), t0.Add(time.Second))
	if len(res.Flows) != 2 || res.Lost != 0 {
		t.Fatalf("want the held set decoded: %+v", res)
	}
	checkRec(t, res.Flows[1], r4(3))
	// Too late: counted lost.
	mustDecode(t, &fd, exA, v9(1000, uint32(t0.Unix()), 3, dataSet(301, r4(2))), t0)
	res = mustDecode(t, &fd, exA, v9(1000, uint32(t0.Unix()), 3, set(0, templateRec(301, tmpl4))), t0.Add(3*time.Second))
	if len(res.Flows) != 0 || res.Lost != 1 {
		t.Fatalf("want the late set lost: %+v", res)
	}
	// Held sets are bounded.
	fd2 := FlowDecoder{MaxPending: 2}
	lost := 0
	for i := range 5 {
		lost += mustDecode(t, &fd2, exA, v9(1000, uint32(t0.Unix()), 9, dataSet(uint16(400+i), r4(1))), t0).Lost
	}
	if lost != 3 || fd2.Flush() != 2 {
		t.Errorf("lost %d, want 3 beyond the 2 held", lost)
	}
}

func TestV9OptionsTemplate(t *testing.T) {
	var fd FlowDecoder
	// Options template 260: scope system (type 1, 4 bytes), option sampling interval (34, 4).
	opt := wbuf(nil).u16(260).u16(4).u16(4).u16(1).u16(4).u16(34).u16(4)
	res := mustDecode(t, &fd, exA, v9(1000, uint32(t0.Unix()), 1,
		set(1, opt),
		set(260, wbuf(nil).u32(0).u32(100).u32(0).u32(10)),
		set(0, templateRec(256, tmpl4)), dataSet(256, r4(1))), t0)
	if res.Templates != 2 || res.Options != 2 || len(res.Flows) != 1 || res.Pending != 0 {
		t.Fatalf("options: %+v", res)
	}
}

func TestTemplatesPerExporterAndDomain(t *testing.T) {
	var fd FlowDecoder
	short := []field{{8, 4}, {12, 4}}
	mustDecode(t, &fd, exA, v9(1000, uint32(t0.Unix()), 1, set(0, templateRec(256, tmpl4))), t0)
	mustDecode(t, &fd, exB, v9(1000, uint32(t0.Unix()), 1, set(0, templateRec(256, short))), t0)
	mustDecode(t, &fd, exA, v9(1000, uint32(t0.Unix()), 2, set(0, templateRec(256, short))), t0)
	data := dataSet(256, r4(1))
	for _, c := range []struct {
		ex     netip.Addr
		domain uint32
		flows  int
	}{{exA, 1, 1}, {exB, 1, 3}, {exA, 2, 3}} {
		res := mustDecode(t, &fd, c.ex, v9(1000, uint32(t0.Unix()), c.domain, data), t0)
		if len(res.Flows) != c.flows {
			t.Errorf("exporter %v domain %d: %d flows, want %d", c.ex, c.domain, len(res.Flows), c.flows)
		}
	}
}

func TestTemplateFloodAndGiants(t *testing.T) {
	fd := FlowDecoder{MaxTemplates: 50, MaxFields: 16}
	mustDecode(t, &fd, exA, v9(1000, uint32(t0.Unix()), 1, set(0, templateRec(256, tmpl4))), t0)
	rejected := 0
	for i := range 200 {
		res := mustDecode(t, &fd, exB, v9(1000, uint32(t0.Unix()), uint32(i), set(0, templateRec(uint16(256+i), tmpl4))), t0)
		rejected += res.Rejected
	}
	if fd.Templates() != 50 || rejected != 151 {
		t.Errorf("templates %d rejected %d, want 50 and 151", fd.Templates(), rejected)
	}
	// The template in use survived the flood.
	if res := mustDecode(t, &fd, exA, v9(1000, uint32(t0.Unix()), 1, dataSet(256, r4(1))), t0); len(res.Flows) != 1 {
		t.Errorf("flood evicted the template in use")
	}
	// One exporter cannot take every slot from the others.
	fd3 := FlowDecoder{MaxTemplates: 50, MaxPerExporter: 10}
	for i := range 30 {
		mustDecode(t, &fd3, exB, v9(1000, uint32(t0.Unix()), uint32(i), set(0, templateRec(256, tmpl4))), t0)
	}
	if res := mustDecode(t, &fd3, exA, v9(1000, uint32(t0.Unix()), 1, set(0, templateRec(256, tmpl4))), t0); res.Templates != 1 || fd3.Templates() != 11 {
		t.Errorf("per-exporter cap: %+v, %d cached, want 11", res, fd3.Templates())
	}
	// Expiry and withdrawal give an exporter its slots back.
	fd3.Expire(t0.Add(time.Hour))
	if fd3.Templates() != 0 || len(fd3.perExporter) != 0 {
		t.Errorf("after expiry: %d templates, %d exporters counted", fd3.Templates(), len(fd3.perExporter))
	}
	// More fields than allowed: refused, but the datagram goes on.
	giant := make([]field, 40)
	for i := range giant {
		giant[i] = field{1, 4}
	}
	fd2 := FlowDecoder{MaxFields: 16}
	res := mustDecode(t, &fd2, exA, v9(1000, uint32(t0.Unix()), 1, set(0, append(templateRec(256, giant), templateRec(257, tmpl4)...))), t0)
	if res.Rejected != 1 || res.Templates != 1 {
		t.Errorf("giant template: %+v", res)
	}
	// A field count beyond the set is an error, not an allocation.
	lie := wbuf(nil).u16(258).u16(60000).u16(8).u16(4)
	var r FlowResult
	if err := fd2.Decode(exA, v9(1000, uint32(t0.Unix()), 1, set(0, lie)), t0, &r); !errors.Is(err, ErrShort) {
		t.Errorf("lying field count: %v", err)
	}
	// Zero-length records would never end: refused.
	res = mustDecode(t, &fd2, exA, v9(1000, uint32(t0.Unix()), 1, set(0, templateRec(259, []field{{8, 0}}))), t0)
	if res.Rejected != 1 {
		t.Errorf("zero-length template: %+v", res)
	}
}

func TestTemplateExpiry(t *testing.T) {
	fd := FlowDecoder{TemplateTTL: 10 * time.Minute}
	mustDecode(t, &fd, exA, v9(1000, uint32(t0.Unix()), 1, set(0, templateRec(256, tmpl4))), t0)
	// Resent: refreshed, not relearnt.
	if res := mustDecode(t, &fd, exA, v9(1000, uint32(t0.Unix()), 1, set(0, templateRec(256, tmpl4))), t0.Add(8*time.Minute)); res.Templates != 0 {
		t.Errorf("resent template counted as new")
	}
	if res := mustDecode(t, &fd, exA, v9(1000, uint32(t0.Unix()), 1, dataSet(256, r4(1))), t0.Add(16*time.Minute)); len(res.Flows) != 1 {
		t.Errorf("refreshed template expired early")
	}
	res := mustDecode(t, &fd, exA, v9(1000, uint32(t0.Unix()), 1, dataSet(256, r4(1))), t0.Add(20*time.Minute))
	if len(res.Flows) != 0 || res.Pending != 1 || fd.Templates() != 0 {
		t.Errorf("expired template still used: %+v, %d cached", res, fd.Templates())
	}
}

func TestIPFIXVariableEnterpriseWithdraw(t *testing.T) {
	var fd FlowDecoder
	// Template 256: src, enterprise field (id 0x8001 of PEN 9, 2 bytes), a
	// variable-length string (IE 96 applicationName), dst, proto, sport, dport,
	// flowEndMilliseconds, packetDeltaCount (8 bytes).
	tm := wbuf(nil).u16(256).u16(9).
		u16(8).u16(4).
		u16(0x8001).u16(2).u32(9).
		u16(96).u16(0xffff).
		u16(12).u16(4).u16(4).u16(1).u16(7).u16(2).u16(11).u16(2).
		u16(153).u16(8).u16(2).u16(8)
	end := t0.Add(-1500 * time.Millisecond)
	rec := func(name string, long bool) []byte {
		w := wbuf(nil).ip(netip.MustParseAddr("198.51.100.1")).u16(0xbeef)
		if long {
			w = w.u8(255).u16(uint16(len(name))).append([]byte(name))
		} else {
			w = w.u8(uint8(len(name))).append([]byte(name))
		}
		return w.ip(netip.MustParseAddr("198.51.100.2")).u8(17).u16(53).u16(5353).u64(uint64(end.UnixMilli())).u64(42)
	}
	body := append(append(rec("dns", false), rec("a-long-name", true)...), 0, 0, 0) // + padding
	res := mustDecode(t, &fd, exA, ipfix(uint32(t0.Unix()), 5, set(2, tm), set(256, body)), t0)
	if len(res.Flows) != 2 {
		t.Fatalf("%d flows, want 2: %+v", len(res.Flows), res)
	}
	for _, f := range res.Flows {
		if f.Src != netip.MustParseAddr("198.51.100.1") || f.Dst != netip.MustParseAddr("198.51.100.2") ||
			f.Proto != 17 || f.SPort != 53 || f.DPort != 5353 || f.Packets != 42 || !f.Time.Equal(end) {
			t.Errorf("flow %+v", f)
		}
	}
	// Withdrawal: later data is held, not decoded with a stale template.
	mustDecode(t, &fd, exA, ipfix(uint32(t0.Unix()), 5, set(2, wbuf(nil).u16(256).u16(0))), t0)
	res = mustDecode(t, &fd, exA, ipfix(uint32(t0.Unix()), 5, set(256, body)), t0)
	if len(res.Flows) != 0 || res.Pending != 1 {
		t.Errorf("after withdrawal: %+v", res)
	}
	// The message length bounds the sets: trailing bytes beyond it are ignored.
	// The template comes back: its 2 records and the 2 held ones are decoded.
	m := ipfix(uint32(t0.Unix()), 5, set(2, tm), set(256, body))
	m = append(m, 0xff, 0xff, 0xff)
	if res := mustDecode(t, &fd, exA, m, t0); len(res.Flows) != 4 {
		t.Errorf("trailing bytes: %+v", res)
	}
}

func TestIPFIXOptionsTemplate(t *testing.T) {
	var fd FlowDecoder
	// Options template 300: 2 fields, 1 scope (observationDomainId 149, 4), option samplingInterval.
	ot := wbuf(nil).u16(300).u16(2).u16(1).u16(149).u16(4).u16(34).u16(4)
	res := mustDecode(t, &fd, exA, ipfix(uint32(t0.Unix()), 5, set(3, ot), set(300, wbuf(nil).u32(5).u32(100))), t0)
	if res.Templates != 1 || res.Options != 1 || len(res.Flows) != 0 || res.Pending != 0 {
		t.Errorf("options: %+v", res)
	}
}

func TestGarbageDoesNotDisturbNext(t *testing.T) {
	good := v9(1000, uint32(t0.Unix()), 1, set(0, templateRec(256, tmpl4)), dataSet(256, r4(1), r4(2)))
	var clean FlowDecoder
	want := mustDecode(t, &clean, exA, good, t0)
	garbage := [][]byte{
		nil, {0}, {0, 9}, {0, 10, 0, 3}, good[:30], append(append([]byte(nil), good[:20]...), 0, 0, 0, 0),
		v9(1000, 1, 1, set(0, wbuf(nil).u16(256).u16(2).u16(8).u16(4))),                // truncated template of the same id
		v9(1000, 1, 1, []byte{1, 0, 0, 8, 1, 0, 0, 8}, []byte{0xff, 0xff, 0xff, 0xff}), // nonsense sets
	}
	for _, g := range garbage {
		var fd FlowDecoder
		var res FlowResult
		_ = fd.Decode(exA, g, t0, &res)
		got := mustDecode(t, &fd, exA, good, t0)
		if len(got.Flows) != len(want.Flows) {
			t.Errorf("after %x: %d flows, want %d", g, len(got.Flows), len(want.Flows))
		}
	}
}

func TestFlowDecodeAllocs(t *testing.T) {
	var fd FlowDecoder
	var res FlowResult
	recs := []rec4{r4(1), r4(2), r4(3), r4(4), r4(5), r4(6), r4(7), r4(8)}
	tmpl := set(0, templateRec(256, tmpl4))
	b := v9(1000, uint32(t0.Unix()), 1, tmpl, dataSet(256, recs...))
	ib := ipfix(uint32(t0.Unix()), 1, set(2, templateRec(256, tmpl4)), dataSet(256, recs...))
	for _, c := range []struct {
		name string
		b    []byte
	}{{"v9", b}, {"ipfix", ib}} {
		if err := fd.Decode(exA, c.b, t0, &res); err != nil || len(res.Flows) != 8 {
			t.Fatalf("%s warm-up: %v, %d flows", c.name, err, len(res.Flows))
		}
		allocs := testing.AllocsPerRun(100, func() { _ = fd.Decode(exA, c.b, t0, &res) })
		if allocs != 0 {
			t.Errorf("%s: %.1f allocations per datagram (with resent template), want 0", c.name, allocs)
		}
	}
}

func TestFlowFlag(t *testing.T) {
	v4, v6 := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("2001:db8::1")
	for _, c := range []struct {
		src   netip.Addr
		proto uint8
		flags uint8
		want  int
		ok    bool
	}{
		{v4, 6, 0x10, 0, true}, {v4, 6, 0x02, 1, true}, {v4, 6, 0x13, 1, true}, {v4, 6, 0x11, 2, true},
		{v4, 6, 0x04, 2, true}, {v4, 17, 0, 3, true}, {v4, 1, 0, 4, true},
		{v6, 6, 0x18, 5, true}, {v6, 6, 0x12, 6, true}, {v6, 6, 0x14, 7, true}, {v6, 17, 0, 8, true}, {v6, 58, 0, 9, true},
		{v4, 47, 0, 0, false},
	} {
		f := Flow{Src: c.src, Proto: c.proto, TCPFlags: c.flags}
		if got, ok := f.Flag(); got != c.want || ok != c.ok {
			t.Errorf("%v proto %d flags %#x: %d %v, want %d %v", c.src, c.proto, c.flags, got, ok, c.want, c.ok)
		}
	}
}

func TestExpireWithoutTraffic(t *testing.T) {
	fd := FlowDecoder{PendingTTL: 2 * time.Second}
	mustDecode(t, &fd, exA, v9(1000, uint32(t0.Unix()), 1, dataSet(256, r4(1)), dataSet(257, r4(1))), t0)
	if n := fd.Expire(t0.Add(time.Second)); n != 0 {
		t.Errorf("expired %d sets early", n)
	}
	if n := fd.Expire(t0.Add(3 * time.Second)); n != 2 {
		t.Errorf("expired %d sets, want 2", n)
	}
	if n := fd.Flush(); n != 0 {
		t.Errorf("%d sets still held", n)
	}
}
