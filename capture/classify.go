package capture

import (
	"net/netip"
	"strconv"
)

// PACKTER's flags (Table 1 of the paper, as its agents send them).
const (
	FlagTCP     = 0 // IPv4 TCP, ACK or other
	FlagSYN     = 1 // IPv4 TCP SYN (SYN wins over FIN/RST)
	FlagFINRST  = 2 // IPv4 TCP FIN or RST
	FlagUDP     = 3
	FlagICMP    = 4
	FlagTCP6    = 5
	FlagSYN6    = 6
	FlagFINRST6 = 7
	FlagUDP6    = 8
	FlagICMP6   = 9
)

// TCP header flag bits.
const (
	TCPFin = 0x01
	TCPSyn = 0x02
	TCPRst = 0x04
	TCPPsh = 0x08
	TCPAck = 0x10
)

// FlagFor is PACKTER's flag (0..9, before any -f base) for a packet of the
// given family, transport protocol and TCP flags; -1 when PACKTER does not draw
// that protocol (ICMP counts only in its own family: 1 in IPv4, 58 in IPv6).
func FlagFor(v6 bool, proto uint8, tcpFlags uint8) int {
	base := 0
	if v6 {
		base = 5
	}
	switch proto {
	case ProtoTCP:
		switch {
		case tcpFlags&TCPSyn != 0:
			return base + FlagSYN
		case tcpFlags&(TCPFin|TCPRst) != 0:
			return base + FlagFINRST
		}
		return base + FlagTCP
	case ProtoUDP:
		return base + FlagUDP
	case ProtoICMP:
		if !v6 {
			return FlagICMP
		}
	case ProtoICMPv6:
		if v6 {
			return FlagICMP6
		}
	}
	return -1
}

// Flag is FlagFor applied to a decoded packet.
func (p *Packet) Flag() int { return FlagFor(p.V6, p.Proto, p.TCPFlags) }

// Ports are the record's SPORT and DPORT: TCP/UDP ports, or for ICMP
// type*256 and code*256 as PACKTER's agents send them.
func (p *Packet) Ports() (uint32, uint32) {
	if p.Proto == ProtoTCP || p.Proto == ProtoUDP {
		return uint32(p.SPort), uint32(p.DPort)
	}
	return uint32(p.ICMPType) * 256, uint32(p.ICMPCode) * 256
}

// AppendDesc appends PACKTER's default description of the packet:
// `TCP src:A(p) dst:B(q)`, `UDP src:A(p) dst:B(q)` or
// `ICMPv4 src:A dst:B (type:t code:c)` (ICMPv6 likewise).
func (p *Packet) AppendDesc(b []byte) []byte {
	switch p.Proto {
	case ProtoTCP, ProtoUDP:
		if p.Proto == ProtoTCP {
			b = append(b, "TCP src:"...)
		} else {
			b = append(b, "UDP src:"...)
		}
		b = AppendIP(b, p.Src)
		b = append(b, '(')
		b = strconv.AppendUint(b, uint64(p.SPort), 10)
		b = append(b, ") dst:"...)
		b = AppendIP(b, p.Dst)
		b = append(b, '(')
		b = strconv.AppendUint(b, uint64(p.DPort), 10)
		return append(b, ')')
	}
	if p.V6 {
		b = append(b, "ICMPv6 src:"...)
	} else {
		b = append(b, "ICMPv4 src:"...)
	}
	b = AppendIP(b, p.Src)
	b = append(b, " dst:"...)
	b = AppendIP(b, p.Dst)
	b = append(b, " (type:"...)
	b = strconv.AppendUint(b, uint64(p.ICMPType), 10)
	b = append(b, " code:"...)
	b = strconv.AppendUint(b, uint64(p.ICMPCode), 10)
	return append(b, ')')
}

// AppendIP appends an address as the C agents' inet_ntop writes it. It differs
// from netip only for IPv4-compatible IPv6 addresses (::a.b.c.d), which glibc
// still prints in dotted form.
func AppendIP(b []byte, a netip.Addr) []byte {
	if a.Is6() && !a.Is4In6() {
		x := a.As16()
		compat := true
		for _, c := range x[:12] {
			if c != 0 {
				compat = false
				break
			}
		}
		if compat && (x[12] != 0 || x[13] != 0) {
			b = append(b, "::"...)
			return netip.AddrFrom4([4]byte(x[12:])).AppendTo(b)
		}
	}
	return a.AppendTo(b)
}

// AppendTCPFlags appends TCP flags as tcpdump prints them, in brackets and
// its order: F S R P . U E W ("[S]", "[S.]", "[R.]", "[F.]", "[.]"), "[none]"
// when no flag is set.
func AppendTCPFlags(b []byte, flags uint8) []byte {
	b = append(b, '[')
	n := len(b)
	for _, f := range [...]struct {
		bit uint8
		c   byte
	}{{0x01, 'F'}, {0x02, 'S'}, {0x04, 'R'}, {0x08, 'P'}, {0x10, '.'}, {0x20, 'U'}, {0x40, 'E'}, {0x80, 'W'}} {
		if flags&f.bit != 0 {
			b = append(b, f.c)
		}
	}
	if len(b) == n {
		b = append(b, "none"...)
	}
	return append(b, ']')
}
