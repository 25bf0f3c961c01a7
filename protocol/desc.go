package protocol

import "strconv"

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

// AppendDesc appends the description PACKTER's agents write by default for a
// record of this class: `TCP src:A(p) dst:B(q)`, `UDP src:A(p) dst:B(q)`, or
// `ICMPv4 src:A dst:B (type:t code:c)` (ICMPv6 likewise) with type and code
// recovered from the ×256 port fields.
func AppendDesc(dst []byte, r *Record) []byte {
	switch FlagClass(r.Flag) {
	case ClassICMP, ClassICMP6:
		if FlagClass(r.Flag) == ClassICMP {
			dst = append(dst, "ICMPv4 src:"...)
		} else {
			dst = append(dst, "ICMPv6 src:"...)
		}
		dst = r.Src.AppendText(dst)
		dst = append(dst, " dst:"...)
		dst = r.Dst.AppendText(dst)
		dst = append(dst, " (type:"...)
		dst = strconv.AppendUint(dst, uint64(r.SPort.Value/256), 10)
		dst = append(dst, " code:"...)
		dst = strconv.AppendUint(dst, uint64(r.DPort.Value/256), 10)
		return append(dst, ')')
	case ClassUDP, ClassUDP6:
		dst = append(dst, "UDP src:"...)
	default:
		dst = append(dst, "TCP src:"...)
	}
	dst = r.Src.AppendText(dst)
	dst = append(dst, '(')
	dst = r.SPort.AppendText(dst)
	dst = append(dst, ") dst:"...)
	dst = r.Dst.AppendText(dst)
	dst = append(dst, '(')
	dst = r.DPort.AppendText(dst)
	return append(dst, ')')
}
