package capture

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/packter/packter/capture/internal/gen"
)

// inNewNetns runs fn on a thread of its own in a new, empty network
// namespace. The thread is never unlocked, so Go discards it afterwards and
// no other goroutine ever runs in the namespace.
func inNewNetns(t *testing.T, fn func() error) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("creating a network namespace needs root")
	}
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			done <- err
			return
		}
		done <- fn()
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// ifUp sets an interface up, in the calling thread's namespace.
func ifUp(name string) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

// openTun creates a tun device (IP packets, no packet-information header).
func openTun(name string) (*os.File, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.TUNSETIFF, uintptr(unsafe.Pointer(ifr))); e != 0 {
		unix.Close(fd)
		return nil, e
	}
	return os.NewFile(uintptr(fd), "/dev/net/tun"), nil
}

// captureOne reads frames until one decodes, bounded by ctx (a safety net:
// the packets were already sent, so they are in the ring).
func captureOne(ctx context.Context, l *Live) (Packet, error) {
	var f Frame
	var p Packet
	for {
		if err := l.Next(ctx, &f); err != nil {
			return p, err
		}
		if Decode(f.Link, f.Data, &p) == nil {
			return p, nil
		}
	}
}

// TestLiveTun captures on a tun interface (ARPHRD_NONE, like WireGuard: no
// link layer) in a network namespace of its own. Frames must come back as
// raw IP packets and decode; before the interface's hardware type was read
// they were taken for Ethernet and gave nothing.
func TestLiveTun(t *testing.T) {
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		t.Skip("no /dev/net/tun")
	}
	inNewNetns(t, func() error {
		tun, err := openTun("ptun0")
		if err != nil {
			return err
		}
		defer tun.Close()
		if err := ifUp("ptun0"); err != nil {
			return err
		}
		hw, err := HardwareType("ptun0")
		if err != nil {
			return err
		}
		if hw != unix.ARPHRD_NONE {
			return errors.New("tun is not ARPHRD_NONE")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		l, err := OpenLive(ctx, "ptun0", "")
		if err != nil {
			return err
		}
		defer l.Close()
		if l.LinkType() != LinkRaw {
			return errors.New("tun not captured as raw IP")
		}
		for _, pkt := range [][]byte{
			gen.IPv4(6, netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("192.0.2.7"), gen.TCP(50000, 80, 0x02)),
			gen.IPv6(17, netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8:ff::53"), gen.UDP(5353, 53, []byte("q"))),
		} {
			if _, err := tun.Write(pkt); err != nil { // arrives on ptun0 as if received
				return err
			}
			p, err := captureOne(ctx, l)
			if err != nil {
				return err
			}
			var want Packet
			if err := DecodeIP(pkt, &want); err != nil {
				return err
			}
			if got, w := string(p.AppendDesc(nil)), string(want.AppendDesc(nil)); got != w {
				return errors.New("tun: got " + got + ", want " + w)
			}
		}
		return nil
	})
}

// TestLiveLoopback captures on lo in a namespace of its own: ARPHRD_LOOPBACK
// frames carry an Ethernet header of zeros.
func TestLiveLoopback(t *testing.T) {
	inNewNetns(t, func() error {
		if err := ifUp("lo"); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		l, err := OpenLive(ctx, "lo", "udp")
		if errors.Is(err, ErrNoCompiler) {
			l, err = OpenLive(ctx, "lo", "")
		}
		if err != nil {
			return err
		}
		defer l.Close()
		if l.LinkType() != LinkEthernet {
			return errors.New("lo not captured as Ethernet")
		}
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer c.Close()
		if _, err := c.WriteTo([]byte("packter"), c.LocalAddr()); err != nil {
			return err
		}
		p, err := captureOne(ctx, l)
		if err != nil {
			return err
		}
		port := uint16(c.LocalAddr().(*net.UDPAddr).Port)
		if p.Proto != ProtoUDP || p.DPort != port || p.Src.String() != "127.0.0.1" {
			return errors.New("lo: got " + string(p.AppendDesc(nil)))
		}
		return nil
	})
}

func TestLinkForHardware(t *testing.T) {
	for _, tc := range []struct {
		hw     uint16
		link   uint32
		cooked bool
	}{
		{unix.ARPHRD_ETHER, LinkEthernet, false}, {unix.ARPHRD_LOOPBACK, LinkEthernet, false},
		{unix.ARPHRD_NONE, LinkRaw, true}, {unix.ARPHRD_PPP, LinkRaw, true}, {unix.ARPHRD_IPGRE, LinkRaw, true},
		{unix.ARPHRD_INFINIBAND, LinkRaw, true}, {unix.ARPHRD_IEEE80211_RADIOTAP, LinkRadiotap, false},
	} {
		if link, cooked := LinkForHardware(tc.hw); link != tc.link || cooked != tc.cooked {
			t.Errorf("ARPHRD %d: link %d cooked %v, want %d %v", tc.hw, link, cooked, tc.link, tc.cooked)
		}
	}
}
