package capture

import (
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/packter/packter/capture/internal/gen"
)

// inner is what a decoder says about the innermost packet.
type inner struct {
	src, dst netip.Addr
	proto    uint8
	a, b     uint16 // ports, or ICMP type and code
	flags    uint8
}

// gopacketInner decodes with gopacket's own decoders and returns the packet
// our decoder must describe: the IP layer just before the first TCP, UDP or
// ICMP layer (we never descend into UDP, so gopacket's VXLAN or GTP decoding
// beyond it does not count), with only IPv6 extension headers between.
func gopacketInner(link uint32, data []byte) (inner, bool) {
	if link == LinkIEEE80211 {
		// gopacket assumes bare 802.11 frames end in an FCS; the files we
		// read say so in a radiotap header, so give it one saying "no FCS".
		data = append([]byte{0, 0, 8, 0, 0, 0, 0, 0}, data...)
		link = LinkRadiotap
	}
	pk := gopacket.NewPacket(data, layers.LinkType(link), gopacket.DecodeOptions{NoCopy: true})
	ls := pk.Layers()
	for i, l := range ls {
		var in inner
		switch t := l.(type) {
		case *layers.TCP:
			in.proto, in.a, in.b = ProtoTCP, uint16(t.SrcPort), uint16(t.DstPort)
			for bit, set := range []bool{t.FIN, t.SYN, t.RST, t.PSH, t.ACK, t.URG, t.ECE, t.CWR} {
				if set {
					in.flags |= 1 << bit
				}
			}
		case *layers.UDP:
			in.proto, in.a, in.b = ProtoUDP, uint16(t.SrcPort), uint16(t.DstPort)
		case *layers.ICMPv4:
			in.proto, in.a, in.b = ProtoICMP, uint16(t.TypeCode.Type()), uint16(t.TypeCode.Code())
		case *layers.ICMPv6:
			in.proto, in.a, in.b = ProtoICMPv6, uint16(t.TypeCode.Type()), uint16(t.TypeCode.Code())
		default:
			continue
		}
		if len(l.LayerContents()) == 0 {
			// gopacket adds a layer before knowing it decoded: an empty one
			// failed (a TCP header cut short shows as ports 0).
			return inner{}, false
		}
		for j := i - 1; j >= 0; j-- {
			switch ip := ls[j].(type) {
			case *layers.IPv4:
				in.src, _ = netip.AddrFromSlice(ip.SrcIP.To4())
				in.dst, _ = netip.AddrFromSlice(ip.DstIP.To4())
				return in, true
			case *layers.IPv6:
				in.src, _ = netip.AddrFromSlice(ip.SrcIP.To16())
				in.dst, _ = netip.AddrFromSlice(ip.DstIP.To16())
				return in, true
			case *layers.IPv6HopByHop, *layers.IPv6Routing, *layers.IPv6Destination:
				continue
			}
			return inner{}, false
		}
		return inner{}, false
	}
	return inner{}, false
}

func ourInner(link uint32, data []byte) (inner, bool) {
	var p Packet
	if Decode(link, data, &p) != nil || p.Fragment {
		return inner{}, false
	}
	in := inner{src: p.Src, dst: p.Dst, proto: p.Proto, a: p.SPort, b: p.DPort}
	if p.Proto == ProtoTCP {
		in.flags = p.TCPFlags
	}
	if p.Proto == ProtoICMP || p.Proto == ProtoICMPv6 {
		in.a, in.b = uint16(p.ICMPType), uint16(p.ICMPCode)
	}
	return in, true
}

// diffLinks are the link types gopacket decodes.
var diffLinks = map[uint32]bool{
	LinkNull: true, LinkEthernet: true, LinkPPP: true, LinkRaw: true, LinkIEEE80211: true,
	LinkLoop: true, LinkSLL: true, LinkPrism: true, LinkRadiotap: true, LinkSLL2: true,
}

// gopacketDecodes are the test captures whose every frame gopacket also
// decodes to its innermost packet; for the others (ARCNET, PKTAP, Juniper,
// NFLOG, ERSPAN III, NSH, MACsec, PIM, WCCP, …) gopacket stops earlier.
var gopacketDecodes = map[string]bool{
	"ppp.pcap": true, "ppp.pcapng": true, "mpls-ether.pcap": false, "mpls-ppp.pcap": true,
	"gre.pcap": true, "gre-teb.pcap": true, "erspan2.pcap": true, "srv6.pcap": true,
	"ip-in-ip.pcap": true, "ieee80211.pcap": true, "radiotap.pcap": true,
}

// gopacketMisses are frames of those captures gopacket does not decode:
// gopacket reads no A-MSDU.
var gopacketMisses = map[string]int{"ieee80211.pcap": 3}

// TestDifferentialGenerated compares our decoder with gopacket's on every
// frame of the test captures: where both find a packet they must agree, and
// on the captures gopacket fully supports, it must find every one.
func TestDifferentialGenerated(t *testing.T) {
	for _, c := range gen.Cases() {
		if !diffLinks[c.Link] {
			continue
		}
		agreed := 0
		for i, f := range c.Frames {
			g, gok := gopacketInner(c.Link, f.Data)
			o, ook := ourInner(c.Link, f.Data)
			if gok && ook && g != o {
				t.Errorf("%s frame %d: we %+v, gopacket %+v", c.File, i+1, o, g)
			}
			if gok && ook {
				agreed++
			}
			if gopacketDecodes[c.File] && f.Want != "" && !gok && gopacketMisses[c.File] != i+1 {
				t.Errorf("%s frame %d: gopacket finds no packet (the differential would check nothing)", c.File, i+1)
			}
		}
		t.Logf("%s: %d of %d frames agree with gopacket", c.File, agreed, len(c.Frames))
	}
}

// FuzzDifferential feeds the same bytes to both decoders, for every link type
// both support: when both find a packet, addresses, protocol, ports (or ICMP
// type and code) and TCP flags must be the same.
func FuzzDifferential(f *testing.F) {
	for _, c := range gen.Cases() {
		if diffLinks[c.Link] {
			for _, fr := range c.Frames {
				f.Add(c.Link, fr.Data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, link uint32, data []byte) {
		if !diffLinks[link] {
			return
		}
		g, gok := gopacketInner(link, data)
		o, ook := ourInner(link, data)
		if gok && ook && g != o {
			t.Fatalf("link %d: we %+v, gopacket %+v", link, o, g)
		}
	})
}
