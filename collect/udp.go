package collect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// maxDatagram is the largest UDP payload.
const maxDatagram = 65535

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
	return c, nil
}

// tuneReadBuffer gives conn the receive buffer o asks for and says once what
// the kernel granted: a small one overflows in an exporter's burst.
func tuneReadBuffer(conn net.PacketConn, o Options, log *slog.Logger) {
	sc, ok := conn.(syscall.Conn)
	if !ok || o.ReadBuffer <= 0 {
		return
	}
	got, err := setReadBuffer(sc, o.ReadBuffer)
	switch {
	case err != nil && got == 0:
		log.Warn("cannot set the receive buffer; bursts may overflow it (drops are counted)", "addr", conn.LocalAddr().String(), "err", err)
	case got < o.ReadBuffer:
		log.Warn("receive buffer smaller than asked: bursts may overflow it (drops are counted); raise net.core.rmem_max or run as root",
			"addr", conn.LocalAddr().String(), "granted", got, "asked", o.ReadBuffer)
	default:
		log.Debug("receive buffer", "addr", conn.LocalAddr().String(), "bytes", got)
	}
}

// dropWatch turns the socket's cumulative kernel drop counter into additions
// to Stats.SocketDrops. Used by one goroutine at a time.
type dropWatch struct {
	sc   syscall.Conn
	last uint64
	ok   bool
}

func newDropWatch(conn net.PacketConn) *dropWatch {
	w := &dropWatch{}
	if sc, ok := conn.(syscall.Conn); ok {
		w.sc = sc
		w.last, w.ok = socketDrops(sc) // drops before we started are not ours
	}
	return w
}

func (w *dropWatch) poll(st *Stats) {
	if !w.ok {
		return
	}
	d, ok := socketDrops(w.sc)
	if !ok || d < w.last {
		return
	}
	st.SocketDrops.Add(d - w.last)
	w.last = d
}

// servePackets reads datagrams from conn until ctx ends (or conn fails), and
// hands them to h on a second goroutine through a bounded queue: when the
// decoder falls behind, the reader drops and counts instead of blocking the
// socket. Datagrams the kernel drops because the socket's buffer was full are
// counted too (Stats.SocketDrops).
func servePackets(ctx context.Context, conn net.PacketConn, o Options, log *slog.Logger, h handler) error {
	return servePacketsTick(ctx, conn, o, log, h, nil)
}

// servePacketsTick is servePackets with tick also called on the decoding
// goroutine about once a second, for work due without traffic.
func servePacketsTick(ctx context.Context, conn net.PacketConn, o Options, log *slog.Logger, h handler, tick func(now time.Time)) error {
	tuneReadBuffer(conn, o, log)
	// A read deadline, not Close, interrupts the reader: the socket stays open
	// for the last reading of its drop counter.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	drops := newDropWatch(conn)
	q := newRing(o.QueueBytes, o.Queue)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case s, ok := <-q.slots:
				if !ok {
					return
				}
				h(s.from, q.bytes(s), s.at)
				q.release(s)
			case <-t.C:
				drops.poll(o.Stats)
				if tick != nil {
					tick(o.Now())
				}
			}
		}
	}()
	defer func() {
		close(q.slots)
		<-done
		drops.poll(o.Stats)
	}()

	buf := make([]byte, maxDatagram)
	o.ready(conn.LocalAddr())
	ap, _ := conn.(addrPortReader)
	for {
		var (
			n    int
			from netip.AddrPort
			err  error
		)
		if ap != nil {
			n, from, err = ap.ReadFromUDPAddrPort(buf)
		} else {
			var a net.Addr
			n, a, err = conn.ReadFrom(buf)
			from = addrPortOf(a)
		}
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("read %s: %w", conn.LocalAddr(), err)
		}
		o.Stats.Datagrams.Add(1)
		if !q.put(buf[:n], from, o.Now()) {
			o.Stats.Dropped.Add(1)
		}
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
