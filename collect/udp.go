package collect

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// maxDatagram is the largest UDP payload; every queue slot holds one.
const maxDatagram = 65535

type datagram struct {
	buf  []byte
	n    int
	from netip.AddrPort
	at   time.Time
}

// handler decodes one datagram; it runs on the decoding goroutine only.
type handler func(from netip.AddrPort, b []byte, now time.Time)

// addrPortReader is implemented by *net.UDPConn: reading the sender without a
// net.Addr allocation per datagram.
type addrPortReader interface {
	ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error)
}

func listenUDP(addr string) (net.PacketConn, error) {
	c, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen udp %s: %w", addr, err)
	}
	if u, ok := c.(*net.UDPConn); ok {
		_ = u.SetReadBuffer(4 << 20) // best effort: absorbs exporter bursts
	}
	return c, nil
}

// servePackets reads datagrams from conn until ctx ends (or conn fails), and
// hands them to h on a second goroutine through a bounded queue of preallocated
// buffers: when the decoder falls behind, the reader drops and counts instead of
// blocking the socket.
func servePackets(ctx context.Context, conn net.PacketConn, o Options, h handler) error {
	return servePacketsTick(ctx, conn, o, h, nil)
}

// servePacketsTick is servePackets with tick also called on the decoding
// goroutine about once a second, for work due without traffic.
func servePacketsTick(ctx context.Context, conn net.PacketConn, o Options, h handler, tick func(now time.Time)) error {
	stop := closeOnDone(ctx, conn)
	defer stop()
	free := make(chan []byte, o.Queue)
	for range o.Queue {
		free <- make([]byte, maxDatagram)
	}
	work := make(chan datagram, o.Queue)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var tc <-chan time.Time
		if tick != nil {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			tc = t.C
		}
		for {
			select {
			case d, ok := <-work:
				if !ok {
					return
				}
				h(d.from, d.buf[:d.n], d.at)
				free <- d.buf
			case <-tc:
				tick(o.Now())
			}
		}
	}()
	defer func() { close(work); <-done }()

	scratch := make([]byte, maxDatagram)
	o.Ready()
	ap, _ := conn.(addrPortReader)
	for {
		var buf []byte
		select {
		case buf = <-free:
		default:
			buf = nil // queue full: read into scratch and drop
		}
		into := buf
		if into == nil {
			into = scratch
		}
		var (
			n    int
			from netip.AddrPort
			err  error
		)
		if ap != nil {
			n, from, err = ap.ReadFromUDPAddrPort(into)
		} else {
			var a net.Addr
			n, a, err = conn.ReadFrom(into)
			from = addrPortOf(a)
		}
		if err != nil {
			if buf != nil {
				free <- buf
			}
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("read %s: %w", conn.LocalAddr(), err)
		}
		o.Stats.Datagrams.Add(1)
		if buf == nil {
			o.Stats.Dropped.Add(1)
			continue
		}
		work <- datagram{buf: buf, n: n, from: from, at: o.Now()}
	}
}

func addrPortOf(a net.Addr) netip.AddrPort {
	switch a := a.(type) {
	case *net.UDPAddr:
		return a.AddrPort()
	case nil:
		return netip.AddrPort{}
	}
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap
	}
	return netip.AddrPort{}
}
