// Command gen writes Packter's bundled sample capture: three minutes of varied,
// realistic traffic on a small office network (web, DNS, ping, a SYN scan, a SYN
// flood, IPv6 with extension headers and fragments, VLAN-tagged hosts, ARP),
// generated from a fixed seed so that the file is reproducible byte for byte.
//
//	go run ./samples/gen -o samples/sample.pcapng
//
// The packets are built with gopacket's layers and written with pcapgo's pcapng
// writer, truncated to a snap length of 128 as PACKTER captures.
package main

import (
	"cmp"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

const snapLen = 128

// start is the capture's first timestamp: fixed, so the file is reproducible.
var start = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

type pkt struct {
	t    time.Duration
	seq  int // tie-breaker keeping generation order for equal times
	data []byte
	orig int
}

type host struct {
	ip   netip.Addr
	mac  net.HardwareAddr
	vlan uint16 // 0: untagged; otherwise 802.1Q tag on the wire
	qinq uint16 // outer S-tag (QinQ) when non-zero
}

type gen struct {
	rng     *rand.Rand
	pkts    []pkt
	gateway net.HardwareAddr
	seq     int
	ipid    uint16
}

func main() {
	out := flag.String("o", "samples/sample.pcapng", "output file")
	seed := flag.Uint64("seed", 2026, "random seed")
	dur := flag.Duration("duration", 3*time.Minute, "length of the capture")
	floodPPS := flag.Int("flood-pps", 1500, "SYN flood rate, packets per second")
	floodDur := flag.Duration("flood", 8*time.Second, "SYN flood length")
	flag.Parse()

	g := &gen{rng: rand.New(rand.NewPCG(*seed, 0x5ac4e7)), gateway: mac(0xfe)}
	g.build(*dur, *floodPPS, *floodDur)
	if err := g.write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func mac(last byte) net.HardwareAddr { return net.HardwareAddr{0x02, 0x00, 0x5e, 0x10, 0x00, last} }

func v4(s string, last byte, vlan, qinq uint16) host {
	return host{ip: netip.MustParseAddr(s), mac: mac(last), vlan: vlan, qinq: qinq}
}

// It is over 80 lines because it is the sample's script, the office's three
// minutes in order (web, DNS, ping, the scan, the flood, IPv6), meant to be
// read top to bottom.
func (g *gen) build(dur time.Duration, floodPPS int, floodDur time.Duration) {
	clients := []host{
		v4("192.168.1.10", 10, 0, 0), v4("192.168.1.11", 11, 0, 0), v4("192.168.1.12", 12, 0, 0),
		v4("192.168.1.13", 13, 0, 0), v4("192.168.10.21", 21, 10, 0), v4("192.168.10.22", 22, 10, 0),
		v4("192.168.20.5", 25, 20, 300),
	}
	servers := []netip.Addr{
		netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("203.0.113.80"),
		netip.MustParseAddr("198.51.100.25"), netip.MustParseAddr("151.101.1.69"),
	}
	dns := netip.MustParseAddr("192.168.1.1")
	names := []string{"example.com", "www.example.org", "news.example.net", "cdn.example.com", "mail.example.org"}
	remote := host{mac: g.gateway}

	// Web browsing: each client opens sessions at random (Poisson) times.
	for _, c := range clients {
		for t := g.exp(4 * time.Second); t < dur-5*time.Second; t += g.exp(8 * time.Second) {
			srv := servers[g.rng.IntN(len(servers))]
			r := remote
			r.ip = srv
			port := uint16(80)
			if g.rng.IntN(3) > 0 {
				port = 443
			}
			g.dnsLookup(t-30*time.Millisecond, c, dns, names[g.rng.IntN(len(names))])
			g.tcpSession(t, c, r, port, 2+g.rng.IntN(14), g.rng.IntN(5) == 0)
		}
	}

	// Ping: one host pings the gateway once a second for a minute.
	gw := host{ip: netip.MustParseAddr("192.168.1.1"), mac: g.gateway}
	for i := 0; i < 60; i++ {
		t := 20*time.Second + time.Duration(i)*time.Second + g.jitter(2*time.Millisecond)
		g.ping4(t, clients[0], gw, uint16(i+1))
	}
	// And one to a remote server with a longer round trip.
	far := remote
	far.ip = servers[0]
	for i := 0; i < 10; i++ {
		g.ping4(100*time.Second+time.Duration(i)*time.Second, clients[2], far, uint16(i+1))
	}

	// SYN scan: an outside host probes ports 1..1024 of one internal server.
	scanner := remote
	scanner.ip = netip.MustParseAddr("198.51.100.66")
	target := v4("192.168.1.20", 20, 0, 0)
	for p := 1; p <= 1024; p++ {
		t := 60*time.Second + time.Duration(p)*4*time.Millisecond + g.jitter(time.Millisecond)
		sport := uint16(40000 + p%7)
		g.tcp(t, scanner, target, sport, uint16(p), tcpFlags{syn: true}, 1000, 0, nil, 1024)
		rtt := 300*time.Microsecond + g.jitter(100*time.Microsecond)
		if p == 22 || p == 80 || p == 443 {
			g.tcp(t+rtt, target, scanner, uint16(p), sport, tcpFlags{syn: true, ack: true}, 5000, 1001, nil, 64240)
			g.tcp(t+2*rtt, scanner, target, sport, uint16(p), tcpFlags{rst: true}, 1001, 0, nil, 0)
		} else {
			g.tcp(t+rtt, target, scanner, uint16(p), sport, tcpFlags{rst: true, ack: true}, 0, 1001, nil, 0)
		}
	}

	// SYN flood: spoofed random sources toward the web server's port 80.
	fstart := 120 * time.Second
	n := int(floodDur.Seconds() * float64(floodPPS))
	for i := 0; i < n; i++ {
		t := fstart + time.Duration(float64(i)/float64(floodPPS)*float64(time.Second)) + g.jitter(100*time.Microsecond)
		src := remote
		src.ip = netip.AddrFrom4([4]byte{byte(1 + g.rng.IntN(222)), byte(g.rng.IntN(256)), byte(g.rng.IntN(256)), byte(1 + g.rng.IntN(254))})
		g.tcp(t, src, target, uint16(1024+g.rng.IntN(64000)), 80, tcpFlags{syn: true}, g.rng.Uint32(), 0, nil, 512)
		if i%8 == 0 { // the victim answers some before its backlog fills
			g.tcp(t+200*time.Microsecond, target, src, 80, 1024, tcpFlags{syn: true, ack: true}, g.rng.Uint32(), 1, nil, 64240)
		}
	}

	// IPv6: a dual-stack client browsing, resolving over v6, pinging, MLD with a
	// hop-by-hop header, and a fragmented UDP datagram.
	c6 := host{ip: netip.MustParseAddr("2001:db8:1::10"), mac: mac(0x60)}
	s6 := host{ip: netip.MustParseAddr("2001:db8:ff::80"), mac: g.gateway}
	dns6 := host{ip: netip.MustParseAddr("2001:db8:1::1"), mac: g.gateway}
	for t := 3 * time.Second; t < dur-5*time.Second; t += g.exp(12 * time.Second) {
		g.udp(t, c6, dns6, uint16(30000+g.rng.IntN(30000)), 53, dnsQuery(g.rng.Uint32(), "ipv6.example.com", true))
		g.tcpSession(t+20*time.Millisecond, c6, s6, 443, 3+g.rng.IntN(8), false)
	}
	for i := 0; i < 20; i++ {
		g.ping6(30*time.Second+time.Duration(i)*2*time.Second, c6, dns6, uint16(i+1))
	}
	for i := 0; i < 6; i++ {
		g.mld(time.Duration(10+i*25)*time.Second, c6)
	}
	g.frag6(95*time.Second, c6, s6)
	g.frag4(97*time.Second, clients[1], remote, servers[2])

	// ARP: not IP, the agent must skip it quietly.
	for t := time.Second; t < dur; t += 15 * time.Second {
		g.arp(t, clients[g.rng.IntN(4)], gw)
	}

	slices.SortStableFunc(g.pkts, func(a, b pkt) int {
		if c := cmp.Compare(a.t, b.t); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
}

func (g *gen) exp(mean time.Duration) time.Duration {
	return time.Duration(g.rng.ExpFloat64() * float64(mean))
}

func (g *gen) jitter(max time.Duration) time.Duration {
	return time.Duration(g.rng.Int64N(int64(max) + 1))
}

type tcpFlags struct{ syn, ack, fin, rst, psh bool }

// tcpSession is a whole connection: handshake, a request, a response of n
// segments with ACKs, then a FIN close (or an RST when reset is true).
func (g *gen) tcpSession(t time.Duration, c, s host, port uint16, n int, reset bool) {
	rtt := 15*time.Millisecond + g.jitter(60*time.Millisecond)
	sport := uint16(32768 + g.rng.IntN(28000))
	cseq, sseq := g.rng.Uint32(), g.rng.Uint32()
	g.tcp(t, c, s, sport, port, tcpFlags{syn: true}, cseq, 0, nil, 64240)
	t += rtt
	g.tcp(t, s, c, port, sport, tcpFlags{syn: true, ack: true}, sseq, cseq+1, nil, 65535)
	t += 200 * time.Microsecond
	cseq++
	sseq++
	g.tcp(t, c, s, sport, port, tcpFlags{ack: true}, cseq, sseq, nil, 502)
	req := make([]byte, 300+g.rng.IntN(400))
	copy(req, "GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n")
	g.tcp(t+100*time.Microsecond, c, s, sport, port, tcpFlags{ack: true, psh: true}, cseq, sseq, req, 502)
	cseq += uint32(len(req))
	t += rtt
	for i := 0; i < n; i++ {
		seg := make([]byte, 1448)
		if i == 0 {
			copy(seg, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n")
		}
		g.tcp(t, s, c, port, sport, tcpFlags{ack: true, psh: i == n-1}, sseq, cseq, seg, 65535)
		sseq += uint32(len(seg))
		if i%2 == 1 || i == n-1 {
			g.tcp(t+300*time.Microsecond, c, s, sport, port, tcpFlags{ack: true}, cseq, sseq, nil, 2048)
		}
		t += 120*time.Microsecond + g.jitter(2*time.Millisecond)
	}
	t += 50*time.Millisecond + g.exp(500*time.Millisecond)
	if reset {
		g.tcp(t, c, s, sport, port, tcpFlags{rst: true, ack: true}, cseq, sseq, nil, 0)
		return
	}
	g.tcp(t, c, s, sport, port, tcpFlags{fin: true, ack: true}, cseq, sseq, nil, 2048)
	t += rtt
	g.tcp(t, s, c, port, sport, tcpFlags{fin: true, ack: true}, sseq, cseq+1, nil, 65535)
	g.tcp(t+200*time.Microsecond, c, s, sport, port, tcpFlags{ack: true}, cseq+1, sseq+1, nil, 2048)
}

func (g *gen) dnsLookup(t time.Duration, c host, server netip.Addr, name string) {
	s := host{ip: server, mac: g.gateway}
	id := uint16(g.rng.Uint32())
	sport := uint16(30000 + g.rng.IntN(30000))
	g.udp(t, c, s, sport, 53, dnsQuery(uint32(id), name, false))
	g.udp(t+2*time.Millisecond+g.jitter(20*time.Millisecond), s, c, 53, sport, dnsAnswer(uint32(id), name))
}

func dnsQuery(id uint32, name string, aaaa bool) []byte {
	q := layers.DNSTypeA
	if aaaa {
		q = layers.DNSTypeAAAA
	}
	d := &layers.DNS{ID: uint16(id), RD: true, QDCount: 1,
		Questions: []layers.DNSQuestion{{Name: []byte(name), Type: q, Class: layers.DNSClassIN}}}
	return serializeApp(d)
}

func dnsAnswer(id uint32, name string) []byte {
	d := &layers.DNS{ID: uint16(id), QR: true, RD: true, RA: true, QDCount: 1, ANCount: 1,
		Questions: []layers.DNSQuestion{{Name: []byte(name), Type: layers.DNSTypeA, Class: layers.DNSClassIN}},
		Answers: []layers.DNSResourceRecord{{Name: []byte(name), Type: layers.DNSTypeA, Class: layers.DNSClassIN,
			TTL: 300, IP: net.IP{93, 184, 216, 34}}}}
	return serializeApp(d)
}

func serializeApp(l gopacket.SerializableLayer) []byte {
	buf := gopacket.NewSerializeBuffer()
	if err := l.SerializeTo(buf, gopacket.SerializeOptions{FixLengths: true}); err != nil {
		panic(err) // our own constant input: a bug in this program
	}
	return buf.Bytes()
}

// link returns the Ethernet (and VLAN) layers from a to b.
func (g *gen) link(a, b host, et layers.EthernetType) []gopacket.SerializableLayer {
	eth := &layers.Ethernet{SrcMAC: a.mac, DstMAC: b.mac, EthernetType: et}
	tagged := a
	if tagged.vlan == 0 {
		tagged = b
	}
	if tagged.vlan == 0 {
		return []gopacket.SerializableLayer{eth}
	}
	if tagged.qinq != 0 {
		eth.EthernetType = layers.EthernetTypeQinQ
		return []gopacket.SerializableLayer{eth,
			&layers.Dot1Q{VLANIdentifier: tagged.qinq, Type: layers.EthernetTypeDot1Q},
			&layers.Dot1Q{VLANIdentifier: tagged.vlan, Type: et}}
	}
	eth.EthernetType = layers.EthernetTypeDot1Q
	return []gopacket.SerializableLayer{eth, &layers.Dot1Q{VLANIdentifier: tagged.vlan, Priority: 0, Type: et}}
}

func (g *gen) ip(a, b host, proto layers.IPProtocol) gopacket.NetworkLayer {
	if a.ip.Is4() {
		g.ipid++
		ttl := uint8(64)
		if a.mac.String() == g.gateway.String() {
			ttl = uint8(44 + g.rng.IntN(12))
		}
		return &layers.IPv4{Version: 4, IHL: 5, TTL: ttl, Id: g.ipid, Flags: layers.IPv4DontFragment,
			Protocol: proto, SrcIP: a.ip.AsSlice(), DstIP: b.ip.AsSlice()}
	}
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto, SrcIP: a.ip.AsSlice(), DstIP: b.ip.AsSlice()}
}

func ethType(a netip.Addr) layers.EthernetType {
	if a.Is4() {
		return layers.EthernetTypeIPv4
	}
	return layers.EthernetTypeIPv6
}

func (g *gen) tcp(t time.Duration, a, b host, sport, dport uint16, f tcpFlags, seq, ack uint32, payload []byte, win uint16) {
	ip := g.ip(a, b, layers.IPProtocolTCP)
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: seq, Ack: ack,
		SYN: f.syn, ACK: f.ack, FIN: f.fin, RST: f.rst, PSH: f.psh, Window: win}
	if f.syn && win > 1024 { // real stacks send options on SYN; flood tools don't
		tcp.Options = []layers.TCPOption{
			{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}},
			{OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2},
			{OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{7}},
		}
	}
	_ = tcp.SetNetworkLayerForChecksum(ip)
	ls := append(g.link(a, b, ethType(a.ip)), ip.(gopacket.SerializableLayer), tcp, gopacket.Payload(payload))
	g.emit(t, ls...)
}

func (g *gen) udp(t time.Duration, a, b host, sport, dport uint16, payload []byte) {
	ip := g.ip(a, b, layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	_ = u.SetNetworkLayerForChecksum(ip)
	g.emit(t, append(g.link(a, b, ethType(a.ip)), ip.(gopacket.SerializableLayer), u, gopacket.Payload(payload))...)
}

func (g *gen) ping4(t time.Duration, a, b host, seq uint16) {
	payload := make([]byte, 56)
	for i := range payload {
		payload[i] = byte(i + 0x10)
	}
	for i, typ := range []uint8{layers.ICMPv4TypeEchoRequest, layers.ICMPv4TypeEchoReply} {
		from, to := a, b
		if i == 1 {
			from, to = b, a
			t += 400*time.Microsecond + g.jitter(30*time.Millisecond)
		}
		ip := g.ip(from, to, layers.IPProtocolICMPv4)
		ic := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, 0), Id: 0x4242, Seq: seq}
		g.emit(t, append(g.link(from, to, layers.EthernetTypeIPv4), ip.(gopacket.SerializableLayer), ic, gopacket.Payload(payload))...)
	}
}

func (g *gen) ping6(t time.Duration, a, b host, seq uint16) {
	for i, typ := range []uint8{layers.ICMPv6TypeEchoRequest, layers.ICMPv6TypeEchoReply} {
		from, to := a, b
		if i == 1 {
			from, to = b, a
			t += 500*time.Microsecond + g.jitter(5*time.Millisecond)
		}
		ip := g.ip(from, to, layers.IPProtocolICMPv6)
		ic := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(typ, 0)}
		_ = ic.SetNetworkLayerForChecksum(ip)
		echo := &layers.ICMPv6Echo{Identifier: 0x6666, SeqNumber: seq}
		g.emit(t, append(g.link(from, to, layers.EthernetTypeIPv6), ip.(gopacket.SerializableLayer), ic, echo, gopacket.Payload(make([]byte, 32)))...)
	}
}

