package intertrack

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/packter/packter/internal/ratelog"
)

// ServerLimits keep a TCP server (the decision point, a digest store) up under
// hostile load: many idle connections, slow senders, no file descriptors left.
// Zero fields take the server's defaults.
type ServerLimits struct {
	// MaxConns bounds the connections held at once. A connection arriving when
	// the table is full takes the place of the one idle longest, preferring
	// connections that have not yet sent a whole request; when every one is
	// busy answering, the newcomer is closed.
	MaxConns int
	// FirstTimeout: a new connection must complete its first request within it.
	FirstTimeout time.Duration
	// IdleTimeout: how long a connection may wait between requests.
	IdleTimeout time.Duration
	// MessageTimeout: a request, once its first byte is in, must be complete
	// within it (a slow sender cannot hold a half-read buffer for long).
	MessageTimeout time.Duration
}

func (l ServerLimits) withDefaults(def ServerLimits) ServerLimits {
	if l.MaxConns <= 0 {
		l.MaxConns = def.MaxConns
	}
	if l.FirstTimeout <= 0 {
		l.FirstTimeout = def.FirstTimeout
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = def.IdleTimeout
	}
	if l.MessageTimeout <= 0 {
		l.MessageTimeout = def.MessageTimeout
	}
	return l
}

// ServerStats counts what a server did with its connections.
type ServerStats struct {
	Open         int    // connections held now
	Accepted     uint64 // connections accepted in all
	Evicted      uint64 // closed to make room for a newer one (or to free a descriptor)
	Refused      uint64 // closed at once: the table was full of busy connections
	AcceptErrors uint64 // failed accepts (EMFILE and the like), each followed by a back-off
}

// connServer is the accept loop and connection table both servers share.
type connServer struct {
	name   string
	lim    ServerLimits
	log    *slog.Logger
	warn   *ratelog.Limiter // peer-caused warnings: an attacker must not flood the log
	handle func(ctx context.Context, sc *serverConn)

	mu    sync.Mutex
	conns map[*serverConn]struct{}
	wg    sync.WaitGroup

	accepted, evicted, refused, acceptErrs atomic.Uint64
}

func newConnServer(name string, lim ServerLimits, log *slog.Logger, handle func(context.Context, *serverConn)) *connServer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &connServer{
		name: name, lim: lim, log: log, handle: handle,
		warn:  ratelog.New(log, 10, 10*time.Second),
		conns: map[*serverConn]struct{}{},
	}
}

// serverConn is one accepted connection and what eviction needs to know of it.
type serverConn struct {
	net.Conn
	accepted time.Time
	last     atomic.Int64 // Unix ns of the last whole request (or of the accept)
	proven   atomic.Bool  // it has sent at least one valid request
	busy     atomic.Int32 // requests being answered: never evicted while > 0
}

// served marks a whole, valid request: the connection is worth keeping.
func (sc *serverConn) served() {
	sc.proven.Store(true)
	sc.last.Store(time.Now().UnixNano())
}

// idleDeadline is when a connection waiting for its next request is closed.
func (s *connServer) idleDeadline(sc *serverConn) time.Time {
	if !sc.proven.Load() {
		return sc.accepted.Add(s.lim.FirstTimeout)
	}
	return time.Now().Add(s.lim.IdleTimeout)
}

// Stats reports the connection counts.
func (s *connServer) Stats() ServerStats {
	s.mu.Lock()
	n := len(s.conns)
	s.mu.Unlock()
	return ServerStats{Open: n, Accepted: s.accepted.Load(), Evicted: s.evicted.Load(),
		Refused: s.refused.Load(), AcceptErrors: s.acceptErrs.Load()}
}

