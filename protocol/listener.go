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
	buf     []byte // the datagrams' bytes, one after another
}

// ListenerStats counts what the listener saw.
type ListenerStats struct {
	Datagrams uint64 // read from the socket
	Dropped   uint64 // read but discarded because the consumer was behind (no batch or over the byte budget)
	Shed      uint64 // waited longer than MaxLag for the consumer and were discarded unread
	Batches   uint64
	// KernelDropped is what the kernel dropped before we could read it (socket
	// buffer full), where the system tells (Linux).
	KernelDropped uint64
}

// ListenConfig configures a Listener.
type ListenConfig struct {
	Addr    string // default 127.0.0.1:11300
	Batches int    // batches of up to 64 datagrams buffered between socket and consumer (default 2048)
	// Budget bounds the bytes of datagrams read but not yet released
	// (default 32 MiB): past it, what is read is dropped and counted, so
	// memory stays bounded whatever arrives.
	Budget int64
	// MaxLag is how long a batch may wait for the consumer (default 1 s):
	// older batches are shed unread and counted, so a backlog never delays
	// every later event.
	MaxLag time.Duration
	Logger *slog.Logger
}

const batchLen = 64

// Listener receives datagrams on one UDP socket. Its reader never waits for the
// consumer: when every buffer is in use the datagrams just read are dropped and
// counted.
type Listener struct {
	conn     *net.UDPConn
	log      *slog.Logger
	free     freeList
	full     chan *Batch
	budget   int64
	maxLag   time.Duration
	inflight atomic.Int64 // bytes in batches read and not yet released
	stats    struct{ datagrams, dropped, shed, batches, kernel atomic.Uint64 }
	done     chan struct{}
}

// Defaults of ListenConfig.
const (
	DefaultBudget = 32 << 20
	DefaultMaxLag = time.Second
	// keepBuf is the most a free batch keeps of the memory it grew to: a
	// burst of large datagrams is given back once it has been handled.
	keepBuf = 256 << 10
)

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
	if cfg.Budget <= 0 {
		cfg.Budget = DefaultBudget
	}
	if cfg.MaxLag <= 0 {
		cfg.MaxLag = DefaultMaxLag
	}
	ua, err := net.ResolveUDPAddr("udp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", cfg.Addr, err)
	}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	switch {
	case ua.IP == nil || ua.IP.IsUnspecified():
		cfg.Logger.Warn("listening on all interfaces: anyone who can reach this port can send events; use --key and --require-auth", "addr", conn.LocalAddr().String())
	case !ua.IP.IsLoopback():
		cfg.Logger.Warn("listening beyond this machine: anyone on that network can send events; use --key and --require-auth", "addr", conn.LocalAddr().String())
	}
	setReadBuffer(conn, 64<<20)
	l := &Listener{
		conn:   conn,
		log:    cfg.Logger,
		full:   make(chan *Batch, cfg.Batches),
		budget: cfg.Budget,
		maxLag: cfg.MaxLag,
		done:   make(chan struct{}),
	}
	for i := 0; i < cfg.Batches; i++ {
		// Buffers are allocated on first use. The free list is a stack, so
		// the same few batches serve while the consumer keeps up; memory
		// follows the queue's high-water mark, bounded by the byte budget.
		l.free.push(&Batch{Packets: make([]Packet, 0, batchLen)})
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
	st := ListenerStats{Datagrams: l.stats.datagrams.Load(), Dropped: l.stats.dropped.Load(), Shed: l.stats.shed.Load(), Batches: l.stats.batches.Load()}
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
		// Take what fits in the byte budget; drop and count the rest.
		room := l.budget - l.inflight.Load()
		size, keep := 0, 0
		for i := 0; i < n; i++ {
			if int64(size+msgs[i].N) <= room {
				size += msgs[i].N
				keep++
			}
		}
		if keep < n {
			l.stats.dropped.Add(uint64(n - keep))
		}
		if keep == 0 {
			l.free.push(b)
			continue
		}
		l.inflight.Add(int64(size))
		if cap(b.buf) < size {
			b.buf = make([]byte, 0, max(size, 64<<10))
		}
		b.buf, b.Packets = b.buf[:0], b.Packets[:0]
		left := room
		for i := 0; i < n; i++ {
			m := &msgs[i]
			if int64(m.N) > left {
				continue // dropped above
			}
			left -= int64(m.N)
			start := len(b.buf)
			b.buf = append(b.buf, m.Buffers[0][:m.N]...)
			var from netip.AddrPort
			if ua, ok := m.Addr.(*net.UDPAddr); ok {
				from = ua.AddrPort()
			}
			b.Packets = append(b.Packets, Packet{Data: b.buf[start:len(b.buf):len(b.buf)], From: from, Time: now})
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
// goroutine. Batches that waited longer than MaxLag are shed (released and
// counted) instead: a consumer that fell behind catches up on the present.
func (l *Listener) Next() *Batch {
	for b := range l.full {
		if len(b.Packets) > 0 && time.Since(b.Packets[0].Time) > l.maxLag {
			l.stats.shed.Add(uint64(len(b.Packets)))
			l.Release(b)
			continue
		}
		return b
	}
	return nil
}

// Release gives a batch from Next back to the reader.
func (l *Listener) Release(b *Batch) {
	l.inflight.Add(-int64(len(b.buf)))
	clear(b.Packets) // no references into the buffer outlive the batch
	b.Packets = b.Packets[:0]
	if cap(b.buf) > keepBuf {
		b.buf = nil
	} else {
		b.buf = b.buf[:0]
	}
	l.free.push(b)
}

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