// mld is an MLDv2 report: ICMPv6 behind a hop-by-hop options header (router alert).
func (g *gen) mld(t time.Duration, a host) {
	all := host{ip: netip.MustParseAddr("ff02::16"), mac: net.HardwareAddr{0x33, 0x33, 0, 0, 0, 0x16}}
	ip := &layers.IPv6{Version: 6, HopLimit: 1, NextHeader: layers.IPProtocolIPv6HopByHop, SrcIP: a.ip.AsSlice(), DstIP: all.ip.AsSlice()}
	hbh := &layers.IPv6HopByHop{}
	hbh.NextHeader = layers.IPProtocolICMPv6
	hbh.Options = []*layers.IPv6HopByHopOption{{OptionType: 5, OptionLength: 2, OptionData: []byte{0, 0}}, {OptionType: 1, OptionLength: 0}}
	ip.HopByHop = hbh
	ic := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(143, 0)}
	_ = ic.SetNetworkLayerForChecksum(ip)
	rec := []byte{0, 0, 0, 1, 4, 0, 0, 0, 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, 0, 0, 0x10}
	g.emit(t, g.link(a, all, layers.EthernetTypeIPv6)[0], ip, ic, gopacket.Payload(rec))
}

// frag6 is a UDP datagram split in two IPv6 fragments: the second carries no ports.
func (g *gen) frag6(t time.Duration, a, b host) {
	payload := make([]byte, 1800)
	u := &layers.UDP{SrcPort: 5353, DstPort: 4500}
	ip := g.ip(a, b, layers.IPProtocolUDP)
	_ = u.SetNetworkLayerForChecksum(ip)
	whole := serializeLayers(u, gopacket.Payload(payload))
	id := g.rng.Uint32()
	for i, part := range [][]byte{whole[:1232], whole[1232:]} {
		ip6 := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolIPv6Fragment, SrcIP: a.ip.AsSlice(), DstIP: b.ip.AsSlice()}
		off := uint16(0)
		if i == 1 {
			off = 1232 / 8
		}
		fr := &layers.IPv6Fragment{NextHeader: layers.IPProtocolUDP, FragmentOffset: off, MoreFragments: i == 0, Identification: id}
		g.emit(t+time.Duration(i)*50*time.Microsecond, g.link(a, b, layers.EthernetTypeIPv6)[0], ip6, fr, gopacket.Payload(part))
	}
}

