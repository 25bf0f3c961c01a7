package capture

import "encoding/binary"

// The rarer link types (LINKTYPE_* numbers from the pcap link-type registry).
// Each header is stepped over by hand, lengths checked first; what is inside
// goes back to the common dispatch. docs/capture.md lists them all.
const (
	LinkARCNETBSD   uint32 = 7   // ARCNET, RFC 1051 or RFC 1201 framing
	LinkPPP         uint32 = 9   // PPP, with or without FF 03
	LinkPPPHDLC     uint32 = 50  // PPP in HDLC-like framing, or Cisco PPP
	LinkPPPoE       uint32 = 51  // PPPoE session frames (Ethernet header stripped)
	LinkCHDLC       uint32 = 104 // Cisco HDLC
	LinkIEEE80211   uint32 = 105 // 802.11 without radio header
	LinkPrism       uint32 = 119 // 802.11 with a Prism (or AVS) header
	LinkRadiotap    uint32 = 127 // 802.11 with a radiotap header
	LinkARCNETLinux uint32 = 129 // ARCNET with Linux's 2-byte offset field
	LinkUser2       uint32 = 149 // Apple's PKTAP before it had its own number
	LinkAVS         uint32 = 163 // 802.11 with an AVS header
	LinkPPPPPPD     uint32 = 166 // PPP with pppd's direction byte for FF
	LinkPPI         uint32 = 192 // Per-Packet Information header, then its DLT
	LinkPPPDir      uint32 = 204 // a direction byte, then PPP
	LinkCHDLCDir    uint32 = 205 // a direction byte, then Cisco HDLC
	LinkMPLS        uint32 = 219 // a bare MPLS label stack
	LinkIPNet       uint32 = 226 // Solaris ipnet
	LinkNFLOG       uint32 = 239 // Linux NFLOG, TLV-framed
	LinkIPoIB       uint32 = 242 // IP over InfiniBand
	LinkPKTAP       uint32 = 258 // Apple PKTAP

	// Juniper's encapsulations all start with the same "MGC" header.
	LinkJuniperMLPPP    uint32 = 130
	LinkJuniperATM1     uint32 = 137
	LinkJuniperPPPoE    uint32 = 167
	LinkJuniperEther    uint32 = 178
	LinkJuniperPPP      uint32 = 179
	LinkJuniperFRelay   uint32 = 180
	LinkJuniperCHDLC    uint32 = 181
	LinkJuniperVP       uint32 = 183
	LinkJuniperST       uint32 = 200
	LinkJuniperATMCEMIC uint32 = 238
)

// rareLink decodes every link type that is not on the fast path.
func rareLink(link uint32, b []byte, p *Packet, depth int) error {
	switch link {
	case LinkPPP:
		return ppp(b, p, depth)
	case LinkPPPHDLC:
		if len(b) >= 1 && (b[0] == 0x0f || b[0] == 0x8f) {
			return chdlc(b, p, depth)
		}
		return ppp(b, p, depth)
	case LinkPPPPPPD: // direction byte, 03, protocol
		if len(b) < 2 {
			return ErrShort
		}
		return ppp(b[2:], p, depth)
	case LinkPPPDir:
		if len(b) < 1 {
			return ErrShort
		}
		return ppp(b[1:], p, depth)
	case LinkPPPoE:
		return pppoe(b, p, depth)
	case LinkCHDLC:
		return chdlc(b, p, depth)
	case LinkCHDLCDir:
		if len(b) < 1 {
			return ErrShort
		}
		return chdlc(b[1:], p, depth)
	case LinkMPLS:
		return mpls(b, p, depth)
	case LinkARCNETBSD:
		return arcnet(b, 2, true, p, depth)
	case LinkARCNETLinux:
		return arcnet(b, 4, false, p, depth)
	case LinkIPNet:
		return ipnet(b, p, depth)
	case LinkIPoIB:
		return ipoib(b, p, depth)
	case LinkNFLOG:
		return nflog(b, p, depth)
	case LinkIEEE80211:
		return dot11(b, p, depth)
	case LinkRadiotap:
		return radiotap(b, p, depth)
	case LinkPrism, LinkAVS:
		return prismOrAVS(b, p, depth)
	case LinkPKTAP, LinkUser2:
		return pktap(b, p, depth)
	case LinkPPI:
		return ppi(b, p, depth)
	}
	if isJuniper(link) {
		return juniper(link, b, p, depth)
	}
	return ErrUnknownLink
}

