package gen

func zeros(n int) []byte { return make([]byte, n) }

// pktapHdr is a 108-byte PKTAP header (little-endian, as macOS writes it).
func pktapHdr(dlt uint32) []byte {
	h := le32(le32(le32(nil, 108), 1), dlt)
	h = append(h, "en0"...)
	return append(h, zeros(108-len(h))...)
}

// nflogTLV is one NFLOG TLV in the given byte order, padded to 4 bytes.
func nflogTLV(bigEndian bool, typ uint16, v []byte) []byte {
	var b []byte
	if bigEndian {
		b = be16(be16(nil, uint16(4+len(v))), typ)
	} else {
		b = le16(le16(nil, uint16(4+len(v))), typ)
	}
	b = append(b, v...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func nflog(family byte, bigEndian bool, pkt []byte) []byte {
	hw := []byte{0x08, 0x00, 3, 0}
	if family == 10 {
		hw[0], hw[1] = 0x86, 0xdd
	}
	return cat([]byte{family, 0, 0, 0},
		nflogTLV(bigEndian, 1, hw), nflogTLV(bigEndian, 10, []byte("ssh\x00")), nflogTLV(bigEndian, 9, pkt))
}

// dot11 is an 802.11 data frame: fc0/fc1 frame control, QoS control when the
// subtype has it, HT control when QoS and the order bit are set, then body.
func dot11(fc0, fc1 byte, body []byte) []byte {
	b := []byte{fc0, fc1, 0x2c, 0}
	for i := 0; i < 3; i++ {
		b = append(b, 0x02, 0, 0x5e, 0x10, 0, byte(i+1))
	}
	b = append(b, 0x10, 0x00)
	if fc1&3 == 3 {
		b = append(b, 0x02, 0, 0x5e, 0x10, 0, 4)
	}
	if fc0&0x80 != 0 {
		b = append(b, 0x05, 0x00) // TID 5
		if fc1&0x80 != 0 {
			b = append(b, 0x00, 0x00, 0x0c, 0x00) // HT control
		}
	}
	return append(b, body...)
}

// amsdu is a QoS data frame whose body is an A-MSDU with one subframe.
func amsdu(et uint16, payload []byte) []byte {
	sub := snap(et, payload)
	hdr := be16([]byte{0x02, 0, 0x5e, 0x10, 0, 7, 0x02, 0, 0x5e, 0x10, 0, 8}, uint16(len(sub)))
	b := dot11(0x88, 0x01, cat(hdr, sub))
	b[24] |= 0x80 // QoS control: A-MSDU present
	return b
}

func snap(et uint16, payload []byte) []byte {
	return append(be16([]byte{0xaa, 0xaa, 0x03, 0, 0, 0}, et), payload...)
}

// radiotap8 is the smallest radiotap header; radiotap14 has flags, rate and
// channel fields.
var (
	radiotap8  = []byte{0, 0, 8, 0, 0, 0, 0, 0}
	radiotap14 = []byte{0, 0, 14, 0, 0x0e, 0, 0, 0, 0x00, 0x0c, 0x6c, 0x09, 0xa0, 0x00}
)

// linkCases is a table, one entry per test capture, longer than a function
// should be so that it reads as one list beside docs/capture.md.
func linkCases() []Case {
	pppFrames := []Frame{
		ok(cat([]byte{0x00, 0x21}, tcp4()), WantTCP4, 0),
		ok(cat([]byte{0xff, 0x03, 0x00, 0x57}, udp6()), WantUDP6, 0),
		ok(cat([]byte{0x21}, icmp4()), WantICMP4, 0), // protocol-field compression
	}
	juniperExt := []byte{'M', 'G', 'C', 0x80 | 0x01, 0, 8, 0x01, 0x04, 0, 0, 0, 7, 0x04, 0x00}
	return []Case{
		{File: "ppp.pcap", Link: 9, Header: "the IP packet in the PPP frame", Frames: pppFrames},
		{File: "ppp.pcapng", Link: 9, NG: true, Header: "the IP packet in the PPP frame", Frames: pppFrames},
		{File: "ppp-hdlc.pcap", Link: 50, Header: "the IP packet in the PPP (or Cisco PPP) frame", Frames: []Frame{
			ok(cat([]byte{0xff, 0x03, 0x00, 0x21}, tcp4()), WantTCP4, 0),
			ok(cat([]byte{0xff, 0x03, 0x00, 0x57}, udp6()), WantUDP6, 0),
			ok(cat([]byte{0x0f, 0x00, 0x08, 0x00}, icmp4()), WantICMP4, 0),
		}},
		{File: "ppp-pppd.pcap", Link: 166, Header: "the IP packet in the PPP frame", Frames: []Frame{
			ok(cat([]byte{0x00, 0x03, 0x00, 0x21}, tcp4()), WantTCP4, 0),
			ok(cat([]byte{0x01, 0x03, 0x00, 0x57}, udp6()), WantUDP6, 0),
		}},
		{File: "ppp-dir.pcap", Link: 204, Header: "the IP packet in the PPP frame", Frames: []Frame{
			ok(cat([]byte{0x00, 0xff, 0x03, 0x00, 0x21}, tcp4()), WantTCP4, 0),
			ok(cat([]byte{0x01, 0x00, 0x57}, udp6()), WantUDP6, 0),
		}},
		{File: "pppoe.pcap", Link: 51, Header: "the IP packet in the PPPoE session", Frames: []Frame{
			ok(cat([]byte{0x11, 0, 0, 1}, be16(nil, uint16(2+len(tcp4()))), []byte{0x00, 0x21}, tcp4()), WantTCP4, 0),
		}},
		{File: "chdlc.pcap", Link: 104, Header: "the IP packet in the Cisco HDLC frame", Frames: []Frame{
			ok(cat([]byte{0x0f, 0x00, 0x08, 0x00}, tcp4()), WantTCP4, 0),
			ok(cat([]byte{0x8f, 0x00, 0x86, 0xdd}, udp6()), WantUDP6, 0),
		}},
		{File: "chdlc-dir.pcap", Link: 205, Header: "the IP packet in the Cisco HDLC frame", Frames: []Frame{
			ok(cat([]byte{0x01, 0x0f, 0x00, 0x08, 0x00}, tcp4()), WantTCP4, 0),
		}},
		{File: "arcnet-rfc1051.pcap", Link: 7, Header: "the IP packet in the ARCNET frame", Frames: []Frame{
			ok(cat([]byte{0x01, 0x02, 240}, tcp4()), WantTCP4, 0),
			ok(cat([]byte{0x01, 0x02, 240}, icmp4()), WantICMP4, 0),
		}},
		{File: "arcnet-rfc1201.pcap", Link: 7, Header: "the IP packet in the ARCNET frame", Frames: []Frame{
			ok(cat([]byte{0x01, 0x02, 212, 0x00, 0x00, 0x01}, tcp4()), WantTCP4, 0),
			ok(cat([]byte{0x01, 0x02, 212, 0xff, 0xff, 0xff, 212, 0x00, 0x00, 0x02}, icmp4()), WantICMP4, 0), // exception packet
			ok(cat([]byte{0x01, 0x02, 196, 0x00, 0x00, 0x03}, udp6()), WantUDP6, 0),
		}},
		{File: "arcnet-linux.pcap", Link: 129, Header: "the IP packet in the ARCNET frame", Frames: []Frame{
			ok(cat([]byte{0x01, 0x02, 0x00, 0x00, 212, 0x00, 0x00, 0x01}, tcp4()), WantTCP4, 0),
			ok(cat([]byte{0x01, 0x02, 0x00, 0x00, 240}, icmp4()), WantICMP4, 0),
		}},
		{File: "pktap.pcap", Link: 258, Header: "the IP packet in the frame PKTAP wraps", Frames: []Frame{
			ok(cat(pktapHdr(1), Ether(0x0800, tcp4())), WantTCP4, 1),
			ok(cat(pktapHdr(0), le32(nil, 30), udp6()), WantUDP6, 1), // macOS loopback, AF_INET6 30
		}},
		{File: "pktap-user2.pcap", Link: 149, Header: "the IP packet in the frame PKTAP wraps", Frames: []Frame{
			ok(cat(pktapHdr(1), Ether(0x86dd, udp6())), WantUDP6, 1),
		}},
		{File: "juniper-ether.pcap", Link: 178, Header: "the IP packet in the Ethernet frame after Juniper's header", Frames: []Frame{
			ok(cat(juniperExt, Ether(0x0800, tcp4())), WantTCP4, 0),
			ok(cat([]byte{'M', 'G', 'C', 0x00}, Ether(0x86dd, udp6())), WantUDP6, 0),
			ok(cat([]byte{'M', 'G', 'C', 0x03}, le32(nil, 2), icmp4()), WantICMP4, 0), // no L2 header
		}},
		{File: "juniper-ppp.pcap", Link: 179, Header: "the IP packet in the PPP frame after Juniper's header", Frames: []Frame{
			ok(cat([]byte{'M', 'G', 'C', 0x01}, []byte{0xff, 0x03, 0x00, 0x21}, tcp4()), WantTCP4, 0),
		}},
		{File: "juniper-chdlc.pcap", Link: 181, Header: "the IP packet in the Cisco HDLC frame after Juniper's header", Frames: []Frame{
			ok(cat([]byte{'M', 'G', 'C', 0x01}, []byte{0x0f, 0x00, 0x08, 0x00}, tcp4()), WantTCP4, 0),
		}},
		{File: "ipnet.pcap", Link: 226, Header: "the IP packet after the ipnet header", Frames: []Frame{
			ok(cat([]byte{2, 2, 0, 0}, be32(nil, uint32(len(tcp4()))), zeros(16), tcp4()), WantTCP4, 0),
			ok(cat([]byte{2, 26, 0, 0}, be32(nil, uint32(len(udp6()))), zeros(16), udp6()), WantUDP6, 0),
		}},
		{File: "ipoib.pcap", Link: 242, Header: "the IP packet after the IPoIB pseudo-header and header", Frames: []Frame{
			ok(cat(zeros(20), []byte{0, 0, 0, 0x48, 0xfe, 0x80}, zeros(6), []byte{0, 2, 0xc9, 3, 0, 1, 2, 3}, []byte{0x08, 0x00, 0, 0}, tcp4()), WantTCP4, 0),
			ok(cat([]byte{0x60, 0, 0, 0, 0, 0, 0, 0x49}, zeros(32), []byte{0x86, 0xdd, 0, 0}, udp6()), WantUDP6, 0), // a valid GRH
		}},
		{File: "nflog.pcap", Link: 239, Header: "the IP packet in the NFLOG payload TLV", Frames: []Frame{
			ok(nflog(2, false, tcp4()), WantTCP4, 0),
			ok(nflog(10, false, udp6()), WantUDP6, 0),
			ok(nflog(2, false, icmp4()), WantICMP4, 0),
		}},
		{File: "nflog-be.pcap", Link: 239, BigEndian: true, Header: "the IP packet in the NFLOG payload TLV", Frames: []Frame{
			ok(nflog(2, true, tcp4()), WantTCP4, 0), // written on a big-endian host: TLVs in its order too
			ok(nflog(10, true, udp6()), WantUDP6, 0),
		}},
		{File: "radiotap.pcap", Link: 127, Header: "the IP packet in the 802.11 data frame's LLC/SNAP payload", Frames: []Frame{
			ok(cat(radiotap8, dot11(0x88, 0x01, snap(0x0800, tcp4()))), WantTCP4, 0),   // QoS data to the AP
			ok(cat(radiotap14, dot11(0x88, 0x81, snap(0x86dd, udp6()))), WantUDP6, 0),  // QoS data + HT control
			ok(cat(radiotap8, dot11(0x08, 0x02, snap(0x0800, icmp4()))), WantICMP4, 0), // plain data from the AP
			ok(cat(radiotap14, dot11(0x88, 0x03, snap(0x86dd, tcp6()))), WantTCP6, 0),  // four addresses (mesh / WDS)
			bad(cat(radiotap8, dot11(0x88, 0x41, snap(0x0800, tcp4()))), "payload is encrypted (MACsec, protected 802.11)"),
		}},
		{File: "ieee80211.pcap", Link: 105, Header: "the IP packet in the 802.11 data frame's LLC/SNAP payload", Frames: []Frame{
			ok(dot11(0x88, 0x01, snap(0x0800, tcp4())), WantTCP4, 0),
			ok(dot11(0x08, 0x02, snap(0x86dd, udp6())), WantUDP6, 0),
			ok(amsdu(0x0800, icmp4()), WantICMP4, 0),
		}},
		{File: "ppi.pcap", Link: 192, Header: "the IP packet in the frame PPI wraps", Frames: []Frame{
			ok(cat([]byte{0, 0, 8, 0}, le32(nil, 105), dot11(0x08, 0x01, snap(0x0800, tcp4()))), WantTCP4, 1),
		}},
		{File: "ipv4.pcap", Link: 228, Header: "the IPv4 packet", Frames: []Frame{
			ok(tcp4(), WantTCP4, 0), ok(icmp4(), WantICMP4, 0),
		}},
		{File: "ipv6.pcap", Link: 229, Header: "the IPv6 packet", Frames: []Frame{
			ok(udp6(), WantUDP6, 0), ok(tcp6(), WantTCP6, 0),
		}},
	}
}
