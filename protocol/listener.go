package protocol

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// Packet is one datagram as received. Data is valid until the batch holding it
// is released.
type Packet struct {
	Data []byte
	From netip.AddrPort
	Time time.Time
}

// Batch is a group of datagrams read together. Handlers must not keep it.
type Batch struct {
	Packets []Packet
	bufs    [][]byte
}

// ListenerStats counts what the listener saw.
type ListenerStats struct {
	Datagrams uint64 // read from the socket
	Dropped   uint64 // read but discarded because the consumer was behind
	Batches   uint64
	// KernelDropped is what the kernel dropped before we could read it (socket
	// buffer full), where the system tells (Linux).
	KernelDropped uint64
}

// ListenConfig configures a Listener.
type ListenConfig struct {
	Addr    string // default 127.0.0.1:11300
	Batches int    // batches of up to 64 datagrams buffered between socket and consumer (default 2048)
	Logger  *slog.Logger
}

const batchLen = 64

// Listener receives datagrams on one UDP socket. Its reader never waits for the
// consumer: when every buffer is in use the datagrams just read are dropped and
// counted.
type Listener struct {
	conn   *net.UDPConn
	log    *slog.Logger
	free   freeList
	full   chan *Batch
	stats  struct{ datagrams, dropped, batches, kernel atomic.Uint64 }
	reader error
	done   chan struct{}
}

// Listen opens the socket. Binding all interfaces is allowed but warned about:
// PACKTER datagrams are unauthenticated unless keys are configured.
func Listen(cfg ListenConfig) (*Listener, error) {
	if cfg.Addr == "" {
		cfg.Addr = fmt.Sprintf("127.0.0.1:%d", ViewerPort)
	}
	if cfg.Batches <= 0 {
		cfg.Batches = 2048 // up to 131,072 datagrams waiting for the consumer
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ua, err := net.ResolveUDPAddr("udp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", cfg.Addr, err)
	}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	if ua.IP == nil || ua.IP.IsUnspecified() {
		cfg.Logger.Warn("listening on all interfaces: anyone who can reach this port can send events; use --key and --require-auth", "addr", conn.LocalAddr().String())
	}
	setReadBuffer(conn, 64<<20)
	l := &Listener{
		conn: conn,
		log:  cfg.Logger,
		full: make(chan *Batch, cfg.Batches),
		done: make(chan struct{}),
	}
	for i := 0; i < cfg.Batches; i++ {
		// Buffers are allocated on first use and then kept. The free list is a
		// stack, so the same few batches serve while the consumer keeps up:
		// memory follows the queue's high-water mark, not its capacity.
		l.free.push(&Batch{Packets: make([]Packet, 0, batchLen), bufs: make([][]byte, batchLen)})
	}
	go l.read()
	return l, nil
}

// setReadBuffer asks for a large socket buffer, forcing past rmem_max when
// privileged, so bursts wait in the kernel rather than being lost there.
func setReadBuffer(c *net.UDPConn, n int) {
	if rc, err := c.SyscallConn(); err == nil {
		var serr error
		_ = rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, n)
		})
		if serr == nil {
			return
		}
	}
	_ = c.SetReadBuffer(n)
}

// Addr is the socket's local address (useful with port 0).
func (l *Listener) Addr() netip.AddrPort {
	return l.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// Stats returns the counts so far.
func (l *Listener) Stats() ListenerStats {
	st := ListenerStats{Datagrams: l.stats.datagrams.Load(), Dropped: l.stats.dropped.Load(), Batches: l.stats.batches.Load()}
	if n, ok := kernelDrops(l.conn); ok {
		l.stats.kernel.Store(n)
	}
	st.KernelDropped = l.stats.kernel.Load() // the last reading, once closed
	return st
}

type batchReader interface {
	ReadBatch([]ipv4.Message, int) (int, error)
}

func (l *Listener) read() {
	defer close(l.full)
	var br batchReader
	if l.Addr().Addr().Is4() {
		br = ipv4.NewPacketConn(l.conn)
	} else {
		br = ipv6.NewPacketConn(l.conn)
	}
	msgs := make([]ipv4.Message, batchLen)
	for i := range msgs {
		msgs[i].Buffers = [][]byte{make([]byte, MaxDatagram+1)}
	}
	for {
		n, err := br.ReadBatch(msgs, 0)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// ICMP errors and the like surface here on some systems: keep reading.
			l.log.Debug("udp read", "err", err)
			select {
			case <-l.done:
				return
			default:
			}
			continue
		}
		now := time.Now()
		l.stats.datagrams.Add(uint64(n))
		b := l.free.pop()
		if b == nil {
			l.stats.dropped.Add(uint64(n))
			continue
		}
		b.Packets = b.Packets[:0]
		for i := 0; i < n; i++ {
			m := &msgs[i]
			data := m.Buffers[0][:m.N]
			buf := append(b.bufs[i][:0], data...)
			b.bufs[i] = buf
			var from netip.AddrPort
			if ua, ok := m.Addr.(*net.UDPAddr); ok {
				from = ua.AddrPort()
			}
			b.Packets = append(b.Packets, Packet{Data: buf, From: from, Time: now})
		}
		l.stats.batches.Add(1)
		l.full <- b // never blocks: there are only as many batches as slots
	}
}

// Serve hands each batch to fn until ctx ends or the listener is closed. It is
// the single consumer; fn must not keep the batch.
func (l *Listener) Serve(ctx context.Context, fn func(*Batch)) error {
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	for b := l.Next(); b != nil; b = l.Next() {
		fn(b)
		l.Release(b)
	}
	return ctx.Err()
}

// Next waits for the next batch; nil once the listener is closed. The caller
// owns the batch until it calls Release: a consumer may hand it on to another
// goroutine.
func (l *Listener) Next() *Batch {
	return <-l.full
}

// Release gives a batch from Next back to the reader.
func (l *Listener) Release(b *Batch) { l.free.push(b) }

// freeList is a stack of batches; pop never waits.
type freeList struct {
	mu sync.Mutex
	bs []*Batch
}

func (f *freeList) push(b *Batch) {
	f.mu.Lock()
	f.bs = append(f.bs, b)
	f.mu.Unlock()
}

func (f *freeList) pop() *Batch {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.bs) == 0 {
		return nil
	}
	b := f.bs[len(f.bs)-1]
	f.bs = f.bs[:len(f.bs)-1]
	return b
}

// Close closes the socket; Serve returns once the reader has stopped.
func (l *Listener) Close() error {
	select {
	case <-l.done:
		return nil
	default:
		close(l.done)
	}
	l.Stats() // keep the kernel's drop count readable after the socket is gone
	return l.conn.Close()
}
