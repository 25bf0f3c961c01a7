package collect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/packter/packter/internal/safefile"
)

// RunEVE reads Suricata EVE JSON from path until ctx ends, and sends every alert
// event as a record; alerts at least as severe as minSeverity (Suricata's scale:
// 1 is the most severe, so severities 1..minSeverity) are also spoken; 0 means
// the default, DefaultEVESeverity; a negative value speaks none. path is a
// regular file followed as it grows (rotation and truncation survived; it
// starts at the end of an existing file unless Options.FromStart), or
// `unix:PATH` / `unixgram:PATH` for a Unix stream / datagram socket it creates
// for Suricata's eve-log `filetype: unix_stream` / `unix_dgram`.
//
// No line is dropped: when the decoder is behind, the file waits (it is read
// later) and a socket's writer waits (the kernel holds it). Lines that cannot
// be read (not JSON, over 1 MiB) are counted as Malformed and logged.
func RunEVE(ctx context.Context, path string, minSeverity int, sink Sink, log *slog.Logger) error {
	return ServeEVE(ctx, path, minSeverity, sink, log, Options{})
}

// DefaultEVESeverity is RunEVE's minSeverity when given 0: only Suricata's most
// severe alerts are spoken (all are sent as records).
const DefaultEVESeverity = 1

// eveQueue is the default number of lines between the reader and the decoder.
const eveQueue = 1024

// ServeEVE is RunEVE with options.
func ServeEVE(ctx context.Context, path string, minSeverity int, sink Sink, log *slog.Logger, o Options) error {
	queue := o.Queue
	if queue <= 0 {
		queue = eveQueue
	}
	o = o.withDefaults()
	if minSeverity == 0 {
		minSeverity = DefaultEVESeverity
	}
	log = orDiscard(log)
	lines := make(chan []byte, queue)
	// push waits for the decoder: a burst of cheap alerts cannot push a
	// severe one out of the queue.
	push := func(line []byte) {
		o.Stats.Datagrams.Add(1)
		select {
		case lines <- bytes.Clone(line):
		case <-ctx.Done():
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		decodeEVE(lines, minSeverity, sink, log, path, o)
	}()
	overlong := func() {
		o.Stats.Malformed.Add(1)
		log.Warn("eve: line over 1 MiB skipped", "from", path)
	}
	var err error
	switch {
	case strings.HasPrefix(path, "unixgram:"):
		err = eveUnixgram(ctx, strings.TrimPrefix(path, "unixgram:"), push, o, log)
	case strings.HasPrefix(path, "unix:"):
		err = eveUnixStream(ctx, strings.TrimPrefix(path, "unix:"), push, overlong, o, log)
	default:
		tick := time.NewTicker(o.Poll)
		defer tick.Stop()
		ff := follower{path: path, line: push, overlong: overlong, fromStart: o.FromStart, log: log}
		err = ff.run(ctx, tick.C, o.Ready)
	}
	close(lines)
	<-done
	if err != nil {
		return fmt.Errorf("eve: %w", err)
	}
	return nil
}

// decodeEVE turns queued lines into records and spoken alerts.
func decodeEVE(lines <-chan []byte, minSeverity int, sink Sink, log *slog.Logger, path string, o Options) {
	ll := limitedLog{log: log, every: o.LogEvery}
	var a EVEAlert
	for line := range lines {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		err := ParseEVE(line, &a)
		if errors.Is(err, ErrNotAlert) {
			o.Stats.Skipped.Add(1)
			continue
		}
		if err != nil {
			o.Stats.Malformed.Add(1)
			ll.warn(o.Now(), "eve: bad line", path, err)
			continue
		}
		if a.Time.IsZero() {
			a.Time = o.Now()
		}
		f := a.Flow()
		sink.Flow(&f)
		o.Stats.Flows.Add(1)
		if minSeverity > 0 && a.Severity >= 1 && a.Severity <= minSeverity {
			sink.Alert(a.Spoken())
			o.Stats.Alerts.Add(1)
		}
	}
}

func eveUnixgram(ctx context.Context, path string, push func([]byte), o Options, log *slog.Logger) error {
	c, err := listenUnixgram(path)
	if err != nil {
		return err
	}
	defer os.Remove(path)
	defer c.Close()
	log.Info("eve datagram socket listening", "path", path)
	o.ready(c.LocalAddr())
	stop := closeOnDone(ctx, c)
	defer stop()
	buf := make([]byte, maxDatagram+1)
	for {
		// push waits while the decoder is behind; meanwhile the socket's queue
		// fills and the kernel makes Suricata wait: nothing is dropped here.
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("read %s: %w", path, err)
		}
		for line := range bytes.SplitSeq(buf[:n], []byte{'\n'}) {
			if len(bytes.TrimSpace(line)) > 0 {
				push(line)
			}
		}
	}
}

