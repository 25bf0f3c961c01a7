package protocol

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/packter/packter/internal/ratelog"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// DefaultBulkMax keeps bulk datagrams within one Ethernet MTU, as PACKTER 3.0's
// agent does; loopback users may raise it up to MaxDatagram.
const DefaultBulkMax = 1400

// SenderConfig configures a Sender.
type SenderConfig struct {
	Viewers []string      // HOST[:PORT], IPv4 or IPv6; at least one
	Port    int           // default port, 11300
	Bulk    time.Duration // >0: gather records for up to this long into bulk datagrams
	BulkMax int           // bulk datagram size limit (DefaultBulkMax; at most MaxDatagram)
	AgentID string        // PACKTERAGENT id; "" sends no agent line
	Key     []byte        // HMAC key: sign every datagram (needs AgentID)
	Logger  *slog.Logger
	Now     func() time.Time // clock for signatures (tests)
}

// SenderStats counts what a Sender did.
type SenderStats struct {
	Datagrams, Records, Bytes, Errors uint64
}

// Sender sends PACKTER datagrams to one or more viewers over UDP: one datagram
// per record, or bulk datagrams gathered over a window. Safe for concurrent use.
type Sender struct {
	cfg      SenderConfig
	conns    []*net.UDPConn
	batchers []batchWriter
	warn     *ratelog.Limiter
	msgs     []ipv4.Message
	signed   [][]byte

	mu      sync.Mutex
	bulk    []byte // "PACKTER\n" + record lines
	nbulk   int
	first   time.Time
	out     []byte
	out2    []byte
	closed  bool
	done    chan struct{}
	flusher sync.WaitGroup

	datagrams, records, bytes, errs atomic.Uint64
}

// NewSender resolves and connects to the viewers.
func NewSender(cfg SenderConfig) (*Sender, error) {
	if len(cfg.Viewers) == 0 {
		return nil, errors.New("no viewer to send to")
	}
	if cfg.Port == 0 {
		cfg.Port = ViewerPort
	}
	if cfg.BulkMax <= 0 {
		cfg.BulkMax = DefaultBulkMax
	}
	if cfg.BulkMax > MaxDatagram {
		return nil, fmt.Errorf("bulk size %d is over the UDP limit of %d bytes", cfg.BulkMax, MaxDatagram)
	}
	if len(cfg.Key) > 0 && cfg.AgentID == "" {
		return nil, errors.New("an HMAC key needs an agent id (-A)")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Sender{cfg: cfg, warn: ratelog.New(cfg.Logger, 5, 10*time.Second), done: make(chan struct{})}
	for _, v := range cfg.Viewers {
		hp, err := HostPort(v, cfg.Port)
		if err != nil {
			s.closeConns()
			return nil, fmt.Errorf("viewer: %w", err)
		}
		ua, err := net.ResolveUDPAddr("udp", hp)
		if err != nil {
			s.closeConns()
			return nil, fmt.Errorf("viewer %s: %w", v, err)
		}
		c, err := net.DialUDP("udp", nil, ua)
		if err != nil {
			s.closeConns()
			return nil, fmt.Errorf("viewer %s: %w", v, err)
		}
		_ = c.SetWriteBuffer(4 << 20)
		s.conns = append(s.conns, c)
		s.batchers = append(s.batchers, newBatchWriter(c))
	}
	if cfg.Bulk > 0 {
		s.bulk = append(make([]byte, 0, cfg.BulkMax), "PACKTER\n"...)
		s.flusher.Add(1)
		go s.flushLoop()
	}
	return s, nil
}

func (s *Sender) closeConns() {
	for _, c := range s.conns {
		c.Close()
	}
}

// flushLoop sends a bulk datagram whose window has passed even when no more
// records come to push it out.
func (s *Sender) flushLoop() {
	defer s.flusher.Done()
	t := time.NewTicker(s.cfg.Bulk)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			s.mu.Lock()
			if s.nbulk > 0 && time.Since(s.first) >= s.cfg.Bulk {
				s.flushLocked()
			}
			s.mu.Unlock()
		}
	}
}

// Record sends one record, or adds it to the current bulk datagram.
func (s *Sender) Record(r *Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return net.ErrClosed
	}
	s.records.Add(1)
	if s.cfg.Bulk <= 0 {
		s.out = AppendPacket(s.out[:0], *r)
		s.emitLocked(s.out)
		return nil
	}
	mark := len(s.bulk)
	s.bulk = AppendRecord(s.bulk, r)
	s.bulk = append(s.bulk, '\n')
	size := len(s.bulk) + s.agentOverhead()
	if size > s.cfg.BulkMax {
		if s.nbulk == 0 { // one record alone is over the limit: send it as it is
			s.flushLockedN(1)
			return nil
		}
		line := append([]byte(nil), s.bulk[mark:]...)
		s.bulk = s.bulk[:mark]
		s.flushLocked()
		s.bulk = append(s.bulk, line...)
	}
	if s.nbulk == 0 {
		s.first = time.Now()
	}
	s.nbulk++
	if time.Since(s.first) >= s.cfg.Bulk {
		s.flushLocked()
	}
	return nil
}