// frag4 is a UDP datagram split in two IPv4 fragments.
func (g *gen) frag4(t time.Duration, a, b host, dst netip.Addr) {
	b.ip = dst
	u := &layers.UDP{SrcPort: 51000, DstPort: 4789}
	ip := g.ip(a, b, layers.IPProtocolUDP)
	_ = u.SetNetworkLayerForChecksum(ip)
	whole := serializeLayers(u, gopacket.Payload(make([]byte, 2000)))
	g.ipid++
	for i, part := range [][]byte{whole[:1480], whole[1480:]} {
		ip4 := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: g.ipid, Protocol: layers.IPProtocolUDP,
			SrcIP: a.ip.AsSlice(), DstIP: dst.AsSlice()}
		if i == 0 {
			ip4.Flags = layers.IPv4MoreFragments
		} else {
			ip4.FragOffset = 1480 / 8
		}
		g.emit(t+time.Duration(i)*40*time.Microsecond, append(g.link(a, b, layers.EthernetTypeIPv4), ip4, gopacket.Payload(part))...)
	}
}

func (g *gen) arp(t time.Duration, a, gw host) {
	eth := &layers.Ethernet{SrcMAC: a.mac, DstMAC: layers.EthernetBroadcast, EthernetType: layers.EthernetTypeARP}
	arp := &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: layers.ARPRequest, SourceHwAddress: a.mac, SourceProtAddress: a.ip.AsSlice(),
		DstHwAddress: make([]byte, 6), DstProtAddress: gw.ip.AsSlice()}
	g.emit(t, eth, arp)
	reply := &layers.Ethernet{SrcMAC: gw.mac, DstMAC: a.mac, EthernetType: layers.EthernetTypeARP}
	arp2 := *arp
	arp2.Operation = layers.ARPReply
	arp2.SourceHwAddress, arp2.SourceProtAddress = gw.mac, gw.ip.AsSlice()
	arp2.DstHwAddress, arp2.DstProtAddress = a.mac, a.ip.AsSlice()
	g.emit(t+300*time.Microsecond, reply, &arp2)
}