// maxEVEConns bounds simultaneous stream writers (Suricata uses one).
const maxEVEConns = 8

func eveUnixStream(ctx context.Context, path string, push func([]byte), overlong func(), o Options, log *slog.Logger) error {
	if err := removeStaleSocket(path); err != nil {
		return err
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return fmt.Errorf("listen unix %s: %w", path, err)
	}
	defer ln.Close()
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("restrict %s: %w", path, err)
	}
	log.Info("eve stream socket listening", "path", path)
	o.ready(ln.Addr())
	stop := closeOnDone(ctx, ln)
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, maxEVEConns)
	var mu sync.Mutex // serialises push across connections
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("accept %s: %w", path, err)
		}
		select {
		case slots <- struct{}{}:
		default:
			c.Close()
			o.Stats.Refused.Add(1)
			log.Warn("eve: stream connection refused: too many writers", "path", path, "max", maxEVEConns)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			stopc := closeOnDone(ctx, c)
			defer stopc()
			defer c.Close()
			_ = readLines(c, func(l []byte) { mu.Lock(); push(l); mu.Unlock() }, overlong)
		}()
	}
}

// lineSplitter gathers lines from reads; overlong lines are discarded whole.
type lineSplitter struct {
	buf     []byte
	discard bool // inside an overlong (or partly seen) line: skip to its end
}

func (s *lineSplitter) feed(p []byte, line func([]byte), overlong func()) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if !s.discard {
				if len(s.buf)+len(p) > maxEVELine {
					s.buf, s.discard = s.buf[:0], true
					overlong()
				} else {
					s.buf = append(s.buf, p...)
				}
			}
			return
		}
		if !s.discard {
			if len(s.buf)+i > maxEVELine {
				overlong()
			} else if len(s.buf) == 0 {
				line(p[:i])
			} else {
				s.buf = append(s.buf, p[:i]...)
				line(s.buf)
			}
		}
		s.buf, s.discard = s.buf[:0], false
		p = p[i+1:]
	}
}

