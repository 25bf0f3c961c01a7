package capture

import "encoding/binary"

// Tunnels and shims. Each decoder steps over one header, checks lengths before
// slicing, and hands what it carries back to the IP, Ethernet or EtherType
// dispatch with depth+1, so nesting is bounded by maxDepth. The record
// describes the innermost IP packet that has a transport header: PACKTER shows
// who talks to whom, and the tunnel endpoints are noise (docs/capture.md).

// EtherTypes and IP protocols of the encapsulations we step over.
const (
	etherMPLS      = 0x8847
	etherMPLSMulti = 0x8848
	etherPPPoE     = 0x8864
	etherMACsec    = 0x88e5
	etherNSH       = 0x894f
	etherTEB       = 0x6558 // transparent Ethernet bridging (Ethernet over GRE)
	etherERSPAN    = 0x88be // ERSPAN type I and II
	etherERSPAN3   = 0x22eb
	etherWCCP      = 0x883e
	etherPPP       = 0x880b // PPP over enhanced GRE (PPTP)

	protoIPIP  = 4
	protoIPv6  = 41
	protoGRE   = 47
	protoPIM   = 103
	protoMPLS  = 137 // MPLS in IP (RFC 4023)
	protoEther = 143 // Ethernet in IPv6 (SRv6 L2 services, RFC 8986)
)

// tunnelIP decodes what an IP packet of a tunnelling protocol carries.
// Inner payloads that are not IP leave the outer packet one PACKTER does not
// draw (ErrProtocol), like any other protocol it ignores.
func tunnelIP(t []byte, p *Packet, depth int) error {
	switch p.Proto {
	case protoIPIP, protoIPv6, protoGRE, protoPIM, protoMPLS, protoEther:
	default:
		return ErrProtocol
	}
	if p.Fragment { // a later piece: the tunnelled headers are in the first one
		return ErrProtocol
	}
	if depth >= maxDepth {
		return ErrTooDeep
	}
	var err error
	switch p.Proto {
	case protoIPIP:
		err = ipv4(t, p, depth+1)
	case protoIPv6:
		err = ipv6(t, p, depth+1)
	case protoGRE:
		err = gre(t, p, depth+1)
	case protoPIM:
		err = pimRegister(t, p, depth+1)
	case protoMPLS:
		err = mpls(t, p, depth+1)
	case protoEther:
		err = ether(t, p, depth+1)
	}
	if err == ErrNotIP {
		return ErrProtocol
	}
	return err
}

// etherShim handles EtherTypes other than IP: label stacks, PPPoE, MACsec,
// NSH, and 802.3 frames with LLC/SNAP.
func etherShim(et uint16, b []byte, p *Packet, depth int) error {
	switch et {
	case etherMPLS, etherMPLSMulti, etherPPPoE, etherMACsec, etherNSH, etherTEB:
	default:
		// An 802.3 length, not a type: LLC/SNAP carries the EtherType.
		if et > 1500 || len(b) < 8 || b[0] != 0xaa || b[1] != 0xaa || b[2] != 0x03 {
			return ErrNotIP
		}
	}
	if depth >= maxDepth {
		return ErrTooDeep
	}
	switch et {
	case etherMPLS, etherMPLSMulti:
		return mpls(b, p, depth+1)
	case etherPPPoE:
		return pppoe(b, p, depth+1)
	case etherMACsec:
		return macsec(b, p, depth+1)
	case etherNSH:
		return nsh(b, p, depth+1)
	case etherTEB:
		return ether(b, p, depth+1)
	}
	return decodeEther(binary.BigEndian.Uint16(b[6:]), b[8:], p, depth+1)
}

// ether decodes a whole Ethernet frame carried inside something else.
func ether(b []byte, p *Packet, depth int) error {
	if len(b) < 14 {
		return ErrShort
	}
	return decodeEther(binary.BigEndian.Uint16(b[12:]), b[14:], p, depth)
}

// maxLabels bounds an MPLS label stack; real stacks hold two to five labels,
// and a stack without a bottom ends with the packet anyway.
const maxLabels = 32

