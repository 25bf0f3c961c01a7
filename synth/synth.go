// Package synth makes synthetic PACKTER records: a plausible mix of web, DNS,
// ping, scans and IPv6, for trying Packter out and for load tests.
package synth

import (
	"math/rand/v2"
	"net/netip"

	"github.com/packter/packter/protocol"
)

// Mix sets the shares of each kind of traffic, in percent of records.
type Mix struct {
	UDP, ICMP, SYN, FIN, IPv6 int
}

// DefaultMix looks like an ordinary office link.
var DefaultMix = Mix{UDP: 20, ICMP: 5, SYN: 10, FIN: 8, IPv6: 15}

// Generator makes records. Not safe for concurrent use.
type Generator struct {
	rng   *rand.Rand
	mix   Mix
	trace string
	desc  []byte
}

// New makes a generator with a fixed seed, so runs are reproducible. trace,
// when set, puts PACKTER's `HASH-SERVER` traceback description on records.
func New(seed uint64, mix Mix, trace string) *Generator {
	return &Generator{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), mix: mix, trace: trace}
}

var servers4 = []netip.Addr{
	netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("198.51.100.20"), netip.MustParseAddr("203.0.113.30"),
}
var servers6 = []netip.Addr{netip.MustParseAddr("2001:db8::10"), netip.MustParseAddr("2001:db8:1::53")}
var webPorts = []uint32{80, 443, 443, 443, 8080, 22, 25}

// Next fills r with the next record. r.Desc points into the generator's buffer
// until the next call.
func (g *Generator) Next(r *protocol.Record) {
	*r = protocol.Record{}
	v6 := g.rng.IntN(100) < g.mix.IPv6
	if v6 {
		a := [16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0x42}
		a[14], a[15] = byte(g.rng.IntN(256)), byte(g.rng.IntN(256))
		r.Src = protocol.AddrFrom(netip.AddrFrom16(a))
		r.Dst = protocol.AddrFrom(servers6[g.rng.IntN(len(servers6))])
	} else {
		r.Src = protocol.AddrFrom(netip.AddrFrom4([4]byte{10, byte(g.rng.IntN(4)), byte(g.rng.IntN(256)), byte(1 + g.rng.IntN(254))}))
		r.Dst = protocol.AddrFrom(servers4[g.rng.IntN(len(servers4))])
	}
	base := 0
	if v6 {
		base = 5
	}
	n := g.rng.IntN(100)
	switch {
	case n < g.mix.UDP:
		r.Flag = base + protocol.ClassUDP
		r.SPort, r.DPort = protocol.PortFrom(uint32(1024+g.rng.IntN(64000))), protocol.PortFrom(53)
	case n < g.mix.UDP+g.mix.ICMP:
		r.Flag = base + protocol.ClassICMP
		typ := uint8(8)
		if g.rng.IntN(2) == 0 {
			typ = 0
		}
		if v6 {
			typ = 128 + typ/8
		}
		r.SPort, r.DPort = protocol.ICMPPorts(typ, 0)
	default:
		r.Flag = base + protocol.ClassTCPAck
		switch m := n - g.mix.UDP - g.mix.ICMP; {
		case m < g.mix.SYN:
			r.Flag = base + protocol.ClassTCPSyn
		case m < g.mix.SYN+g.mix.FIN:
			r.Flag = base + protocol.ClassTCPFin
		}
		r.SPort = protocol.PortFrom(uint32(32768 + g.rng.IntN(28000)))
		r.DPort = protocol.PortFrom(webPorts[g.rng.IntN(len(webPorts))])
	}
	if g.trace != "" {
		g.desc = g.desc[:0]
		for i := 0; i < 2; i++ {
			v := g.rng.Uint64()
			for j := 0; j < 16; j++ {
				g.desc = append(g.desc, "0123456789abcdef"[v&15])
				v >>= 4
			}
		}
		g.desc = append(g.desc, '-')
		g.desc = append(g.desc, g.trace...)
	} else {
		g.desc = protocol.AppendDesc(g.desc[:0], r)
	}
	r.Desc = g.desc
}

// Garbage fills b with a datagram that must be refused: random bytes, a known
// header with broken records, or a truncated record.
func (g *Generator) Garbage(b []byte) []byte {
	switch g.rng.IntN(4) {
	case 0:
		n := 1 + g.rng.IntN(200)
		for i := 0; i < n; i++ {
			b = append(b, byte(g.rng.IntN(256)))
		}
		return b
	case 1:
		return append(b, "PACKTER\n300.1.2.3,10.0.0.1,1,2,3,bad address\n"...)
	case 2:
		return append(b, "PACKTER\n10.0.0.1,10.0.0.2,99999\n"...)
	default:
		return append(b, "PACKTERSOUND\nlater,x.wav\n"...)
	}
}
