package protocol

import (
	"net/netip"
	"strconv"
)

// Protocol classes of PACKTER's flags (flag % 10).
const (
	ClassTCPAck  = 0
	ClassTCPSyn  = 1
	ClassTCPFin  = 2
	ClassUDP     = 3
	ClassICMP    = 4
	ClassTCPAck6 = 5
	ClassTCPSyn6 = 6
	ClassTCPFin6 = 7
	ClassUDP6    = 8
	ClassICMP6   = 9
)

// FlagClass is `flag % 10`, the class PACKTER's viewer colours by.
func FlagClass(flag int) int {
	c := flag % 10
	if c < 0 {
		c += 10
	}
	return c
}

// DescKind is the protocol word a default description starts with.
type DescKind uint8

// The four kinds of default description.
const (
	DescTCP DescKind = iota
	DescUDP
	DescICMPv4
	DescICMPv6
)

var descHeads = [...]string{DescTCP: "TCP src:", DescUDP: "UDP src:", DescICMPv4: "ICMPv4 src:", DescICMPv6: "ICMPv6 src:"}

// AppendDefaultDesc is the one writer of the description PACKTER's agents
// send by default: `TCP src:A(p) dst:B(q)`, `UDP src:A(p) dst:B(q)`, or
// `ICMPv4 src:A dst:B (type:t code:c)` (ICMPv6 likewise), where a and b are
// the ports, or for ICMP the type and code. The agent (from packets) and
// the timeline (from records) both use it, so the two can never differ.
func AppendDefaultDesc(dst []byte, kind DescKind, src, to netip.Addr, a, b uint32) []byte {
	if int(kind) >= len(descHeads) {
		kind = DescTCP
	}
	dst = append(dst, descHeads[kind]...)
	dst = AppendDescIP(dst, src)
	if kind == DescICMPv4 || kind == DescICMPv6 {
		dst = append(dst, " dst:"...)
		dst = AppendDescIP(dst, to)
		dst = append(dst, " (type:"...)
		dst = strconv.AppendUint(dst, uint64(a), 10)
		dst = append(dst, " code:"...)
		dst = strconv.AppendUint(dst, uint64(b), 10)
		return append(dst, ')')
	}
	dst = append(dst, '(')
	dst = strconv.AppendUint(dst, uint64(a), 10)
	dst = append(dst, ") dst:"...)
	dst = AppendDescIP(dst, to)
	dst = append(dst, '(')
	dst = strconv.AppendUint(dst, uint64(b), 10)
	return append(dst, ')')
}

// AppendDescIP appends an address as the C agents' inet_ntop writes it in
// descriptions. It differs from netip only for IPv4-compatible IPv6
// addresses (::a.b.c.d), which glibc still prints in dotted form.
func AppendDescIP(b []byte, a netip.Addr) []byte {
	if a.Is4() {
		return appendIPv4(b, a.As4())
	}
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
			return appendIPv4(b, [4]byte(x[12:]))
		}
	}
	return a.AppendTo(b)
}

// AppendDesc appends the default description of a record of this class (see
// AppendDefaultDesc), the ICMP type and code recovered from the ×256 port
// fields. A record whose ends are positions rather than addresses gets the
// same form with the positions written out.
func AppendDesc(dst []byte, r *Record) []byte {
	class := FlagClass(r.Flag)
	kind := DescTCP
	switch class {
	case ClassUDP, ClassUDP6:
		kind = DescUDP
	case ClassICMP:
		kind = DescICMPv4
	case ClassICMP6:
		kind = DescICMPv6
	}
	a, b := r.SPort.Value, r.DPort.Value
	if kind == DescICMPv4 || kind == DescICMPv6 {
		a, b = a/256, b/256
	}
	if r.Src.IsIP() && r.Dst.IsIP() && !r.SPort.IsNorm && !r.DPort.IsNorm {
		return AppendDefaultDesc(dst, kind, r.Src.IP, r.Dst.IP, a, b)
	}
	// Normalised positions: no agent writes a default description for
	// these, so this only has to be stable.
	dst = append(dst, descHeads[kind]...)
	dst = r.Src.AppendText(dst)
	dst = append(dst, '(')
	dst = r.SPort.AppendText(dst)
	dst = append(dst, ") dst:"...)
	dst = r.Dst.AppendText(dst)
	dst = append(dst, '(')
	dst = r.DPort.AppendText(dst)
	return append(dst, ')')
}
