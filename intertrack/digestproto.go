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
	"sync"
	"time"
)

// The digest query protocol (TCP, text lines ending in LF; see doc.go):
//
//	QUERY <32 hex digits> [<from-ms> <to-ms>]   →  SEEN <asn> | UNSEEN <asn> | ERROR <reason>
//	AS                                          →  AS <asn>
const (
	maxDigestLine     = 128
	digestIdleTimeout = 60 * time.Second
	maxDigestConns    = 64
)

// DigestServer is what ServeDigests answers from.
type DigestServer interface {
	Contains(hash [16]byte, from, to time.Time) bool
}

// ServeDigests answers digest queries on ln until ctx ends, then closes ln and
// returns nil. At most 64 connections are served at once (more wait in the
// listen backlog); each is closed after a minute without a query.
func ServeDigests(ctx context.Context, ln net.Listener, asn uint32, s *DigestStore, log *slog.Logger) error {
	return serveDigests(ctx, ln, asn, s, log)
}

func serveDigests(ctx context.Context, ln net.Listener, asn uint32, s DigestServer, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var wg sync.WaitGroup
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	sem := make(chan struct{}, maxDigestConns)
	var (
		mu    sync.Mutex
		conns = map[net.Conn]struct{}{}
	)
	defer func() {
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}()
	for {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		c, err := ln.Accept()
		if err != nil {
			<-sem
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("digest server: accept: %w", err)
		}
		mu.Lock()
		conns[c] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			serveDigestConn(c, asn, s, log)
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
			c.Close()
		}()
	}
}

func serveDigestConn(c net.Conn, asn uint32, s DigestServer, log *slog.Logger) {
	r := bufio.NewReaderSize(c, maxDigestLine*2)
	w := bufio.NewWriter(c)
	for {
		_ = c.SetReadDeadline(time.Now().Add(digestIdleTimeout))
		line, err := r.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) || len(line) > maxDigestLine {
				fmt.Fprintf(w, "ERROR line longer than %d bytes\n", maxDigestLine)
				w.Flush()
			}
			return
		}
		reply := AnswerDigestQuery(line, asn, s)
		w.Write(reply)
		if r.Buffered() == 0 { // flush per batch: pipelined queries share a write
			if err := w.Flush(); err != nil {
				log.Debug("digest reply", "peer", c.RemoteAddr(), "err", err)
				return
			}
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
