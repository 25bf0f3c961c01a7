package collect

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteSeeds (re)writes the hand-built fuzz seeds when PACKTER_WRITE_SEEDS=1;
// the name of each says what it exercises.
func TestWriteSeeds(t *testing.T) {
	if os.Getenv("PACKTER_WRITE_SEEDS") != "1" {
		t.Skip("set PACKTER_WRITE_SEEDS=1 to rewrite the fuzz seed corpora")
	}
	pkts := capPackets(t)
	v4flow := wbuf(nil).u32(1).u32(7).u32(3).u32(64).u32(1000).u32(0).u32(1).u32(2).
		u32(1).u32(1).u32(uint32(len(pkts[3]))).append(xdrOpaque(pkts[3][:60])).
		u32(3).u32(1).u32(1).u32(0).u32(2).u32(0).
		u32(3).u32(1).ip(netip.MustParseAddr("192.0.2.253")).u32(65000).u32(65001).u32(65002).
		u32(1).u32(2).u32(2).u32(1).u32(2).u32(1).u32(99).u32(100).
		u32(4).append(xdrOpaque([]byte("alice"))).append(xdrOpaque([]byte("bob")))
	v4counters := wbuf(nil).u32(2).u32(8).u32(3).u32(30).u32(2).append(make([]byte, 140))
	v4 := func(samples ...[]byte) []byte {
		w := wbuf(nil).u32(4).u32(1).ip(netip.MustParseAddr("192.0.2.1")).u32(1).u32(5000).u32(uint32(len(samples)))
		for _, s := range samples {
			w = append(w, s...)
		}
		return w
	}
	good5 := sflow5(flowSample(1, rawHeaderRecord(1, pkts[0])))
	write(t, "FuzzSFlow", map[string][]byte{
		"v5-compact-expanded-counters-extended-enterprise": sflow5(
			flowSample(256, switchRecord(), rawHeaderRecord(1, pkts[0][:40])), counterSample(),
			expandedFlowSample(512, rawHeaderRecord(11, pkts[7][14:]), switchRecord()),
			wbuf(nil).u32(9<<12|1).u32(4).u32(0)),
		"v5-ipv6-raw-header":            sflow5(flowSample(1, rawHeaderRecord(12, pkts[10][14:]))),
		"v4-header-switch-gateway-user": v4(v4flow, v4counters),
		"v5-sample-count-lie":           append(append([]byte(nil), good5[:24]...), 0xff, 0xff, 0xff, 0xff),
		"v5-sample-length-lie":          append(append([]byte(nil), good5[:32]...), 0x7f, 0xff, 0xff, 0xff),
		"v5-agent-ipv6":                 wbuf(nil).u32(5).u32(2).ip(netip.MustParseAddr("2001:db8::1")).u32(0).u32(1).u32(1).u32(0),
	})

	hdr5 := wbuf(nil).u16(5).u16(2).u32(100_000).u32(1700000000).u32(0).u32(1).u8(0).u8(0).u16(0)
	rec5 := func(proto uint8, dport uint16) []byte {
		return wbuf(nil).ip(capClient).ip(capServer).u32(0).u16(1).u16(2).u32(3).u32(300).u32(99_000).u32(99_500).
			u16(40000).u16(dport).u8(0).u8(0x13).u8(proto).u8(0).u16(0).u16(0).u8(24).u8(24).u16(0)
	}
	opt := wbuf(nil).u16(260).u16(4).u16(4).u16(1).u16(4).u16(34).u16(4)
	write(t, "FuzzNetFlow", map[string][]byte{
		"v5-tcp-and-icmp": append(append(append([]byte(nil), hdr5...), rec5(6, 80)...), rec5(1, 0x0800)...),
		"v9-two-templates-three-sets": v9(100_000, 1700000000, 1,
			set(0, append(templateRec(256, tmpl4), templateRec(257, tmpl4[:6])...)),
			dataSet(256, r4(1), r4(2), r4(3)), dataSet(256, r4(4)),
			set(257, append(r4(5).bytes4()[:14], r4(6).bytes4()[:14]...))),
		"v9-data-before-template": v9(1000, 1700000000, 1, dataSet(256, r4(1)), set(0, templateRec(256, tmpl4))),
		"v9-options-template":     v9(1000, 1700000000, 1, set(1, opt), set(260, wbuf(nil).u32(0).u32(100))),
		"v9-field-count-lie":      v9(1000, 1700000000, 1, set(0, wbuf(nil).u16(258).u16(60000).u16(8).u16(4))),
		"v9-zero-length-field":    v9(1000, 1700000000, 1, set(0, templateRec(259, []field{{8, 0}})), set(259, []byte{1, 2, 3, 4})),
	})

	tm := wbuf(nil).u16(256).u16(9).u16(8).u16(4).u16(0x8001).u16(2).u32(9).u16(96).u16(0xffff).
		u16(12).u16(4).u16(4).u16(1).u16(7).u16(2).u16(11).u16(2).u16(153).u16(8).u16(2).u16(8)
	vrec := wbuf(nil).ip(capClient).u16(0xbeef).u8(3).append([]byte("dns")).ip(capDNS).u8(17).u16(53).u16(5353).u64(1700000000000).u64(42)
	vlong := wbuf(nil).ip(capClient).u16(0xbeef).u8(255).u16(4).append([]byte("long")).ip(capDNS).u8(17).u16(53).u16(5353).u64(1700000000000).u64(42)
	ot := wbuf(nil).u16(300).u16(2).u16(1).u16(149).u16(4).u16(34).u16(4)
	write(t, "FuzzIPFIX", map[string][]byte{
		"variable-length-and-enterprise-fields": ipfix(1700000000, 5, set(2, tm), set(256, append(vrec, vlong...))),
		"options-template":                      ipfix(1700000000, 5, set(3, ot), set(300, wbuf(nil).u32(5).u32(100))),
		"withdrawal-then-data":                  ipfix(1700000000, 5, set(2, tm), set(2, wbuf(nil).u16(256).u16(0)), set(256, vrec)),
		"withdraw-all":                          ipfix(1700000000, 5, set(2, tm), set(2, wbuf(nil).u16(2).u16(0))),
		"ipv4-template-eight-records":           ipfix(1700000000, 1, set(2, templateRec(256, tmpl4)), dataSet(256, r4(1), r4(2), r4(3), r4(4), r4(5), r4(6), r4(7), r4(8))),
	})

	alert := func(s alertSpec) []byte { // the fuzz target's short form: head, then the Event
		full := buildAlertpkt(binary.LittleEndian, s)
		head := append([]byte(nil), full[:alertPktOff+len(s.pkt)]...)
		return append(head, full[alertEvent64:alertEvent64+48]...)
	}
	write(t, "FuzzAlertpkt", map[string][]byte{
		"ipv4-tcp-from-nethdr": alert(alertSpec{msg: "SCAN nmap", pkt: pkts[0], net: 14, trans: 34, gen: 1, sid: 469, rev: 4}),
		"no-packet":            alert(alertSpec{msg: "no packet", val: alertNoPacket, gen: 116, sid: 1}),
		"ethernet-ipv6":        alert(alertSpec{msg: "v6", pkt: pkts[10], gen: 1, sid: 2}),
		"message-with-newline": alert(alertSpec{msg: "a\nb,c", pkt: pkts[7], net: 14, sid: 3}),
	})
	write(t, "FuzzEVE", map[string][]byte{
		"alert-tcp-ipv6":      []byte(eveLine(2019401, "ET SCAN NMAP -sS", 2)),
		"alert-icmp":          []byte(`{"event_type":"alert","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","proto":"ICMP","icmp_type":8,"icmp_code":0,"alert":{"signature":"ping","signature_id":1}}`),
		"alert-numeric-proto": []byte(`{"event_type":"alert","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","proto":"047","alert":{"signature":"gre"}}`),
		"flow-event":          []byte(`{"event_type":"flow","src_ip":"1.1.1.1"}`),
		"two-lines":           []byte(eveLine(1, "a", 1) + "\n" + eveLine(2, "b\\nc", 3) + "\n"),
	})
}

func write(t *testing.T, target string, seeds map[string][]byte) {
	dir := filepath.Join("testdata", "fuzz", target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range seeds {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
