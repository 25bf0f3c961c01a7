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
// with two VLAN tags, IPv6 with extension headers and a TCP header (PACKTER
// used 128).
const SnapLen = 256

// ErrPermission is returned when live capture is not allowed.
var ErrPermission = errors.New("live capture needs root or the CAP_NET_RAW capability")

// Live captures from a network interface through a memory-mapped AF_PACKET
// ring (TPACKET_V3, pure Go), promiscuous, with a kernel BPF filter.
type Live struct {
	tp    *afpacket.TPacket
	iface string
}

// OpenLive opens iface with the filter expression (empty: everything).
func OpenLive(ctx context.Context, iface, filter string) (*Live, error) {
	if _, err := net.InterfaceByName(iface); err != nil {
		return nil, fmt.Errorf("there is no network interface named %q", iface)
	}
	prog, err := CompileFilter(ctx, LinkEthernet, SnapLen, filter)
	if err != nil {
		return nil, err
	}
	tp, err := afpacket.NewTPacket(
		afpacket.OptInterface(iface),
		afpacket.OptFrameSize(2048),
		afpacket.OptBlockSize(1<<20),
		afpacket.OptNumBlocks(32),
		afpacket.OptBlockTimeout(10*time.Millisecond),
		afpacket.OptPollTimeout(200*time.Millisecond),
		afpacket.OptAddVLANHeader(true),
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
	if err := tp.SetPromiscuous(true); err != nil {
		tp.Close()
		return nil, fmt.Errorf("promiscuous mode on %s: %w", iface, err)
	}
	return &Live{tp: tp, iface: iface}, nil
}

// Next waits for the next packet until ctx ends. f.Data aliases the ring and
// is valid until the next call. The kernel's snap length comes from the filter.
func (l *Live) Next(ctx context.Context, f *Frame) error {
	for {
		data, ci, err := l.tp.ZeroCopyReadPacketData()
		if err == nil {
			f.Data, f.Link, f.Time, f.OrigLen = data, LinkEthernet, ci.Timestamp, ci.Length
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
	l.tp.SetPromiscuous(false)
	l.tp.Close()
	return nil
}