// arcnet decodes an ARCNET frame: source and destination IDs (and on Linux a
// 2-byte offset), a protocol ID, and for RFC 1201 protocols a split flag and
// sequence number, with BSD's 4 extra bytes on exception packets (flag FF).
func arcnet(b []byte, off int, exceptions bool, p *Packet, depth int) error {
	if len(b) < off+1 {
		return ErrShort
	}
	id := b[off]
	n := off + 1
	switch id {
	case 240, 241, 128: // RFC 1051 IP and ARP, diagnostics: no fragmentation header
	default:
		if len(b) < n+1 {
			return ErrShort
		}
		if exceptions && b[n] == 0xff {
			n += 4
		}
		n += 3
	}
	if len(b) < n {
		return ErrShort
	}
	switch id {
	case 240, 212: // IP per RFC 1051, RFC 1201
		return ipv4(b[n:], p, depth)
	case 196:
		return ipv6(b[n:], p, depth)
	}
	return ErrNotIP
}

// ipnet decodes Solaris ipnet's 24-byte header, whose family says IPv4 (2)
// or IPv6 (26).
func ipnet(b []byte, p *Packet, depth int) error {
	if len(b) < 24 {
		return ErrShort
	}
	switch b[1] {
	case 2:
		return ipv4(b[24:], p, depth)
	case 26:
		return ipv6(b[24:], p, depth)
	}
	return ErrNotIP
}

// ipoib decodes LINKTYPE_IPOIB: a 40-byte pseudo-header (the GRH, or when
// that is not valid the destination address), then the 4-byte IPoIB header
// (EtherType, reserved), as tcpdump and Wireshark read it. Live capture on
// InfiniBand interfaces is cooked instead (see LinkForHardware).
func ipoib(b []byte, p *Packet, depth int) error {
	if len(b) < 44 {
		return ErrShort
	}
	return decodeEther(binary.BigEndian.Uint16(b[40:]), b[44:], p, depth)
}

// nflog decodes Linux NFLOG: family, version, resource id, then TLVs, one of
// which (type 9) is the packet. TLV lengths and types are in the capturing
// host's byte order; types are small, so the order whose type fits in a byte
// is the right one.
func nflog(b []byte, p *Packet, depth int) error {
	if len(b) < 4 {
		return ErrShort
	}
	if b[1] != 0 {
		return ErrMalformed
	}
	family := b[0]
	for off, i := 4, 0; off+4 <= len(b); i++ {
		if i == 64 {
			return ErrMalformed
		}
		var bo binary.ByteOrder = binary.LittleEndian
		if bo.Uint16(b[off+2:])&0xff00 != 0 {
			bo = binary.BigEndian
		}
		l, typ := int(bo.Uint16(b[off:])), bo.Uint16(b[off+2:])&0x7fff
		if l < 4 {
			return ErrMalformed
		}
		if typ == 9 { // NFULA_PAYLOAD; the snap length may have cut it
			v := b[off+4 : min(off+l, len(b))]
			switch family {
			case 2:
				return ipv4(v, p, depth)
			case 10:
				return ipv6(v, p, depth)
			}
			return ip(v, p, depth)
		}
		off += (l + 3) &^ 3
	}
	return ErrNotIP
}

// dot11 decodes an 802.11 data frame: a 24-byte header, 30 with four
// addresses, +2 for QoS, +4 for HT control (QoS data with the order bit),
// then LLC/SNAP; an A-MSDU's first subframe is read.
func dot11(b []byte, p *Packet, depth int) error {
	if len(b) < 24 {
		return ErrShort
	}
	fc0, fc1 := b[0], b[1]
	if fc0&3 != 0 {
		return ErrMalformed
	}
	if (fc0>>2)&3 != 2 || fc0&0x40 != 0 { // not data, or a null-data subtype without a body
		return ErrNotIP
	}
	n := 24
	if fc1&3 == 3 {
		n = 30
	}
	amsdu := false
	if fc0&0x80 != 0 { // QoS data
		n += 2
		if len(b) < n {
			return ErrShort
		}
		amsdu = b[n-2]&0x80 != 0
		if fc1&0x80 != 0 {
			n += 4
		}
	}
	if fc1&0x40 != 0 {
		return ErrEncrypted
	}
	if amsdu {
		n += 14
	}
	if len(b) < n+8 {
		return ErrShort
	}
	llc := b[n:]
	if llc[0] != 0xaa || llc[1] != 0xaa || llc[2] != 0x03 {
		return ErrNotIP
	}
	return decodeEther(binary.BigEndian.Uint16(llc[6:]), llc[8:], p, depth)
}