func readLines(r io.Reader, line func([]byte), overlong func()) error {
	var s lineSplitter
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Read(buf)
		s.feed(buf[:n], line, overlong)
		if err != nil {
			if len(s.buf) > 0 && !s.discard {
				line(s.buf) // a last line without its newline
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// markLen is how many bytes before the read position a follower remembers, to
// notice a file truncated and refilled past that position between two polls.
const markLen = 64

// follower reads lines appended to a file, as `tail -F` does.
type follower struct {
	path      string
	line      func([]byte) // may wait: the file is read no faster than lines are taken
	overlong  func()
	fromStart bool
	log       *slog.Logger

	f    *os.File
	off  int64
	s    lineSplitter
	buf  []byte
	mark []byte // the markLen bytes before off, as read
}

// run follows the file until ctx ends, checking it at every tick. It starts at
// the end of an existing file (the beginning with fromStart); a file that
// appears later, replaces it (rotation) or shrinks or is rewritten
// (truncation) is read from its start. Before switching to a rotated file, the
// rest of the old one is read.
func (ff *follower) run(ctx context.Context, tick <-chan time.Time, ready func()) error {
	ff.buf = make([]byte, 64<<10)
	defer ff.closeFile()
	first := true
	for {
		if err := ff.check(first); err != nil {
			return err
		}
		if first {
			ready()
			first = false
		}
		if ff.f != nil {
			if err := ff.drain(ctx); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick:
		}
	}
}

func (ff *follower) closeFile() {
	if ff.f != nil {
		ff.f.Close()
	}
	ff.f, ff.off, ff.s, ff.mark = nil, 0, lineSplitter{}, ff.mark[:0]
}

// check looks at the path: opens the file, notices rotation and truncation.
func (ff *follower) check(first bool) error {
	st, err := os.Stat(ff.path)
	switch {
	case err == nil && ff.f == nil:
		f, err := safefile.Open(ff.path)
		if errors.Is(err, safefile.ErrNotRegular) {
			return fmt.Errorf("%s is not a regular file (for a socket write unix:%s or unixgram:%s)", ff.path, ff.path, ff.path)
		}
		if err != nil {
			return nil // gone again, or not readable yet: next tick
		}
		ff.f = f
		if first && !ff.fromStart {
			ff.startAtEnd(st.Size())
		}
	case err == nil:
		cur, _ := ff.f.Stat()
		if cur != nil && !os.SameFile(cur, st) { // rotated: finish the old file
			if err := ff.drain(context.Background()); err != nil {
				return err
			}
			ff.closeFile()
			return ff.check(false)
		}
		if st.Size() < ff.off || !ff.markHolds() { // truncated in place (and maybe refilled)
			ff.log.Info("eve: file truncated; reading it from its start", "path", ff.path)
			ff.off, ff.s, ff.mark = 0, lineSplitter{}, ff.mark[:0]
		}
	case errors.Is(err, fs.ErrNotExist):
		if ff.f != nil { // rotated away, new one not yet there
			if err := ff.drain(context.Background()); err != nil {
				return err
			}
			ff.closeFile()
		}
	default:
		return fmt.Errorf("stat %s: %w", ff.path, err)
	}
	return nil
}

// startAtEnd skips what the file holds; a line being written is skipped to
// its end rather than read as a broken line.
func (ff *follower) startAtEnd(size int64) {
	ff.off = size
	if size == 0 {
		return
	}
	n := min(size, markLen)
	b := make([]byte, n)
	if _, err := ff.f.ReadAt(b, size-n); err == nil {
		ff.mark = append(ff.mark[:0], b...)
		ff.s.discard = b[n-1] != '\n'
	}
}

// markHolds reports whether the bytes before off are still those read there:
// a file truncated and refilled past off between two checks has other bytes.
func (ff *follower) markHolds() bool {
	if len(ff.mark) == 0 {
		return true
	}
	var b [markLen]byte
	got := b[:len(ff.mark)]
	n, _ := ff.f.ReadAt(got, ff.off-int64(len(got)))
	return n == len(got) && bytes.Equal(got, ff.mark)
}

// drain reads to the end of the file; ctx ends only the wait for the decoder.
func (ff *follower) drain(ctx context.Context) error {
	for ctx.Err() == nil {
		n, err := ff.f.ReadAt(ff.buf, ff.off)
		ff.off += int64(n)
		ff.remember(ff.buf[:n])
		ff.s.feed(ff.buf[:n], ff.line, ff.overlong)
		if err == io.EOF || n == 0 {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", ff.path, err)
		}
	}
	return nil
}

// remember keeps the last markLen bytes read.
func (ff *follower) remember(p []byte) {
	if len(p) >= markLen {
		ff.mark = append(ff.mark[:0], p[len(p)-markLen:]...)
		return
	}
	ff.mark = append(ff.mark, p...)
	if over := len(ff.mark) - markLen; over > 0 {
		ff.mark = append(ff.mark[:0], ff.mark[over:]...)
	}
}
