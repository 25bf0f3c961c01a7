package capture

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// Packet is what the agent needs from one IP packet. Decode fills it in place.
type Packet struct {
	Src, Dst     netip.Addr
	V6           bool
	Proto        uint8 // transport protocol, after IPv6 extension headers
	SPort, DPort uint16
	TCPFlags     uint8
	ICMPType     uint8
	ICMPCode     uint8
	Fragment     bool   // a non-first fragment: no transport header, ports are 0
	IP           []byte // the captured bytes from the IP header on (what the traceback hash covers)
	// Tunnels counts the encapsulations stepped over to reach this packet:
	// tunnels and shims such as GRE, MPLS or MACsec, and link layers that
	// wrap another (PKTAP, PPI); 0 for a plain packet.
	// The record and the hash describe the innermost packet: docs/capture.md.
	Tunnels uint8
}

// IP protocol numbers.
const (
	ProtoICMP   = 1
	ProtoTCP    = 6
	ProtoUDP    = 17
	ProtoICMPv6 = 58
)

// Why a frame gave no packet. These are sentinels: decoding allocates nothing.
var (
	ErrUnknownLink = errors.New("unknown link type")
	ErrNotIP       = errors.New("not an IP packet")
	ErrShort       = errors.New("packet truncated")
	ErrMalformed   = errors.New("malformed header")
	ErrProtocol    = errors.New("transport protocol PACKTER does not draw")
	ErrEncrypted   = errors.New("payload is encrypted (MACsec, protected 802.11)")
	ErrTooDeep     = errors.New("encapsulations nested too deeply")
)

// Bad reports whether err means a damaged packet (as opposed to one PACKTER
// simply ignores, like ARP or OSPF, or cannot read, like encrypted payloads).
func Bad(err error) bool {
	return err == ErrShort || err == ErrMalformed || err == ErrUnknownLink || err == ErrTooDeep
}

// maxDepth bounds nesting: tunnels in tunnels, and link layers that wrap
// other link layers (PKTAP, PPI). Every step consumes at least four bytes, so
// walking is bounded anyway; the bound keeps a crafted packet from making us
// walk thousands of layers, and real traffic rarely nests more than three.
const maxDepth = 8

const (
	etherIPv4  = 0x0800
	etherIPv6  = 0x86dd
	etherVLAN  = 0x8100
	etherQinQ  = 0x88a8
	etherQinQ2 = 0x9100
)

// Decode decodes one frame of the given link type. It never panics and checks
// every length before reading.
func Decode(link uint32, data []byte, p *Packet) error {
	return decodeLink(link, data, p, 0)
}

// decodeLink keeps the common link types here, on the fast path; the rest are
// in link.go. depth counts enclosing encapsulations.
func decodeLink(link uint32, data []byte, p *Packet, depth int) error {
	switch link {
	case LinkEthernet:
		if len(data) < 14 {
			return ErrShort
		}
		return decodeEther(binary.BigEndian.Uint16(data[12:]), data[14:], p, depth)
	case LinkNull, LinkLoop:
		if len(data) < 4 {
			return ErrShort
		}
		var af uint32
		if link == LinkLoop {
			af = binary.BigEndian.Uint32(data)
		} else {
			// Host byte order of the machine that captured: try both.
			af = binary.LittleEndian.Uint32(data)
			if af > 0xffff {
				af = binary.BigEndian.Uint32(data)
			}
		}
		switch af {
		case 2:
			return ipv4(data[4:], p, depth)
		case 10, 24, 28, 30: // AF_INET6 on Linux, NetBSD/OpenBSD, FreeBSD, macOS
			return ipv6(data[4:], p, depth)
		}
		return ErrNotIP
	case LinkRaw, linkRawAlt, linkRawAlt2:
		return ip(data, p, depth)
	case LinkIPv4:
		return ipv4(data, p, depth)
	case LinkIPv6:
		return ipv6(data, p, depth)
	case LinkSLL:
		if len(data) < 16 {
			return ErrShort
		}
		return decodeEther(binary.BigEndian.Uint16(data[14:]), data[16:], p, depth)
	case LinkSLL2:
		if len(data) < 20 {
			return ErrShort
		}
		return decodeEther(binary.BigEndian.Uint16(data), data[20:], p, depth)
	}
	return rareLink(link, data, p, depth)
}

// decodeEther dispatches on an EtherType, stepping over 802.1Q and QinQ tags;
// IP is decoded here, everything rarer in etherShim.
func decodeEther(et uint16, b []byte, p *Packet, depth int) error {
	for tags := 0; et == etherVLAN || et == etherQinQ || et == etherQinQ2; tags++ {
		if tags == 8 {
			return ErrMalformed
		}
		if len(b) < 4 {
			return ErrShort
		}
		et = binary.BigEndian.Uint16(b[2:])
		b = b[4:]
	}
	switch et {
	case etherIPv4:
		return ipv4(b, p, depth)
	case etherIPv6:
		return ipv6(b, p, depth)
	}
	return etherShim(et, b, p, depth)
}