// radiotap steps over a radiotap header, whose little-endian length is at
// offset 2, to the 802.11 frame.
func radiotap(b []byte, p *Packet, depth int) error {
	if len(b) < 8 {
		return ErrShort
	}
	if b[0] != 0 {
		return ErrMalformed
	}
	n := int(binary.LittleEndian.Uint16(b[2:]))
	if n < 8 {
		return ErrMalformed
	}
	if len(b) < n {
		return ErrShort
	}
	return dot11(b[n:], p, depth)
}

// prismOrAVS steps over an AVS header (big-endian magic 0x8021100x, length at
// offset 4) or a Prism header (little-endian message length at offset 4).
func prismOrAVS(b []byte, p *Packet, depth int) error {
	if len(b) < 8 {
		return ErrShort
	}
	var n uint32
	if binary.BigEndian.Uint32(b)&0xfffffff0 == 0x80211000 {
		n = binary.BigEndian.Uint32(b[4:])
	} else {
		n = binary.LittleEndian.Uint32(b[4:])
	}
	if n < 8 {
		return ErrMalformed
	}
	if uint64(len(b)) < uint64(n) {
		return ErrShort
	}
	return dot11(b[n:], p, depth)
}

// pktap decodes Apple's PKTAP: a little-endian header length, a record type
// (1: a packet) and the DLT of the packet that follows.
func pktap(b []byte, p *Packet, depth int) error {
	if len(b) < 12 {
		return ErrShort
	}
	n := binary.LittleEndian.Uint32(b)
	if n < 12 {
		return ErrMalformed
	}
	if binary.LittleEndian.Uint32(b[4:]) != 1 {
		return ErrNotIP
	}
	if uint64(len(b)) < uint64(n) {
		return ErrShort
	}
	return innerLink(binary.LittleEndian.Uint32(b[8:]), b[n:], p, depth)
}

// ppi steps over a Per-Packet Information header (little-endian length at
// offset 2, DLT at offset 4).
func ppi(b []byte, p *Packet, depth int) error {
	if len(b) < 8 {
		return ErrShort
	}
	n := int(binary.LittleEndian.Uint16(b[2:]))
	if n < 8 {
		return ErrMalformed
	}
	if len(b) < n {
		return ErrShort
	}
	return innerLink(binary.LittleEndian.Uint32(b[4:]), b[n:], p, depth)
}

// innerLink decodes a link layer that another link layer announced.
func innerLink(link uint32, b []byte, p *Packet, depth int) error {
	if depth >= maxDepth {
		return ErrTooDeep
	}
	return decodeLink(link, b, p, depth+1)
}

func isJuniper(link uint32) bool {
	return link >= 130 && link <= 137 || link == 167 || link == 168 || link == 174 ||
		link >= 178 && link <= 183 || link >= 194 && link <= 200 || link == 238
}

// juniper decodes Juniper's capture header: "MGC", a flag byte, and with the
// extension flag (0x80) a big-endian length of TLVs to skip. With the no-L2
// flag (0x02) the packet follows after 4 more bytes; otherwise the link type
// says what follows: Ethernet, PPP or Cisco HDLC.
func juniper(link uint32, b []byte, p *Packet, depth int) error {
	if len(b) < 4 {
		return ErrShort
	}
	if b[0] != 'M' || b[1] != 'G' || b[2] != 'C' {
		return ErrMalformed
	}
	flags, n := b[3], 4
	if flags&0x80 != 0 {
		if len(b) < 6 {
			return ErrShort
		}
		n += 2 + int(binary.BigEndian.Uint16(b[4:]))
	}
	if flags&0x02 != 0 {
		n += 4
	}
	if len(b) < n {
		return ErrShort
	}
	b = b[n:]
	if flags&0x02 != 0 {
		return ip(b, p, depth)
	}
	switch link {
	case LinkJuniperEther, LinkJuniperPPPoE:
		return ether(b, p, depth)
	case LinkJuniperPPP:
		return ppp(b, p, depth)
	case LinkJuniperCHDLC:
		return chdlc(b, p, depth)
	}
	// The other types' layouts are Juniper's own; read an Ethernet frame
	// when one is plainly there, else an IP packet.
	if len(b) >= 14 {
		switch binary.BigEndian.Uint16(b[12:]) {
		case etherIPv4, etherIPv6, etherVLAN, etherQinQ, etherMPLS:
			return ether(b, p, depth)
		}
	}
	return ip(b, p, depth)
}