// mpls steps over a label stack to its bottom. MPLS does not say what it
// carries; like Wireshark we look at the first nibble: 4 or 6 is IP, 0 is a
// pseudowire control word followed by an Ethernet frame.
func mpls(b []byte, p *Packet, depth int) error {
	for i := 0; ; i++ {
		if i == maxLabels {
			return ErrMalformed
		}
		if len(b) < 4 {
			return ErrShort
		}
		bottom := b[2]&1 != 0
		b = b[4:]
		if bottom {
			break
		}
	}
	if len(b) < 1 {
		return ErrShort
	}
	switch b[0] >> 4 {
	case 4:
		return ipv4(b, p, depth)
	case 6:
		return ipv6(b, p, depth)
	case 0:
		if len(b) < 4 {
			return ErrShort
		}
		return ether(b[4:], p, depth)
	}
	return ErrNotIP
}

// gre steps over a GRE header (RFC 2784/2890, RFC 1701 source routes, and the
// enhanced GRE of PPTP) and dispatches on its protocol type.
func gre(b []byte, p *Packet, depth int) error {
	if len(b) < 4 {
		return ErrShort
	}
	flags := binary.BigEndian.Uint16(b)
	proto := binary.BigEndian.Uint16(b[2:])
	off := 4
	switch flags & 7 {
	case 0:
		if flags&0xc000 != 0 { // checksum or routing: checksum and offset
			off += 4
		}
		if flags&0x2000 != 0 { // key
			off += 4
		}
		if flags&0x1000 != 0 { // sequence number
			off += 4
		}
		if flags&0x4000 != 0 { // RFC 1701 source route entries, until a null one
			for i := 0; ; i++ {
				if i == 16 {
					return ErrMalformed
				}
				if off+4 > len(b) {
					return ErrShort
				}
				af, n := binary.BigEndian.Uint16(b[off:]), int(b[off+3])
				off += 4 + n
				if af == 0 && n == 0 {
					break
				}
			}
		}
	case 1: // enhanced GRE: key (payload length, call id), then sequence and acknowledgment
		if proto != etherPPP || flags&0x2000 == 0 {
			return ErrMalformed
		}
		off += 4
		if flags&0x1000 != 0 {
			off += 4
		}
		if flags&0x0080 != 0 {
			off += 4
		}
	default:
		return ErrMalformed
	}
	if off > len(b) {
		return ErrShort
	}
	b = b[off:]
	switch proto {
	case etherERSPAN:
		if flags&0x1000 == 0 { // type I: no ERSPAN header, the mirrored frame follows
			return ether(b, p, depth)
		}
		return erspan2(b, p, depth)
	case etherERSPAN3:
		return erspan3(b, p, depth)
	case etherWCCP:
		return wccp(b, p, depth)
	case etherTEB: // GRE is the encapsulation; the Ethernet frame is its payload
		return ether(b, p, depth)
	case etherPPP:
		return ppp(b, p, depth)
	}
	return decodeEther(proto, b, p, depth)
}

// erspan2 steps over the 8-byte ERSPAN type II header to the mirrored frame.
func erspan2(b []byte, p *Packet, depth int) error {
	if len(b) < 8 {
		return ErrShort
	}
	if b[0]>>4 != 1 {
		return ErrMalformed
	}
	return ether(b[8:], p, depth)
}

// erspan3 steps over the 12-byte ERSPAN type III header and, when its O bit
// says so, the 8-byte platform-specific sub-header. The frame type says
// whether an Ethernet frame (0) or an IP packet (2) follows.
func erspan3(b []byte, p *Packet, depth int) error {
	if len(b) < 12 {
		return ErrShort
	}
	if b[0]>>4 != 2 {
		return ErrMalformed
	}
	n := 12
	if b[11]&1 != 0 {
		n += 8
	}
	if len(b) < n {
		return ErrShort
	}
	switch (b[10] >> 2) & 0x1f {
	case 0:
		return ether(b[n:], p, depth)
	case 2:
		return ip(b[n:], p, depth)
	}
	return ErrNotIP
}

// wccp steps over the 4-byte WCCPv2 redirect header; WCCPv1 has none, so an
// IPv4 version nibble first means the packet starts at once.
func wccp(b []byte, p *Packet, depth int) error {
	if len(b) < 1 {
		return ErrShort
	}
	if b[0]>>4 == 4 {
		return ipv4(b, p, depth)
	}
	if len(b) < 4 {
		return ErrShort
	}
	return ip(b[4:], p, depth)
}

