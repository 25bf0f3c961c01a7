package intertrack

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"
)

// The digest query protocol (TCP, text lines ending in LF; see doc.go):
//
//	QUERY <32 hex digits> [<from-ms> <to-ms>]   →  SEEN <asn> | UNSEEN <asn> | ERROR <reason>
//	AS                                          →  AS <asn>
const maxDigestLine = 128

// digestLimits: the DP opens a connection per query and closes it, so a
// connection has little reason to idle; at most 256 are held, and idle ones
// make room for new ones, so idle connections never block a trace query.
var digestLimits = ServerLimits{
	MaxConns:       256,
	FirstTimeout:   10 * time.Second,
	IdleTimeout:    60 * time.Second,
	MessageTimeout: 10 * time.Second,
}

// DigestServer is what ServeDigests answers from.
type DigestServer interface {
	Contains(hash [16]byte, from, to time.Time) bool
}

// ServeDigests answers digest queries on ln until ctx ends, then closes ln and
// returns nil, with the default limits (see DigestListener).
func ServeDigests(ctx context.Context, ln net.Listener, asn uint32, s *DigestStore, log *slog.Logger) error {
	return NewDigestListener(asn, s, log, ServerLimits{}).Serve(ctx, ln)
}

// DigestListener serves the digest query protocol for one AS.
type DigestListener struct {
	asn   uint32
	store DigestServer
	srv   *connServer
}

// NewDigestListener answers for asn from s. Zero limits take the defaults: at
// most 256 connections (a new one takes the place of the one idle longest),
// 10 s for a new connection's first query and for any one line, 60 s idle
// between queries.
func NewDigestListener(asn uint32, s DigestServer, log *slog.Logger, lim ServerLimits) *DigestListener {
	l := &DigestListener{asn: asn, store: s}
	l.srv = newConnServer("digest server", lim.withDefaults(digestLimits), log, l.serveConn)
	return l
}

// Serve answers on ln until ctx ends, then closes ln and every connection and
// returns nil. Accept failures (no file descriptors left) are backed off and
// retried; it returns an error only if ln is closed under it.
func (l *DigestListener) Serve(ctx context.Context, ln net.Listener) error {
	if err := l.srv.serve(ctx, ln); err != nil {
		return fmt.Errorf("digest server: accept: %w", err)
	}
	return nil
}

// Stats counts the server's connections.
func (l *DigestListener) Stats() ServerStats { return l.srv.Stats() }

// serveConn answers lines until the peer goes or a limit ends it. Between
// queries it waits holding no read; its buffers are small (a line is at most
// 128 bytes and each reply shorter).
func (l *DigestListener) serveConn(ctx context.Context, sc *serverConn) {
	c := sc.Conn
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	dr := &deadlineReader{s: l.srv, sc: sc}
	r := bufio.NewReaderSize(dr, maxDigestLine*2)
	dr.inMsg = func() bool { return r.Buffered() > 0 }
	w := bufio.NewWriterSize(c, 256)
	for {
		if r.Buffered() == 0 {
			if err := dr.waitIdle(); err != nil {
				return
			}
		}
		line, err := r.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) || len(line) > maxDigestLine {
				fmt.Fprintf(w, "ERROR line longer than %d bytes\n", maxDigestLine)
				w.Flush()
			}
			return
		}
		sc.busy.Add(1)
		reply := AnswerDigestQuery(line, l.asn, l.store)
		if !bytes.HasPrefix(reply, []byte("ERROR")) {
			sc.served()
		} else {
			l.srv.warn.Warn("digest server: bad request", "peer", c.RemoteAddr(), "reply", clip(string(bytes.TrimSpace(reply))))
		}
		_ = c.SetWriteDeadline(time.Now().Add(l.srv.lim.MessageTimeout))
		w.Write(reply)
		if r.Buffered() == 0 { // flush per batch: pipelined queries share a write
			err = w.Flush()
		}
		sc.busy.Add(-1)
		if err != nil {
			l.srv.log.Debug("digest reply", "peer", c.RemoteAddr(), "err", err)
			return
		}
	}
}