// serve accepts on ln until ctx ends; it then closes ln and every connection
// and returns nil once their handlers are done. Accept errors other than a
// closed listener are backed off and retried: a server out of descriptors
// frees one (by evicting the longest-idle connection) and waits, instead of
// exiting.
func (s *connServer) serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	defer s.closeAll()
	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			s.acceptErrs.Add(1)
			if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				s.evict(true)
			}
			// As net/http does: 5 ms doubling to 1 s.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.warn.Warn(s.name+": accept failed, retrying", "err", err, "in", backoff)
			if !sleepCtx(ctx, backoff) {
				return nil
			}
			continue
		}
		backoff = 0
		s.accepted.Add(1)
		sc := &serverConn{Conn: c, accepted: time.Now()}
		sc.last.Store(sc.accepted.UnixNano())
		if !s.admit(sc) {
			s.refused.Add(1)
			s.warn.Warn(s.name+": every connection is busy, refusing one", "peer", c.RemoteAddr(), "limit", s.lim.MaxConns)
			c.Close()
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.drop(sc)
			s.handle(ctx, sc)
		}()
	}
}

// admit adds sc to the table, evicting an idle connection if it is full.
func (s *connServer) admit(sc *serverConn) bool {
	s.mu.Lock()
	full := len(s.conns) >= s.lim.MaxConns
	s.mu.Unlock()
	if full && !s.evict(false) {
		return false
	}
	s.mu.Lock()
	s.conns[sc] = struct{}{}
	s.mu.Unlock()
	return true
}

// evict closes the connection that deserves it most: not busy, unproven
// before proven, idle longest first. It is removed from the table at once so
// the count stays within the limit while its handler winds down. A linear scan:
// the table is at most MaxConns and eviction happens once per accept at most.
func (s *connServer) evict(forDescriptor bool) bool {
	s.mu.Lock()
	var victim *serverConn
	for sc := range s.conns {
		if sc.busy.Load() > 0 {
			continue
		}
		if victim == nil || worseThan(sc, victim) {
			victim = sc
		}
	}
	if victim != nil {
		delete(s.conns, victim)
	}
	s.mu.Unlock()
	if victim == nil {
		return false
	}
	s.evicted.Add(1)
	if forDescriptor {
		s.log.Debug(s.name+": closing the longest-idle connection to free a descriptor", "peer", victim.RemoteAddr())
	}
	victim.Close()
	return true
}

// worseThan reports whether a should be evicted before b.
func worseThan(a, b *serverConn) bool {
	if pa, pb := a.proven.Load(), b.proven.Load(); pa != pb {
		return !pa
	}
	return a.last.Load() < b.last.Load()
}

func (s *connServer) drop(sc *serverConn) {
	sc.Close()
	s.mu.Lock()
	delete(s.conns, sc)
	s.mu.Unlock()
}

func (s *connServer) closeAll() {
	s.mu.Lock()
	for sc := range s.conns {
		sc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// deadlineReader reads from a connection with the limits' deadlines: the idle
// one while no request has begun, the message one (from the request's first
// byte) once one has, and never past the first-request deadline of a
// connection that has not yet sent a whole request.
type deadlineReader struct {
	s        *connServer
	sc       *serverConn
	inMsg    func() bool // whether part of a request is buffered
	msgStart time.Time
}

func (r *deadlineReader) Read(p []byte) (int, error) {
	var d time.Time
	if r.inMsg() {
		if r.msgStart.IsZero() {
			r.msgStart = time.Now()
		}
		d = r.msgStart.Add(r.s.lim.MessageTimeout)
		if !r.sc.proven.Load() {
			d = minTime(d, r.sc.accepted.Add(r.s.lim.FirstTimeout))
		}
	} else {
		r.msgStart = time.Time{}
		d = r.s.idleDeadline(r.sc)
	}
	_ = r.sc.SetReadDeadline(d)
	return r.sc.Conn.Read(p)
}

// waitIdle waits, holding no read buffer, for the next request to begin.
func (r *deadlineReader) waitIdle() error {
	r.msgStart = time.Time{}
	_ = r.sc.SetReadDeadline(r.s.idleDeadline(r.sc))
	return waitReadable(r.sc.Conn)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// hasText reports whether b holds anything but white space.
func hasText(b []byte) bool { return len(bytes.TrimSpace(b)) > 0 }
