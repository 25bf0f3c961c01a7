// Package gen builds Packter's test captures: one per link type and
// encapsulation the capture package decodes, every frame built by hand from
// the specifications (not by the decoder under test), each with the record it
// must give. `go generate ./capture` writes them to capture/testdata.
package gen

import (
	"encoding/binary"
	"net/netip"
)

// Inner packets: what every capture's records must describe. The tunnel
// endpoints use other addresses, so a record of the outer packet shows.
var (
	in4Src, in4Dst = netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("192.0.2.7")
	in6Src, in6Dst = netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8:ff::53")
	out4Src        = netip.MustParseAddr("203.0.113.1")
	out4Dst        = netip.MustParseAddr("203.0.113.2")
	out6Src        = netip.MustParseAddr("2001:db8:7::1")
	out6Dst        = netip.MustParseAddr("2001:db8:7::2")
)

// The records the inner packets give (PACKTER's default descriptions).
const (
	WantTCP4  = "TCP src:10.1.2.3(50000) dst:192.0.2.7(80)"
	WantUDP6  = "UDP src:2001:db8::1(5353) dst:2001:db8:ff::53(53)"
	WantICMP4 = "ICMPv4 src:10.1.2.3 dst:192.0.2.7 (type:8 code:0)"
	WantTCP6  = "TCP src:2001:db8::1(443) dst:2001:db8:ff::53(40000)"
)

func be16(b []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(b, v) }
func be32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }
func le16(b []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(b, v) }
func le32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// IPv4 builds an IPv4 header (with its checksum) around payload.
func IPv4(proto uint8, src, dst netip.Addr, payload []byte) []byte {
	h := []byte{0x45, 0}
	h = be16(h, uint16(20+len(payload)))
	h = append(h, 0x12, 0x34, 0x40, 0, 64, proto, 0, 0)
	h = append(h, src.AsSlice()...)
	h = append(h, dst.AsSlice()...)
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(h[10:], ^uint16(sum))
	return append(h, payload...)
}

// IPv6 builds an IPv6 header around payload (extension headers included).
func IPv6(next uint8, src, dst netip.Addr, payload []byte) []byte {
	h := []byte{0x60, 0, 0, 0}
	h = be16(h, uint16(len(payload)))
	h = append(h, next, 64)
	h = append(h, src.AsSlice()...)
	h = append(h, dst.AsSlice()...)
	return append(h, payload...)
}

// TCP is a 20-byte TCP header with the given flags (checksum left zero).
func TCP(sport, dport uint16, flags uint8) []byte {
	b := be16(be16(nil, sport), dport)
	b = append(b, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0)
	return b
}

// UDP is a UDP header and payload.
func UDP(sport, dport uint16, payload []byte) []byte {
	b := be16(be16(nil, sport), dport)
	b = be16(b, uint16(8+len(payload)))
	return append(be16(b, 0), payload...)
}

// Inner packets.
func tcp4() []byte  { return IPv4(6, in4Src, in4Dst, TCP(50000, 80, 0x02)) }
func udp6() []byte  { return IPv6(17, in6Src, in6Dst, UDP(5353, 53, []byte("dns?"))) }
func icmp4() []byte { return IPv4(1, in4Src, in4Dst, []byte{8, 0, 0xf7, 0xfe, 0, 1, 0, 1}) }
func tcp6() []byte  { return IPv6(6, in6Src, in6Dst, TCP(443, 40000, 0x10)) }

// Ether is an Ethernet II frame.
func Ether(et uint16, payload []byte) []byte {
	b := []byte{0x02, 0, 0x5e, 0x10, 0, 0xfe, 0x02, 0, 0x5e, 0x10, 0, 0x19}
	return append(be16(b, et), payload...)
}

// MPLS is a label stack (the last label is the bottom of the stack).
func MPLS(payload []byte, labels ...uint32) []byte {
	var b []byte
	for i, l := range labels {
		v := l<<12 | 64
		if i == len(labels)-1 {
			v |= 1 << 8
		}
		b = be32(b, v)
	}
	return append(b, payload...)
}

// GRE is a version-0 GRE header; checksum, key and seq are added when >= 0.
func GRE(proto uint16, csum, key, seq int64, payload []byte) []byte {
	var flags uint16
	var opt []byte
	if csum >= 0 {
		flags |= 0x8000
		opt = be32(opt, uint32(csum)<<16)
	}
	if key >= 0 {
		flags |= 0x2000
		opt = be32(opt, uint32(key))
	}
	if seq >= 0 {
		flags |= 0x1000
		opt = be32(opt, uint32(seq))
	}
	return cat(be16(be16(nil, flags), proto), opt, payload)
}

func outer4(proto uint8, payload []byte) []byte { return IPv4(proto, out4Src, out4Dst, payload) }
func outer6(next uint8, payload []byte) []byte  { return IPv6(next, out6Src, out6Dst, payload) }
