package capture

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/gopacket/gopacket/afpacket"
	"golang.org/x/sys/unix"
)

// SnapLen is how much of each packet live capture keeps: enough for Ethernet
// with two VLAN tags and a tunnel or two (ERSPAN III with its sub-header and
// the mirrored frame, GRE in IPv6 with extension headers) before the inner
// transport header (PACKTER used 128).
const SnapLen = 512

// ErrPermission is returned when live capture is not allowed.
var ErrPermission = errors.New("live capture needs root or the CAP_NET_RAW capability")

// Live captures from a network interface through a memory-mapped AF_PACKET
// ring (TPACKET_V3, pure Go), promiscuous, with a kernel BPF filter.
type Live struct {
	tp      *afpacket.TPacket
	iface   string
	link    uint32
	promisc bool
}

// OpenLive opens iface with the filter expression (empty: everything). The
// interface's hardware type (ARPHRD) decides how frames are read and decoded:
// Ethernet and loopback as Ethernet, 802.11 monitor interfaces with their
// radio headers, and everything else (tun, WireGuard, PPP, IP tunnels,
// InfiniBand, …) as cooked packets that start at the IP header.
func OpenLive(ctx context.Context, iface, filter string) (*Live, error) {
	if _, err := net.InterfaceByName(iface); err != nil {
		return nil, fmt.Errorf("there is no network interface named %q", iface)
	}
	hw, err := HardwareType(iface)
	if err != nil {
		return nil, err
	}
	link, cooked := LinkForHardware(hw)
	prog, err := CompileFilter(ctx, link, SnapLen, filter)
	if err != nil {
		return nil, err
	}
	sock := afpacket.SocketRaw
	if cooked {
		sock = afpacket.SocketDgram
	}
	tp, err := afpacket.NewTPacket(
		sock,
		afpacket.OptInterface(iface),
		afpacket.OptFrameSize(2048),
		afpacket.OptBlockSize(1<<20),
		afpacket.OptNumBlocks(32),
		afpacket.OptBlockTimeout(10*time.Millisecond),
		afpacket.OptPollTimeout(200*time.Millisecond),
		afpacket.OptAddVLANHeader(link == LinkEthernet), // the kernel strips tags; put them back where they belong
		afpacket.TPacketVersion3,
	)
	if err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return nil, fmt.Errorf("capture on %s: %w", iface, ErrPermission)
		}
		return nil, fmt.Errorf("capture on %s: %w", iface, err)
	}
	if err := tp.SetBPF(prog); err != nil {
		tp.Close()
		return nil, fmt.Errorf("attach filter on %s: %w", iface, err)
	}
	// Point-to-point interfaces have no one else's traffic to hear.
	if !cooked {
		if err := tp.SetPromiscuous(true); err != nil {
			tp.Close()
			return nil, fmt.Errorf("promiscuous mode on %s: %w", iface, err)
		}
	}
	return &Live{tp: tp, iface: iface, link: link, promisc: !cooked}, nil
}

// LinkType is the link type of the frames Next returns.
func (l *Live) LinkType() uint32 { return l.link }

// Linux hardware types (ARPHRD_*) with a link layer we read as such.
const (
	arphrdEther     = 1
	arphrdIEEE802   = 6
	arphrdLoopback  = 772
	arphrdIEEE80211 = 801
	arphrdPrism     = 802
	arphrdRadiotap  = 803
)

// LinkForHardware maps an interface's ARPHRD type to the link type its
// frames are decoded as, and says whether to capture cooked (SOCK_DGRAM:
// the kernel strips any link header, so frames start at the network header).
// Cooked capture is right for every interface without a link layer we
// decode, and it spares us each device's quirks (GRE devices with and
// without header_ops, IPoIB's pseudo header).
func LinkForHardware(arphrd uint16) (link uint32, cooked bool) {
	switch arphrd {
	case arphrdEther, arphrdIEEE802, arphrdLoopback:
		return LinkEthernet, false
	case arphrdIEEE80211:
		return LinkIEEE80211, false
	case arphrdPrism:
		return LinkPrism, false
	case arphrdRadiotap:
		return LinkRadiotap, false
	}
	return LinkRaw, true
}

// HardwareType reads an interface's ARPHRD type (SIOCGIFHWADDR's address
// family), in the calling thread's network namespace.
func HardwareType(iface string) (uint16, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("hardware type of %s: %w", iface, err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(iface)
	if err != nil {
		return 0, fmt.Errorf("hardware type of %s: %w", iface, err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFHWADDR, ifr); err != nil {
		return 0, fmt.Errorf("hardware type of %s: %w", iface, err)
	}
	return ifr.Uint16(), nil
}

// Next waits for the next packet until ctx ends. f.Data aliases the ring and
// is valid until the next call. The kernel's snap length comes from the filter.
func (l *Live) Next(ctx context.Context, f *Frame) error {
	for {
		data, ci, err := l.tp.ZeroCopyReadPacketData()
		if err == nil {
			f.Data, f.Link, f.Time, f.OrigLen = data, l.link, ci.Timestamp, ci.Length
			return nil
		}
		if !errors.Is(err, afpacket.ErrTimeout) {
			return fmt.Errorf("capture on %s: %w", l.iface, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// Stats returns packets received and dropped by the kernel so far.
func (l *Live) Stats() (received, dropped uint64) {
	_, v3, err := l.tp.SocketStats()
	if err != nil {
		return 0, 0
	}
	return uint64(v3.Packets()), uint64(v3.Drops())
}

// Close releases the socket and its ring.
func (l *Live) Close() error {
	if l.promisc {
		l.tp.SetPromiscuous(false)
	}
	l.tp.Close()
	return nil
}
