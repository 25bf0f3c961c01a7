package bus

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// Traceback digest queries over NATS request/reply: the agent's digest
// server (intertrack.ServeDigests) accepts from a DigestListener instead of
// a TCP socket, and the decision point dials "nats:ASN" through a
// DigestDialer, so the protocol and its limits stay intertrack's and a
// trace crosses sites through the servers already there. Each request is
// one connection carrying one message of query lines; its reply is the
// answer lines.

// DigestScheme prefixes a digest address reached over NATS: "nats:65001".
const DigestScheme = "nats:"

// maxDigestRequest bounds a request's bytes: a few pipelined query lines.
const maxDigestRequest = 4 << 10

// DigestListener is a net.Listener whose connections are digest requests
// arriving on packter-digests.<asn>. Agents of one AS share the subject in
// a queue group: one of them answers each request.
type DigestListener struct {
	sub  *nats.Subscription
	ch   chan *nats.Msg
	subj string
	once sync.Once
	done chan struct{}
}

// ListenDigests subscribes to asn's digest requests.
func ListenDigests(nc *nats.Conn, asn uint32) (*DigestListener, error) {
	if asn == 0 {
		return nil, errors.New("digests over NATS need this agent's AS number (--as)")
	}
	l := &DigestListener{ch: make(chan *nats.Msg, 64), subj: digestSubject(asn), done: make(chan struct{})}
	sub, err := nc.ChanQueueSubscribe(l.subj, "packter-digests", l.ch)
	if err != nil {
		return nil, fmt.Errorf("digests on %s: %w", l.subj, err)
	}
	l.sub = sub
	return l, nil
}

// Accept waits for the next request.
func (l *DigestListener) Accept() (net.Conn, error) {
	for {
		select {
		case <-l.done:
			return nil, net.ErrClosed
		case m := <-l.ch:
			if m.Reply == "" || len(m.Data) > maxDigestRequest {
				continue // nobody to answer, or not a query: the asker times out
			}
			req := m.Data
			if !bytes.HasSuffix(req, []byte("\n")) {
				req = append(req[:len(req):len(req)], '\n')
			}
			return &reqConn{m: m, r: bytes.NewReader(req), subj: l.subj}, nil
		}
	}
}

// Close stops listening.
func (l *DigestListener) Close() error {
	l.once.Do(func() {
		close(l.done)
		_ = l.sub.Unsubscribe()
	})
	return nil
}

// Addr is the subject.
func (l *DigestListener) Addr() net.Addr { return subjAddr(l.subj) }

// reqConn is one request as a connection: reads return the request, writes
// gather the reply, Close sends it.
type reqConn struct {
	m    *nats.Msg
	r    *bytes.Reader
	mu   sync.Mutex
	out  []byte
	sent bool
	subj string
}

func (c *reqConn) Read(b []byte) (int, error) { return c.r.Read(b) }

func (c *reqConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sent || len(c.out)+len(b) > maxDigestRequest {
		return 0, io.ErrShortWrite
	}
	c.out = append(c.out, b...)
	return len(b), nil
}

func (c *reqConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sent || len(c.out) == 0 {
		c.sent = true
		return nil
	}
	c.sent = true
	return c.m.Respond(c.out)
}

func (c *reqConn) LocalAddr() net.Addr              { return subjAddr(c.subj) }
func (c *reqConn) RemoteAddr() net.Addr             { return subjAddr(c.m.Reply) }
func (c *reqConn) SetDeadline(time.Time) error      { return nil }
func (c *reqConn) SetReadDeadline(time.Time) error  { return nil }
func (c *reqConn) SetWriteDeadline(time.Time) error { return nil }

type subjAddr string

func (a subjAddr) Network() string { return "nats" }
func (a subjAddr) String() string  { return string(a) }

// ContextDialer is intertrack.Dialer's shape.
type ContextDialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// DigestDialer reaches digest stores: "nats:ASN" over NATS request/reply,
// anything else through Fallback (a net.Dialer when nil). Give it to the
// decision point as its Dialer.
type DigestDialer struct {
	NC       *nats.Conn
	Fallback ContextDialer
}

// DialContext opens a request to addr.
func (d *DigestDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	rest, ok := strings.CutPrefix(addr, DigestScheme)
	if !ok {
		if d.Fallback != nil {
			return d.Fallback.DialContext(ctx, network, addr)
		}
		var nd net.Dialer
		return nd.DialContext(ctx, network, addr)
	}
	asn, err := ParseDigestAddr(rest)
	if err != nil {
		return nil, err
	}
	if d.NC == nil {
		return nil, fmt.Errorf("digest address %q needs a NATS connection (--nats)", addr)
	}
	return &askConn{nc: d.NC, ctx: ctx, subj: digestSubject(asn)}, nil
}

// ParseDigestAddr reads the AS number after "nats:".
func ParseDigestAddr(s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("digest address %q: want nats:ASN", DigestScheme+s)
	}
	return uint32(n), nil
}

// askConn is the asking side: writes gather the query, the first read sends
// it and waits for the reply (bounded by the dial context and deadlines).
type askConn struct {
	nc       *nats.Conn
	ctx      context.Context
	subj     string
	mu       sync.Mutex
	query    []byte
	reply    *bytes.Reader
	deadline time.Time
}

func (c *askConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reply != nil || len(c.query)+len(b) > maxDigestRequest {
		return 0, io.ErrShortWrite
	}
	c.query = append(c.query, b...)
	return len(b), nil
}

func (c *askConn) Read(b []byte) (int, error) {
	c.mu.Lock()
	if c.reply == nil {
		ctx, cancel := c.ctx, context.CancelFunc(func() {})
		if !c.deadline.IsZero() {
			ctx, cancel = context.WithDeadline(ctx, c.deadline)
		}
		q, subj := c.query, c.subj
		c.mu.Unlock()
		m, err := c.nc.RequestWithContext(ctx, subj, q)
		cancel()
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				err = fmt.Errorf("%s: %w", subj, errTimeout)
			}
			return 0, err
		}
		c.mu.Lock()
		c.reply = bytes.NewReader(m.Data)
	}
	r := c.reply
	c.mu.Unlock()
	return r.Read(b)
}

// errTimeout is what a net.Conn's timeout looks like to callers that
// check net.Error.Timeout.
var errTimeout error = timeoutErr{}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func (c *askConn) Close() error                     { return nil }
func (c *askConn) LocalAddr() net.Addr              { return subjAddr("_INBOX") }
func (c *askConn) RemoteAddr() net.Addr             { return subjAddr(c.subj) }
func (c *askConn) SetReadDeadline(time.Time) error  { return nil }
func (c *askConn) SetWriteDeadline(time.Time) error { return nil }
func (c *askConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return nil
}
