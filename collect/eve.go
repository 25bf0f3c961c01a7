package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrNotAlert is returned by ParseEVE for EVE events other than alerts (flow,
// stats, dns, ...): not malformed, just not ours.
var ErrNotAlert = errors.New("not an alert event")

// maxEVELine bounds one EVE JSON line; longer lines are discarded.
const maxEVELine = 1 << 20

// EVEAlert is one Suricata EVE alert event.
type EVEAlert struct {
	Time               time.Time // zero when the event had none we could read
	Src, Dst           netip.Addr
	SPort, DPort       uint16
	Proto              uint8
	ICMPType, ICMPCode uint8
	Signature          string
	SID, GID, Rev      uint32
	Severity           int // 1 is the most severe; 0 when absent
	Category           string
}

type eveJSON struct {
	Timestamp string          `json:"timestamp"`
	EventType string          `json:"event_type"`
	SrcIP     string          `json:"src_ip"`
	SrcPort   uint16          `json:"src_port"`
	DestIP    string          `json:"dest_ip"`
	DestPort  uint16          `json:"dest_port"`
	Proto     json.RawMessage `json:"proto"`
	ICMPType  uint8           `json:"icmp_type"`
	ICMPCode  uint8           `json:"icmp_code"`
	Alert     *struct {
		Signature   string `json:"signature"`
		SignatureID uint32 `json:"signature_id"`
		GID         uint32 `json:"gid"`
		Rev         uint32 `json:"rev"`
		Severity    int    `json:"severity"`
		Category    string `json:"category"`
	} `json:"alert"`
}

// ParseEVE decodes one EVE JSON line. Events of other types give ErrNotAlert.
func ParseEVE(line []byte, a *EVEAlert) error {
	var j eveJSON
	if err := json.Unmarshal(line, &j); err != nil {
		return fmt.Errorf("eve: %w", err)
	}
	if j.EventType != "alert" {
		return ErrNotAlert
	}
	if j.Alert == nil {
		return fmt.Errorf("eve: alert event without alert object: %w", ErrFormat)
	}
	src, err := netip.ParseAddr(j.SrcIP)
	if err != nil {
		return fmt.Errorf("eve src_ip: %w", err)
	}
	dst, err := netip.ParseAddr(j.DestIP)
	if err != nil {
		return fmt.Errorf("eve dest_ip: %w", err)
	}
	*a = EVEAlert{
		Src: src.Unmap(), Dst: dst.Unmap(), SPort: j.SrcPort, DPort: j.DestPort,
		Proto: eveProto(j.Proto), ICMPType: j.ICMPType, ICMPCode: j.ICMPCode,
		Signature: j.Alert.Signature, SID: j.Alert.SignatureID, GID: j.Alert.GID,
		Rev: j.Alert.Rev, Severity: j.Alert.Severity, Category: j.Alert.Category,
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999-0700", j.Timestamp); err == nil {
		a.Time = t
	} else if t, err := time.Parse(time.RFC3339Nano, j.Timestamp); err == nil {
		a.Time = t
	}
	return nil
}

// eveProto reads Suricata's proto: a name ("TCP", "IPv6-ICMP") or, for
// protocols it has no name for, the number (as a string or a number).
func eveProto(raw json.RawMessage) uint8 {
	s := strings.Trim(string(raw), `"`)
	switch strings.ToUpper(s) {
	case "TCP":
		return 6
	case "UDP":
		return 17
	case "ICMP":
		return 1
	case "IPV6-ICMP", "ICMPV6":
		return 58
	case "SCTP":
		return 132
	case "GRE":
		return 47
	case "ESP":
		return 50
	}
	if n, err := strconv.ParseUint(s, 10, 8); err == nil {
		return uint8(n)
	}
	return 0
}

// Description is `Incident:SIGNATURE sid:N gen:N rev:N`, as for Snort alerts.
func (a *EVEAlert) Description() string {
	return string(appendIncident(make([]byte, 0, 64+len(a.Signature)), a.Signature, a.SID, a.GID, a.Rev))
}

// Flow is the alert as a flow record for the sink.
func (a *EVEAlert) Flow() Flow {
	return Flow{
		Time: a.Time, Src: a.Src, Dst: a.Dst, SPort: a.SPort, DPort: a.DPort,
		Proto: a.Proto, ICMPType: a.ICMPType, ICMPCode: a.ICMPCode,
		Packets: 1, Desc: a.Description(),
	}
}

// Spoken is the text of a spoken alert: short, no numbers to spell out.
func (a *EVEAlert) Spoken() string {
	return fmt.Sprintf("Intrusion alert, severity %d: %s, from %s", a.Severity, a.Signature, a.Src)
}

// RunEVE reads Suricata EVE JSON from path until ctx ends, and sends every alert
// event as a record; alerts at least as severe as minSeverity (Suricata's scale:
// 1 is the most severe, so severities 1..minSeverity) are also spoken; 0 means
// the default, DefaultEVESeverity; a negative value speaks none. path is a file followed as it grows (rotation and truncation survived;
// it starts at the file's end), or `unix:PATH` / `unixgram:PATH` for a Unix
// stream / datagram socket it creates for Suricata's eve-log
// `filetype: unix_stream` / `unix_dgram`.
func RunEVE(ctx context.Context, path string, minSeverity int, sink Sink, log *slog.Logger) error {
	return ServeEVE(ctx, path, minSeverity, sink, log, Options{})
}

// DefaultEVESeverity is RunEVE's minSeverity when given 0: only Suricata's most
// severe alerts are spoken (all are sent as records).
const DefaultEVESeverity = 1

// ServeEVE is RunEVE with options.
func ServeEVE(ctx context.Context, path string, minSeverity int, sink Sink, log *slog.Logger, o Options) error {
	o = o.withDefaults()
	if minSeverity == 0 {
		minSeverity = DefaultEVESeverity
	}
	log = orDiscard(log)
	ll := limitedLog{log: log, every: o.LogEvery}
	lines := make(chan []byte, o.Queue*16)
	// push never blocks a reader: when the decoder is behind, lines are dropped.
	push := func(line []byte) {
		o.Stats.Datagrams.Add(1)
		select {
		case lines <- bytes.Clone(line):
		default:
			o.Stats.Dropped.Add(1)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
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
	}()
	var err error
	switch {
	case strings.HasPrefix(path, "unixgram:"):
		err = eveUnixgram(ctx, strings.TrimPrefix(path, "unixgram:"), push, o, log)
	case strings.HasPrefix(path, "unix:"):
		err = eveUnixStream(ctx, strings.TrimPrefix(path, "unix:"), push, o, log)
	default:
		err = followFile(ctx, path, 250*time.Millisecond, push, func() { o.Stats.Malformed.Add(1) }, o.Ready)
	}
	close(lines)
	<-done
	if err != nil {
		return fmt.Errorf("eve: %w", err)
	}
	return nil
}

func eveUnixgram(ctx context.Context, path string, push func([]byte), o Options, log *slog.Logger) error {
	c, err := listenUnixgram(path)
	if err != nil {
		return err
	}
	defer os.Remove(path)
	defer c.Close()
	log.Info("eve datagram socket listening", "path", path)
	o.Ready()
	stop := closeOnDone(ctx, c)
	defer stop()
	buf := make([]byte, maxDatagram+1)
	for {
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

func eveUnixStream(ctx context.Context, path string, push func([]byte), o Options, log *slog.Logger) error {
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
	o.Ready()
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
			o.Stats.Dropped.Add(1)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			stopc := closeOnDone(ctx, c)
			defer stopc()
			defer c.Close()
			_ = readLines(c, func(l []byte) { mu.Lock(); push(l); mu.Unlock() }, func() { o.Stats.Malformed.Add(1) })
		}()
	}
}

// lineSplitter gathers lines from reads; overlong lines are discarded whole.
type lineSplitter struct {
	buf     []byte
	discard bool // inside an overlong line: skip to its end
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

// followFile reads lines appended to path, polling every period, until ctx ends.
// It starts at the end of an existing file; a file that appears later, replaces
// it (rotation) or shrinks (truncation) is read from its start. Before switching
// to a rotated file, the rest of the old one is read.
func followFile(ctx context.Context, path string, period time.Duration, line func([]byte), overlong func(), ready func()) error {
	var (
		f   *os.File
		s   lineSplitter
		buf = make([]byte, 64<<10)
		off int64
	)
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	drain := func() error {
		for {
			n, err := f.ReadAt(buf, off)
			off += int64(n)
			s.feed(buf[:n], line, overlong)
			if err == io.EOF || n == 0 {
				return nil
			}
			if err != nil {
				return fmt.Errorf("read %s: %w", path, err)
			}
		}
	}
	first := true
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		st, err := os.Stat(path)
		switch {
		case err == nil && f == nil:
			if !st.Mode().IsRegular() {
				return fmt.Errorf("%s is not a regular file (for a socket write unix:%s or unixgram:%s)", path, path, path)
			}
			nf, err := os.Open(path)
			if err == nil {
				f, off = nf, 0
				if first {
					off = st.Size() // only what is written from now on
				}
			}
		case err == nil:
			cur, _ := f.Stat()
			if cur != nil && !os.SameFile(cur, st) { // rotated
				if err := drain(); err != nil {
					return err
				}
				f.Close()
				f, off, s = nil, 0, lineSplitter{}
				continue
			}
			if st.Size() < off { // truncated in place
				off, s = 0, lineSplitter{}
			}
		case errors.Is(err, fs.ErrNotExist):
			if f != nil { // rotated away, new one not yet there
				if err := drain(); err != nil {
					return err
				}
				f.Close()
				f, off, s = nil, 0, lineSplitter{}
			}
		default:
			return fmt.Errorf("stat %s: %w", path, err)
		}
		if first {
			ready()
		}
		first = false
		if f != nil {
			if err := drain(); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