func (s *Sender) agentOverhead() int {
	if s.cfg.AgentID == "" {
		return 0
	}
	return len("PACKTERAGENT ,1234567890,\n") + len(s.cfg.AgentID) + 64
}

func (s *Sender) flushLockedN(n int) {
	s.nbulk = n
	s.flushLocked()
}

func (s *Sender) flushLocked() {
	if s.nbulk == 0 {
		return
	}
	s.emitLocked(s.bulk)
	s.bulk = s.bulk[:len("PACKTER\n")]
	s.nbulk = 0
}

// Datagram sends a complete datagram body (a header line and its payload, as
// the Append functions make), after any pending bulk records so order holds.
func (s *Sender) Datagram(body []byte) error {
	if len(body) > MaxDatagram-s.agentOverhead() {
		return fmt.Errorf("datagram of %d bytes is over the UDP limit", len(body))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return net.ErrClosed
	}
	s.flushLocked()
	s.emitLocked(body)
	return nil
}

// emitLocked signs (when configured) and writes payload to every viewer.
func (s *Sender) emitLocked(payload []byte) {
	b := payload
	if s.cfg.AgentID != "" {
		s.out2 = AppendAgent(s.out2[:0], s.cfg.AgentID, s.cfg.Key, s.cfg.Now(), payload)
		b = s.out2
	}
	for _, c := range s.conns {
		if _, err := c.Write(b); err != nil {
			s.errs.Add(1)
			s.warn.Warn("sending to viewer failed", "viewer", c.RemoteAddr().String(), "err", err)
			continue
		}
		s.datagrams.Add(1)
		s.bytes.Add(uint64(len(b)))
	}
}

// Flush sends any pending bulk records now.
func (s *Sender) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushLocked()
	return nil
}

// Stats returns the counts so far.
func (s *Sender) Stats() SenderStats {
	return SenderStats{Datagrams: s.datagrams.Load(), Records: s.records.Load(), Bytes: s.bytes.Load(), Errors: s.errs.Load()}
}

// Close flushes and closes the sockets.
func (s *Sender) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.flushLocked()
	s.closed = true
	s.mu.Unlock()
	close(s.done)
	s.flusher.Wait()
	s.closeConns()
	return nil
}

// DatagramBatch sends several complete datagrams with as few system calls as
// the platform allows (sendmmsg on Linux): what a load generator needs.
func (s *Sender) DatagramBatch(bodies [][]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return net.ErrClosed
	}
	s.flushLocked()
	if cap(s.msgs) < len(bodies) {
		s.msgs = make([]ipv4.Message, len(bodies))
		s.signed = make([][]byte, len(bodies))
	}
	msgs := s.msgs[:len(bodies)]
	for i, b := range bodies {
		if len(b) > MaxDatagram-s.agentOverhead() {
			return fmt.Errorf("datagram of %d bytes is over the UDP limit", len(b))
		}
		if s.cfg.AgentID != "" {
			s.signed[i] = AppendAgent(s.signed[i][:0], s.cfg.AgentID, s.cfg.Key, s.cfg.Now(), b)
			b = s.signed[i]
		}
		if len(msgs[i].Buffers) != 1 {
			msgs[i].Buffers = make([][]byte, 1)
		}
		msgs[i].Buffers[0] = b
	}
	for i, c := range s.conns {
		for sent := 0; sent < len(msgs); {
			n, err := s.batchers[i].WriteBatch(msgs[sent:], 0)
			if err != nil {
				s.errs.Add(1)
				s.warn.Warn("sending to viewer failed", "viewer", c.RemoteAddr().String(), "err", err)
				sent++ // skip the datagram that failed; keep the rest going
				continue
			}
			for _, m := range msgs[sent : sent+n] {
				s.bytes.Add(uint64(len(m.Buffers[0])))
			}
			s.datagrams.Add(uint64(n))
			sent += n
		}
	}
	return nil
}

type batchWriter interface {
	WriteBatch([]ipv4.Message, int) (int, error)
}

func newBatchWriter(c *net.UDPConn) batchWriter {
	if ua, ok := c.RemoteAddr().(*net.UDPAddr); ok && ua.IP.To4() == nil {
		return ipv6.NewPacketConn(c)
	}
	return ipv4.NewPacketConn(c)
}
