package gen

// srh is an IPv6 segment routing header (routing type 4) with one segment.
func srh(next uint8, payload []byte) []byte {
	b := []byte{next, 2, 4, 0, 0, 0, 0, 0}
	b = append(b, out6Dst.AsSlice()...)
	return append(b, payload...)
}

var (
	erspan2Hdr  = []byte{0x10, 0x0a, 0x00, 0x64, 0x00, 0x00, 0x00, 0x01}
	erspan3Hdr  = []byte{0x20, 0x0a, 0x00, 0x65, 0, 0, 0, 1, 0, 0, 0x00, 0x00}
	erspan3HdrO = []byte{0x20, 0x0a, 0x00, 0x66, 0, 0, 0, 2, 0, 0, 0x00, 0x01}
	erspan3Sub  = []byte{0x18, 0x00, 0x00, 0x01, 0, 0, 0, 3} // platform id 3, port id, timestamp
	icv         = zeros(16)
	nshMD1      = cat([]byte{0x0f, 0xc6, 0x01, 0x01, 0, 0, 0x2a, 0xff}, zeros(16))
	nshMD2Ether = []byte{0x0f, 0xc2, 0x02, 0x03, 0, 0, 0x2b, 0xfe}
)

// nestIPIP wraps the packet in n IPv4-in-IPv4 tunnels.
func nestIPIP(n int, pkt []byte) []byte {
	for range n {
		pkt = outer4(4, pkt)
	}
	return pkt
}