// DecodeIP decodes a raw IPv4 or IPv6 packet by its version nibble.
func DecodeIP(b []byte, p *Packet) error { return ip(b, p, 0) }

func ip(b []byte, p *Packet, depth int) error {
	if len(b) < 1 {
		return ErrShort
	}
	switch b[0] >> 4 {
	case 4:
		return ipv4(b, p, depth)
	case 6:
		return ipv6(b, p, depth)
	}
	return ErrNotIP
}

// DecodeIPv4 decodes an IPv4 header and its transport header, and any packet
// tunnelled inside.
func DecodeIPv4(b []byte, p *Packet) error { return ipv4(b, p, 0) }

func ipv4(b []byte, p *Packet, depth int) error {
	if len(b) < 20 {
		return ErrShort
	}
	if b[0]>>4 != 4 {
		return ErrMalformed
	}
	hl := int(b[0]&0x0f) * 4
	if hl < 20 {
		return ErrMalformed
	}
	if hl > len(b) {
		return ErrShort
	}
	p.IP = b
	p.V6 = false
	p.Tunnels = uint8(depth)
	p.Src = netip.AddrFrom4([4]byte(b[12:16]))
	p.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	p.Proto = b[9]
	p.Fragment = binary.BigEndian.Uint16(b[6:])&0x1fff != 0
	// Trust the total length only to cut link-layer padding; 0 is what TSO
	// offload leaves in locally captured packets.
	if tl := int(binary.BigEndian.Uint16(b[2:])); tl != 0 {
		if tl < hl {
			return ErrMalformed
		}
		if tl < len(b) {
			b = b[:tl]
		}
	}
	return transport(b[hl:], p, false, depth)
}

// DecodeIPv6 decodes an IPv6 header, walks its extension headers (segment
// routing included) and decodes the transport header, and any packet
// tunnelled inside.
func DecodeIPv6(b []byte, p *Packet) error { return ipv6(b, p, 0) }

func ipv6(b []byte, p *Packet, depth int) error {
	if len(b) < 40 {
		return ErrShort
	}
	if b[0]>>4 != 6 {
		return ErrMalformed
	}
	p.IP = b
	p.V6 = true
	p.Tunnels = uint8(depth)
	p.Src = netip.AddrFrom16([16]byte(b[8:24]))
	p.Dst = netip.AddrFrom16([16]byte(b[24:40]))
	p.Fragment = false
	if pl := int(binary.BigEndian.Uint16(b[4:])); pl != 0 && 40+pl < len(b) {
		b = b[:40+pl]
	}
	nh := b[6]
	off := 40
	for range 16 {
		switch nh {
		case 0, 43, 60, 135, 139, 140: // hop-by-hop, routing, destination, mobility, HIP, shim6
			if off+8 > len(b) {
				return ErrShort
			}
			nh = b[off]
			off += (int(b[off+1]) + 1) * 8
		case 51: // authentication header: length in 4-octet units, minus 2
			if off+8 > len(b) {
				return ErrShort
			}
			nh = b[off]
			off += (int(b[off+1]) + 2) * 4
		case 44: // fragment
			if off+8 > len(b) {
				return ErrShort
			}
			nh = b[off]
			if binary.BigEndian.Uint16(b[off+2:])>>3 != 0 {
				p.Fragment = true
			}
			off += 8
		default:
			p.Proto = nh
			if off > len(b) {
				return ErrShort
			}
			return transport(b[off:], p, true, depth)
		}
		if p.Fragment { // the rest is a piece of payload, not headers
			p.Proto = nh
			return transport(nil, p, true, depth)
		}
	}
	return ErrMalformed
}

func transport(t []byte, p *Packet, v6 bool, depth int) error {
	p.SPort, p.DPort, p.TCPFlags, p.ICMPType, p.ICMPCode = 0, 0, 0, 0, 0
	icmp := uint8(ProtoICMP)
	if v6 {
		icmp = ProtoICMPv6
	}
	switch p.Proto {
	case ProtoTCP, ProtoUDP, icmp:
	default:
		return tunnelIP(t, p, depth)
	}
	if p.Fragment {
		return nil
	}
	switch p.Proto {
	case ProtoTCP:
		if len(t) < 20 {
			return ErrShort
		}
		p.SPort = binary.BigEndian.Uint16(t)
		p.DPort = binary.BigEndian.Uint16(t[2:])
		p.TCPFlags = t[13]
	case ProtoUDP:
		if len(t) < 8 {
			return ErrShort
		}
		p.SPort = binary.BigEndian.Uint16(t)
		p.DPort = binary.BigEndian.Uint16(t[2:])
	default:
		if len(t) < 2 {
			return ErrShort
		}
		p.ICMPType, p.ICMPCode = t[0], t[1]
	}
	return nil
}
