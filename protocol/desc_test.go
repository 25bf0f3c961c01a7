package protocol

import (
	"net/netip"
	"testing"
)

// One writer of the default description: from a record it reads exactly as
// an agent wrote it from the packet, IPv4-compatible IPv6 addresses
// (inet_ntop's ::a.b.c.d) included.
func TestDefaultDescOneForm(t *testing.T) {
	ip := netip.MustParseAddr
	for _, c := range []struct {
		kind     DescKind
		src, dst string
		a, b     uint32
		want     string
	}{
		{DescTCP, "10.0.0.1", "192.0.2.10", 60000, 443, "TCP src:10.0.0.1(60000) dst:192.0.2.10(443)"},
		{DescUDP, "2001:db8::1", "2001:db8::2", 5353, 53, "UDP src:2001:db8::1(5353) dst:2001:db8::2(53)"},
		{DescICMPv4, "10.0.0.1", "192.0.2.9", 3, 3, "ICMPv4 src:10.0.0.1 dst:192.0.2.9 (type:3 code:3)"},
		{DescICMPv6, "::1.2.3.4", "2001:db8::2", 128, 0, "ICMPv6 src:::1.2.3.4 dst:2001:db8::2 (type:128 code:0)"},
		{DescTCP, "::ffff:10.0.0.1", "::1", 1, 2, "TCP src:::ffff:10.0.0.1(1) dst:::1(2)"},
	} {
		got := string(AppendDefaultDesc(nil, c.kind, ip(c.src), ip(c.dst), c.a, c.b))
		if got != c.want {
			t.Errorf("AppendDefaultDesc = %q, want %q", got, c.want)
		}
		// The same record, read back: the timeline rebuilds it this way.
		flag := map[DescKind]int{DescTCP: ClassTCPAck, DescUDP: ClassUDP6, DescICMPv4: ClassICMP, DescICMPv6: ClassICMP6}[c.kind]
		a, b := c.a, c.b
		if c.kind == DescICMPv4 || c.kind == DescICMPv6 {
			a, b = a*256, b*256
		}
		r := Record{Src: AddrFrom(ip(c.src)), Dst: AddrFrom(ip(c.dst)), SPort: PortFrom(a), DPort: PortFrom(b), Flag: flag}
		if got := string(AppendDesc(nil, &r)); got != c.want {
			t.Errorf("AppendDesc(record) = %q, want %q", got, c.want)
		}
	}
}