func tunnelCases() []Case {
	eth4 := func(b []byte) []byte { return Ether(0x0800, b) }
	eth6 := func(b []byte) []byte { return Ether(0x86dd, b) }
	return []Case{
		{File: "mpls-ether.pcap", Link: 1, Header: "the IP packet under the label stack (after a pseudowire's control word and Ethernet frame)", Frames: []Frame{
			ok(Ether(0x8847, MPLS(tcp4(), 100, 200)), WantTCP4, 1),
			ok(Ether(0x8847, MPLS(udp6(), 16)), WantUDP6, 1),
			ok(Ether(0x8847, MPLS(cat(zeros(4), Ether(0x0800, icmp4())), 300, 301)), WantICMP4, 1),
		}},
		{File: "mpls-ppp.pcap", Link: 9, Header: "the IP packet under the label stack", Frames: []Frame{
			ok(cat([]byte{0x02, 0x81}, MPLS(tcp4(), 100, 200)), WantTCP4, 1),
			ok(cat([]byte{0xff, 0x03, 0x02, 0x81}, MPLS(udp6(), 17)), WantUDP6, 1),
		}},
		{File: "gre.pcap", Link: 1, Header: "the IP packet GRE carries", Frames: []Frame{
			ok(eth4(outer4(47, GRE(0x0800, -1, -1, -1, tcp4()))), WantTCP4, 1),
			ok(eth4(outer4(47, GRE(0x86dd, 0, 42, 7, udp6()))), WantUDP6, 1), // checksum, key, sequence
			ok(eth6(outer6(47, GRE(0x0800, -1, 1000, -1, icmp4()))), WantICMP4, 1),
			ok(eth4(outer4(47, GRE(0x8847, -1, -1, 9, MPLS(tcp6(), 77)))), WantTCP6, 2), // MPLS over GRE
		}},
		{File: "gre-teb.pcap", Link: 1, Header: "the IP packet in the Ethernet frame GRE carries", Frames: []Frame{
			ok(eth4(outer4(47, GRE(0x6558, -1, 5, -1, Ether(0x0800, tcp4())))), WantTCP4, 1),
			ok(eth4(outer4(47, GRE(0x6558, -1, -1, -1, Ether(0x8100, cat([]byte{0, 10, 0x86, 0xdd}, udp6()))))), WantUDP6, 1),
		}},
		{File: "erspan1.pcap", Link: 1, Header: "the IP packet in the mirrored Ethernet frame", Frames: []Frame{
			ok(eth4(outer4(47, GRE(0x88be, -1, -1, -1, Ether(0x0800, tcp4())))), WantTCP4, 1),
		}},
		{File: "erspan2.pcap", Link: 1, Header: "the IP packet in the mirrored Ethernet frame", Frames: []Frame{
			ok(eth4(outer4(47, GRE(0x88be, -1, -1, 1, cat(erspan2Hdr, Ether(0x86dd, udp6()))))), WantUDP6, 1),
			ok(eth4(outer4(47, GRE(0x88be, -1, -1, 2, cat(erspan2Hdr, Ether(0x0800, tcp4()))))), WantTCP4, 1),
		}},
		{File: "erspan3.pcap", Link: 1, Header: "the IP packet in the mirrored Ethernet frame", Frames: []Frame{
			ok(eth4(outer4(47, GRE(0x22eb, -1, -1, 1, cat(erspan3Hdr, Ether(0x0800, tcp4()))))), WantTCP4, 1),
			ok(eth4(outer4(47, GRE(0x22eb, -1, -1, 2, cat(erspan3HdrO, erspan3Sub, Ether(0x86dd, udp6()))))), WantUDP6, 1),
		}},
		{File: "wccp.pcap", Link: 1, Header: "the redirected IP packet", Frames: []Frame{
			ok(eth4(outer4(47, GRE(0x883e, -1, -1, -1, cat([]byte{0, 0, 0, 0x2a}, tcp4())))), WantTCP4, 1),
			ok(eth4(outer4(47, GRE(0x883e, -1, -1, -1, icmp4()))), WantICMP4, 1), // WCCPv1: no redirect header
		}},
		{File: "pim-register.pcap", Link: 1, Header: "the multicast data packet inside the Register", Frames: []Frame{
			ok(eth4(outer4(103, cat([]byte{0x21, 0, 0xde, 0xad, 0, 0, 0, 0}, tcp4()))), WantTCP4, 1),
			ok(eth6(outer6(103, cat([]byte{0x21, 0, 0xbe, 0xef, 0, 0, 0, 0}, udp6()))), WantUDP6, 1),
			bad(eth4(outer4(103, []byte{0x20, 0, 0, 0, 0, 1, 0, 2, 0, 105})), "transport protocol PACKTER does not draw"), // a hello
		}},
		{File: "nsh.pcap", Link: 1, Header: "the IP packet after the service header (and its Ethernet frame)", Frames: []Frame{
			ok(Ether(0x894f, cat(nshMD1, tcp4())), WantTCP4, 1),
			ok(Ether(0x894f, cat(nshMD2Ether, Ether(0x86dd, udp6()))), WantUDP6, 1),
			ok(eth4(outer4(47, GRE(0x894f, -1, -1, -1, cat(nshMD1, icmp4())))), WantICMP4, 2),
		}},
		{File: "macsec.pcap", Link: 1, Header: "the IP packet in the integrity-only MACsec frame", Frames: []Frame{
			ok(Ether(0x88e5, cat([]byte{0x20, 0, 0, 0, 0, 1}, []byte{2, 0, 0x5e, 0x10, 0, 0x19, 0, 1}, be16(nil, 0x0800), tcp4(), icv)), WantTCP4, 1),
			ok(Ether(0x88e5, cat([]byte{0x00, 0, 0, 0, 0, 2}, be16(nil, 0x86dd), udp6(), icv)), WantUDP6, 1),
			bad(Ether(0x88e5, cat([]byte{0x2c, 0, 0, 0, 0, 3}, zeros(8), zeros(48), icv)), "payload is encrypted (MACsec, protected 802.11)"),
		}},
		{File: "srv6.pcap", Link: 1, Header: "the packet SRv6 carries; with no inner packet, the IPv6 packet itself", Frames: []Frame{
			ok(eth6(outer6(43, srh(41, udp6()))), WantUDP6, 1),
			ok(eth6(outer6(43, srh(4, tcp4()))), WantTCP4, 1),
			ok(eth6(IPv6(43, in6Src, in6Dst, srh(6, TCP(443, 40000, 0x10)))), WantTCP6, 0),
		}},
		{File: "ip-in-ip.pcap", Link: 1, Header: "the inner IP packet", Frames: []Frame{
			ok(eth4(outer4(41, udp6())), WantUDP6, 1), // 6in4
			ok(eth6(outer6(4, tcp4())), WantTCP4, 1),  // 4in6
			ok(eth4(outer4(4, icmp4())), WantICMP4, 1),
			ok(eth6(outer6(41, tcp6())), WantTCP6, 1),
			ok(Ether(0x8847, MPLS(outer4(47, GRE(0x86dd, -1, 3, -1, udp6())), 10)), WantUDP6, 2),
		}},
		{File: "malformed-tunnels.pcap", Link: 1, Header: "nothing: each frame is counted by its cause", Frames: []Frame{
			bad(eth4(nestIPIP(12, tcp4())), "encapsulations nested too deeply"),
			bad(eth4(outer4(47, []byte{0, 0})), "packet truncated"),
			bad(eth4(outer4(47, []byte{0x00, 0x03, 0x08, 0x00, 0, 0, 0, 0})), "malformed header"), // GRE version 3
			bad(Ether(0x8847, MPLS(tcp4(), make([]uint32, 33)...)), "malformed header"),           // 33 labels
			bad(Ether(0x8847, MPLS(nil, 1, 2, 3)[:8]), "packet truncated"),                        // no bottom of stack

			bad(eth4(outer4(47, GRE(0x0800, -1, -1, -1, tcp4()[:30]))), "packet truncated"),
			bad(Ether(0x894f, cat([]byte{0x0f, 0xc1, 0x01, 0x01}, zeros(8))), "malformed header"), // NSH shorter than its own header
		}},
	}
}