// pimRegister decodes the packet inside a PIM Register message (version 2,
// type 1: 4-byte PIM header, 4-byte register flags); other PIM messages are
// control traffic PACKTER does not draw.
func pimRegister(b []byte, p *Packet, depth int) error {
	if len(b) < 8 {
		return ErrShort
	}
	if b[0] != 0x21 {
		return ErrProtocol
	}
	return ip(b[8:], p, depth)
}

// nsh steps over a Network Service Header (RFC 8300), whose length field
// counts 4-byte words, and dispatches on its next-protocol field.
func nsh(b []byte, p *Packet, depth int) error {
	if len(b) < 8 {
		return ErrShort
	}
	if b[0]>>6 != 0 {
		return ErrMalformed
	}
	n := int(b[1]&0x3f) * 4
	if n < 8 {
		return ErrMalformed
	}
	if len(b) < n {
		return ErrShort
	}
	next, b := b[3], b[n:]
	switch next {
	case 1:
		return ipv4(b, p, depth)
	case 2:
		return ipv6(b, p, depth)
	case 3:
		return ether(b, p, depth)
	case 4:
		if depth >= maxDepth {
			return ErrTooDeep
		}
		return nsh(b, p, depth+1)
	case 5:
		return mpls(b, p, depth)
	}
	return ErrNotIP
}

// macsec steps over an 802.1AE SecTAG (6 bytes, 14 with the SCI). Only
// integrity-protected frames can be read; the ICV at the end is left to the
// IP length to cut.
func macsec(b []byte, p *Packet, depth int) error {
	if len(b) < 6 {
		return ErrShort
	}
	tci := b[0]
	if tci&0x80 != 0 { // version bit
		return ErrMalformed
	}
	if tci&0x08 != 0 { // E: encrypted
		return ErrEncrypted
	}
	n := 6
	if tci&0x20 != 0 { // SC: an explicit secure channel identifier
		n += 8
	}
	if len(b) < n+2 {
		return ErrShort
	}
	return decodeEther(binary.BigEndian.Uint16(b[n:]), b[n+2:], p, depth)
}

// pppoe steps over a PPPoE session header (RFC 2516) to its PPP protocol.
func pppoe(b []byte, p *Packet, depth int) error {
	if len(b) < 8 {
		return ErrShort
	}
	if b[0] != 0x11 || b[1] != 0 { // version 1, type 1, session data
		return ErrNotIP
	}
	return pppProto(binary.BigEndian.Uint16(b[6:]), b[8:], p, depth)
}

// ppp decodes a PPP frame with or without the HDLC-like address and control
// bytes (RFC 1662), and with or without protocol-field compression.
func ppp(b []byte, p *Packet, depth int) error {
	if len(b) >= 2 && b[0] == 0xff && b[1] == 0x03 {
		b = b[2:]
	}
	if len(b) < 1 {
		return ErrShort
	}
	if b[0]&1 != 0 { // a compressed, one-byte protocol field
		return pppProto(uint16(b[0]), b[1:], p, depth)
	}
	if len(b) < 2 {
		return ErrShort
	}
	return pppProto(binary.BigEndian.Uint16(b), b[2:], p, depth)
}

func pppProto(proto uint16, b []byte, p *Packet, depth int) error {
	switch proto {
	case 0x0021:
		return ipv4(b, p, depth)
	case 0x0057:
		return ipv6(b, p, depth)
	case 0x0281, 0x0283:
		if depth >= maxDepth {
			return ErrTooDeep
		}
		return mpls(b, p, depth+1)
	}
	return ErrNotIP
}

// chdlc decodes a Cisco HDLC frame: address, control, then an EtherType.
func chdlc(b []byte, p *Packet, depth int) error {
	if len(b) < 4 {
		return ErrShort
	}
	if b[0] != 0x0f && b[0] != 0x8f {
		return ErrMalformed
	}
	return decodeEther(binary.BigEndian.Uint16(b[2:]), b[4:], p, depth)
}
