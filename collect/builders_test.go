package collect

import (
	"encoding/binary"
	"net/netip"
)

// Builders of wire datagrams for tests, written from the specifications
// (RFC 3954, RFC 7011, sFlow v4/v5) independently of the decoders.

type wbuf []byte

func (w wbuf) u8(v uint8) wbuf   { return append(w, v) }
func (w wbuf) u16(v uint16) wbuf { return binary.BigEndian.AppendUint16(w, v) }
func (w wbuf) u32(v uint32) wbuf { return binary.BigEndian.AppendUint32(w, v) }
func (w wbuf) u64(v uint64) wbuf { return binary.BigEndian.AppendUint64(w, v) }
func (w wbuf) ip(a netip.Addr) wbuf {
	return append(w, a.AsSlice()...)
}

// set wraps a body as a flowset / set with its id and length.
func set(id uint16, body []byte) []byte {
	return wbuf(nil).u16(id).u16(uint16(4 + len(body))).append(body)
}

func (w wbuf) append(b []byte) wbuf { return append(w, b...) }

// field is a template field specifier (type, length).
type field struct{ id, len uint16 }

// tmpl4 is a common IPv4 flow template: src, dst, sport, dport, proto, flags,
// packets, bytes (4-byte counters), last switched.
var tmpl4 = []field{{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {6, 1}, {2, 4}, {1, 4}, {21, 4}}

func templateRec(id uint16, fields []field) []byte {
	w := wbuf(nil).u16(id).u16(uint16(len(fields)))
	for _, f := range fields {
		w = w.u16(f.id).u16(f.len)
	}
	return w
}

type rec4 struct {
	src, dst     netip.Addr
	sport, dport uint16
	proto, flags uint8
	pkts, bytes  uint32
	last         uint32
}

func (r rec4) bytes4() []byte {
	return wbuf(nil).ip(r.src).ip(r.dst).u16(r.sport).u16(r.dport).u8(r.proto).u8(r.flags).u32(r.pkts).u32(r.bytes).u32(r.last)
}

func dataSet(id uint16, recs ...rec4) []byte {
	var body []byte
	for _, r := range recs {
		body = append(body, r.bytes4()...)
	}
	return set(id, body)
}

// v9 builds a NetFlow v9 datagram.
func v9(uptime, secs, domain uint32, sets ...[]byte) []byte {
	w := wbuf(nil).u16(9).u16(uint16(len(sets))).u32(uptime).u32(secs).u32(1).u32(domain)
	for _, s := range sets {
		w = append(w, s...)
	}
	return w
}

// ipfix builds an IPFIX message.
func ipfix(export, domain uint32, sets ...[]byte) []byte {
	n := 16
	for _, s := range sets {
		n += len(s)
	}
	w := wbuf(nil).u16(10).u16(uint16(n)).u32(export).u32(7).u32(domain)
	for _, s := range sets {
		w = append(w, s...)
	}
	return w
}

// sFlow v5 pieces.

func sflow5(samples ...[]byte) []byte {
	w := wbuf(nil).u32(5).u32(1).ip(netip.MustParseAddr("192.0.2.1")).u32(0).u32(1).u32(1000).u32(uint32(len(samples)))
	for _, s := range samples {
		w = append(w, s...)
	}
	return w
}

func xdrOpaque(b []byte) []byte {
	w := wbuf(nil).u32(uint32(len(b))).append(b)
	for len(w)%4 != 0 {
		w = append(w, 0)
	}
	return w
}

// rawHeaderRecord is an sFlow v5 flow record of format 1.
func rawHeaderRecord(proto uint32, hdr []byte) []byte {
	body := wbuf(nil).u32(proto).u32(uint32(len(hdr) + 100)).u32(4).append(xdrOpaque(hdr))
	return wbuf(nil).u32(1).u32(uint32(len(body))).append(body)
}

// switchRecord is an extended_switch flow record (format 1001).
func switchRecord() []byte {
	return wbuf(nil).u32(1001).u32(16).u32(10).u32(0).u32(20).u32(0)
}

func flowSample(rate uint32, records ...[]byte) []byte {
	body := wbuf(nil).u32(1).u32(3).u32(rate).u32(100).u32(0).u32(3).u32(4).u32(uint32(len(records)))
	for _, r := range records {
		body = append(body, r...)
	}
	return wbuf(nil).u32(1).u32(uint32(len(body))).append(body)
}

func expandedFlowSample(rate uint32, records ...[]byte) []byte {
	body := wbuf(nil).u32(1).u32(0).u32(3).u32(rate).u32(100).u32(0).u32(0).u32(3).u32(0).u32(4).u32(uint32(len(records)))
	for _, r := range records {
		body = append(body, r...)
	}
	return wbuf(nil).u32(3).u32(uint32(len(body))).append(body)
}

func counterSample() []byte {
	rec := wbuf(nil).u32(1).u32(8).u64(12345)
	body := wbuf(nil).u32(1).u32(3).u32(1).append(rec)
	return wbuf(nil).u32(2).u32(uint32(len(body))).append(body)
}
