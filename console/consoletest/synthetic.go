package consoletest

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/protocol"
)

// Base is the synthetic events' clock origin.
var Base = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// Synthetic returns the i-th event of a fixed mix: every flag class in turn,
// IPv6 for classes 5 to 9, and every third record traceable by tc.example.
func Synthetic(i int, t time.Time) event.Event {
	class := i % 10
	var src, dst netip.Addr
	if class < 5 {
		src = netip.AddrFrom4([4]byte{10, 0, byte(i / 250 % 250), byte(i%250 + 1)})
		dst = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	} else {
		src = netip.MustParseAddr(fmt.Sprintf("2001:db8::%x", i%65535+1))
		dst = netip.MustParseAddr("2001:db8::80")
	}
	ev := event.Event{
		Time: t, Kind: event.KindPacket,
		Src: protocol.AddrFrom(src), Dst: protocol.AddrFrom(dst),
		SPort: protocol.PortFrom(uint32(40000 + i%20000)), DPort: protocol.PortFrom(80),
		Flag: class,
	}
	switch class {
	case 3, 8:
		ev.DPort = protocol.PortFrom(53)
	case 4, 9:
		ev.SPort, ev.DPort = protocol.ICMPPorts(8, 0)
	}
	if i%3 == 0 {
		ev.Desc = event.CleanText(fmt.Sprintf("%032x-tc.example", i), event.MaxText)
	} else {
		ev.Desc = event.CleanText(fmt.Sprintf("sample %d", i), event.MaxText)
	}
	return ev
}