func serializeLayers(ls ...gopacket.SerializableLayer) []byte {
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		panic(err) // our own constant input: a bug in this program
	}
	return buf.Bytes()
}

func (g *gen) emit(t time.Duration, ls ...gopacket.SerializableLayer) {
	b := slices.Clone(serializeLayers(ls...))
	n := len(b)
	if len(b) > snapLen {
		b = b[:snapLen]
	}
	g.seq++
	g.pkts = append(g.pkts, pkt{t: t, seq: g.seq, data: b, orig: n})
}

func (g *gen) write(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	intf := pcapgo.NgInterface{Name: "eth0", Description: "Packter sample office network",
		LinkType: layers.LinkTypeEthernet, SnapLength: snapLen, TimestampResolution: 9}
	w, err := pcapgo.NewNgWriterInterface(f, intf, pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{
		Application: "packter samples/gen", Comment: "synthetic, reproducible: go run ./samples/gen"}})
	if err != nil {
		return fmt.Errorf("pcapng header: %w", err)
	}
	for _, p := range g.pkts {
		ci := gopacket.CaptureInfo{Timestamp: start.Add(p.t), CaptureLength: len(p.data), Length: p.orig}
		if err := w.WritePacket(ci, p.data); err != nil {
			return fmt.Errorf("write packet: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}