// AnswerDigestQuery turns one request line into its reply line. It is the
// pure core of the server (and its fuzz target).
func AnswerDigestQuery(line []byte, asn uint32, s DigestServer) []byte {
	line = bytes.TrimRight(line, "\r\n")
	f := bytes.Fields(line)
	a := strconv.FormatUint(uint64(asn), 10)
	switch {
	case len(f) == 1 && string(f[0]) == "AS":
		return []byte("AS " + a + "\n")
	case len(f) >= 2 && string(f[0]) == "QUERY":
		h, err := ParseHash(string(f[1]))
		if err != nil {
			return []byte("ERROR hash must be 32 hex digits\n")
		}
		var from, to time.Time
		switch len(f) {
		case 2:
		case 4:
			fm, err1 := strconv.ParseInt(string(f[2]), 10, 64)
			tm, err2 := strconv.ParseInt(string(f[3]), 10, 64)
			if err1 != nil || err2 != nil || fm < 0 || tm < 0 {
				return []byte("ERROR times must be Unix milliseconds\n")
			}
			if fm > 0 {
				from = time.UnixMilli(fm)
			}
			if tm > 0 {
				to = time.UnixMilli(tm)
			}
		default:
			return []byte("ERROR usage: QUERY <hash> [<from-ms> <to-ms>]\n")
		}
		if s.Contains(h, from, to) {
			return []byte("SEEN " + a + "\n")
		}
		return []byte("UNSEEN " + a + "\n")
	}
	return []byte("ERROR unknown request\n")
}

// DigestAnswer is one agent's answer to a query.
type DigestAnswer struct {
	Seen bool
	ASN  uint32
}

// ParseDigestReply parses a reply line (pure; fuzzed).
func ParseDigestReply(line []byte) (DigestAnswer, error) {
	if len(line) > maxDigestLine {
		return DigestAnswer{}, fmt.Errorf("digest reply longer than %d bytes", maxDigestLine)
	}
	line = bytes.TrimRight(line, "\r\n")
	word, rest, _ := bytes.Cut(line, []byte(" "))
	switch string(word) {
	case "SEEN", "UNSEEN":
		n, err := strconv.ParseUint(string(rest), 10, 32)
		if err != nil {
			return DigestAnswer{}, fmt.Errorf("digest reply %q: bad AS number", clip(string(line)))
		}
		return DigestAnswer{Seen: string(word) == "SEEN", ASN: uint32(n)}, nil
	case "ERROR":
		return DigestAnswer{}, fmt.Errorf("agent says: %s", clip(string(rest)))
	}
	return DigestAnswer{}, fmt.Errorf("digest reply %q is not SEEN, UNSEEN or ERROR", clip(string(line)))
}

// Dialer opens connections; net.Dialer satisfies it, and tests pass their own
// (e.g. one that enters a network namespace).
type Dialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// QueryDigest asks the agent at addr whether it saw hash within [from, to]
// (zero times: its whole history). ctx bounds the whole exchange.
func QueryDigest(ctx context.Context, d Dialer, addr string, hash [16]byte, from, to time.Time) (DigestAnswer, error) {
	if d == nil {
		d = &net.Dialer{}
	}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return DigestAnswer{}, fmt.Errorf("digest query to %s: %w", addr, err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	var fm, tm int64
	if !from.IsZero() {
		fm = from.UnixMilli()
	}
	if !to.IsZero() {
		tm = to.UnixMilli()
	}
	if _, err := fmt.Fprintf(c, "QUERY %x %d %d\n", hash, fm, tm); err != nil {
		return DigestAnswer{}, fmt.Errorf("digest query to %s: %w", addr, err)
	}
	r := bufio.NewReaderSize(c, maxDigestLine*2)
	line, err := r.ReadSlice('\n')
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return DigestAnswer{}, fmt.Errorf("digest query to %s: %w", addr, err)
	}
	a, err := ParseDigestReply(line)
	if err != nil {
		return DigestAnswer{}, fmt.Errorf("digest query to %s: %w", addr, err)
	}
	return a, nil
}
