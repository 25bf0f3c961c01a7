// Package goflow compares Packter's collector decoders with goflow2's on the
// same datagrams. It is its own module so that goflow2 never enters Packter's.
//
//	cd bench/goflow && go test -bench . -benchmem
package goflow

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/netsampler/goflow2/v2/decoders/netflow"
	"github.com/netsampler/goflow2/v2/decoders/sflow"
	"github.com/packter/packter/collect"
)

// Datagrams shaped like busy exporters': a softflowd-style IPv4 template and
// 30 data records per NetFlow v9 / IPFIX datagram (templates sent separately,
// learnt before timing), and 8 flow samples of 128-byte headers with extended
// switch and router records plus a counter sample per sFlow datagram.

const records = 30

type w []byte

func (b w) u8(v uint8) w   { return append(b, v) }
func (b w) u16(v uint16) w { return binary.BigEndian.AppendUint16(b, v) }
func (b w) u32(v uint32) w { return binary.BigEndian.AppendUint32(b, v) }
func (b w) u64(v uint64) w { return binary.BigEndian.AppendUint64(b, v) }

// src, dst, sport, dport, proto, tcp flags, tos, packets, octets, first, last, in, out
var fields = [][2]uint16{{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {6, 1}, {5, 1}, {2, 4}, {1, 4}, {22, 4}, {21, 4}, {10, 4}, {14, 4}}

func setOf(id uint16, body []byte) []byte {
	return w(nil).u16(id).u16(uint16(4 + len(body))).append(body)
}
func (b w) append(p []byte) w { return append(b, p...) }

func templateSet(id uint16) []byte {
	t := w(nil).u16(256).u16(uint16(len(fields)))
	for _, f := range fields {
		t = t.u16(f[0]).u16(f[1])
	}
	return setOf(id, t)
}

func dataSet() []byte {
	var body w
	for i := range records {
		body = body.u8(10).u8(0).u8(byte(i)).u8(1).u8(192).u8(0).u8(2).u8(byte(i)).
			u16(uint16(40000 + i)).u16(443).u8(6).u8(0x1b).u8(0).u32(uint32(10 + i)).u32(uint32(1500 * i)).
			u32(90_000).u32(99_000).u32(1).u32(2)
	}
	return setOf(256, body)
}

func v9(sets ...[]byte) []byte {
	b := w(nil).u16(9).u16(records).u32(100_000).u32(1_700_000_000).u32(1).u32(0)
	for _, s := range sets {
		b = b.append(s)
	}
	return b
}

func ipfix(sets ...[]byte) []byte {
	n := 16
	for _, s := range sets {
		n += len(s)
	}
	b := w(nil).u16(10).u16(uint16(n)).u32(1_700_000_000).u32(1).u32(0)
	for _, s := range sets {
		b = b.append(s)
	}
	return b
}

func sflow5() []byte {
	hdr := make([]byte, 128)
	for i := range hdr {
		hdr[i] = byte(i)
	}
	hdr[12], hdr[13], hdr[14] = 0x08, 0x00, 0x45
	raw := w(nil).u32(1).u32(1500).u32(4).u32(uint32(len(hdr))).append(hdr)
	rec := w(nil).u32(1).u32(uint32(len(raw))).append(raw).
		u32(1001).u32(16).u32(10).u32(0).u32(20).u32(0).         // extended switch
		u32(1002).u32(16).u32(1).u32(0xc0000201).u32(24).u32(24) // extended router
	b := w(nil).u32(5).u32(1).u32(0xc0000201).u32(0).u32(1).u32(1000).u32(9)
	for i := range 8 {
		s := w(nil).u32(uint32(i)).u32(3).u32(1024).u32(8192).u32(0).u32(3).u32(4).u32(3).append(rec)
		b = b.u32(1).u32(uint32(len(s))).append(s)
	}
	// A generic interface counters record.
	c := w(nil).u32(3).u32(6).u64(1e9).u32(1).u32(3)
	for range 4 {
		c = c.u64(1 << 30).u32(1).u32(2).u32(3).u32(0).u32(0).u32(0)
	}
	c = c[:8+88]
	cs := w(nil).u32(1).u32(3).u32(1).u32(1).u32(88).append(c[8:])
	return b.u32(2).u32(uint32(len(cs))).append(cs)
}

var exporter = netip.MustParseAddr("192.0.2.1")

func benchPackterFlows(b *testing.B, tmpl, data []byte, want int) {
	var fd collect.FlowDecoder
	var res collect.FlowResult
	now := time.Unix(1_700_000_000, 0)
	if err := fd.Decode(exporter, tmpl, now, &res); err != nil {
		b.Fatal(err)
	}
	if err := fd.Decode(exporter, data, now, &res); err != nil || len(res.Flows) != want {
		b.Fatalf("warm-up: %v, %d flows", err, len(res.Flows))
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		_ = fd.Decode(exporter, data, now, &res)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*want), "ns/record")
}

func benchGoflowFlows(b *testing.B, tmpl, data []byte, want int) {
	ts := netflow.CreateTemplateSystem()
	var p9 netflow.NFv9Packet
	var p10 netflow.IPFIXPacket
	if err := netflow.DecodeMessageVersion(bytes.NewBuffer(tmpl), ts, &p9, &p10); err != nil {
		b.Fatal(err)
	}
	if err := netflow.DecodeMessageVersion(bytes.NewBuffer(data), ts, &p9, &p10); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		p9, p10 = netflow.NFv9Packet{}, netflow.IPFIXPacket{}
		_ = netflow.DecodeMessageVersion(bytes.NewBuffer(data), ts, &p9, &p10)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*want), "ns/record")
}

func BenchmarkDecode(b *testing.B) {
	v9t, v9d := v9(templateSet(0)), v9(dataSet())
	ipt, ipd := ipfix(templateSet(2)), ipfix(dataSet())
	sf := sflow5()

	b.Run("netflow9/packter", func(b *testing.B) { benchPackterFlows(b, v9t, v9d, records) })
	b.Run("netflow9/goflow2", func(b *testing.B) { benchGoflowFlows(b, v9t, v9d, records) })
	b.Run("ipfix/packter", func(b *testing.B) { benchPackterFlows(b, ipt, ipd, records) })
	b.Run("ipfix/goflow2", func(b *testing.B) { benchGoflowFlows(b, ipt, ipd, records) })
	b.Run("sflow5/packter", func(b *testing.B) {
		var d collect.SFlowDatagram
		if err := collect.DecodeSFlow(sf, &d); err != nil || len(d.Samples) != 8 || d.Counters != 1 {
			b.Fatalf("warm-up: %v, %d samples", err, len(d.Samples))
		}
		b.SetBytes(int64(len(sf)))
		b.ReportAllocs()
		for b.Loop() {
			_ = collect.DecodeSFlow(sf, &d)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*9), "ns/record")
	})
	b.Run("sflow5/goflow2", func(b *testing.B) {
		var p sflow.Packet
		if err := sflow.DecodeMessageVersion(bytes.NewBuffer(sf), &p); err != nil || len(p.Samples) != 9 {
			b.Fatalf("warm-up: %v, %d samples", err, len(p.Samples))
		}
		b.SetBytes(int64(len(sf)))
		b.ReportAllocs()
		for b.Loop() {
			p = sflow.Packet{}
			_ = sflow.DecodeMessageVersion(bytes.NewBuffer(sf), &p)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*9), "ns/record")
	})
}
