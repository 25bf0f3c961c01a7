package capture

import (
	"net/netip"

	"github.com/packter/packter/protocol"
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

// AppendDesc appends PACKTER's default description of the packet (written
// by protocol.AppendDefaultDesc, the one writer of that form).
func (p *Packet) AppendDesc(b []byte) []byte {
	switch p.Proto {
	case ProtoTCP:
		return protocol.AppendDefaultDesc(b, protocol.DescTCP, p.Src, p.Dst, uint32(p.SPort), uint32(p.DPort))
	case ProtoUDP:
		return protocol.AppendDefaultDesc(b, protocol.DescUDP, p.Src, p.Dst, uint32(p.SPort), uint32(p.DPort))
	}
	kind := protocol.DescICMPv4
	if p.V6 {
		kind = protocol.DescICMPv6
	}
	return protocol.AppendDefaultDesc(b, kind, p.Src, p.Dst, uint32(p.ICMPType), uint32(p.ICMPCode))
}

// AppendIP appends an address as descriptions write it (inet_ntop's form).
func AppendIP(b []byte, a netip.Addr) []byte { return protocol.AppendDescIP(b, a) }

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
