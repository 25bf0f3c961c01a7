package collect

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Snort 2's alert_unixsock Alertpkt (spo_alert_unixsock.h), in the sender's byte
// order, laid out by the C compiler:
//
//	uint8_t  alertmsg[256]
//	struct pcap_pkthdr32 { uint32 tv_sec, tv_usec, caplen, len } pkth   @256
//	uint32_t dlthdr, nethdr, transhdr, data, val                        @272..292
//	uint8_t  pkt[65535]                                                 @292
//	Event { uint32 sig_generator, sig_id, sig_rev, classification,
//	        priority, event_id, event_reference; struct timeval ref_time }
//
// Event holds a struct timeval, so it is aligned to 8 on 64-bit hosts (@65832,
// total 65880) and to 4 on 32-bit ones (@65828, total 65864).
const (
	alertMsgLen   = 256
	alertPkthOff  = 256
	alertOffsets  = 272
	alertPktOff   = 292
	alertPktLen   = 65535
	alertEvent64  = 65832
	alertSize64   = 65880
	alertEvent32  = 65828
	alertSize32   = 65864
	alertEventLen = 28 // the seven uint32 before ref_time

	alertNoPacket = 0x1 // NOPACKET_STRUCT: pkth and pkt are not valid
	alertNoTrans  = 0x2 // NO_TRANSHDR
)

// Alertpkt is a decoded Snort alert.
type Alertpkt struct {
	Msg                 []byte // alert message, up to its NUL; aliases the datagram
	Time                time.Time
	CapLen, Len         uint32
	DLTHdr, NetHdr      uint32
	TransHdr, Data, Val uint32
	Packet              []byte // the captured bytes (CapLen of them); aliases the datagram
	Generator, SID, Rev uint32
	Class, Priority     uint32
	EventID, EventRef   uint32
	HasPacket           bool
}

// DecodeAlertpkt decodes one alert_unixsock datagram in byte order bo (Snort
// writes its host's order: binary.NativeEndian for a local Snort).
func DecodeAlertpkt(b []byte, bo binary.ByteOrder, a *Alertpkt) error {
	var ev int
	switch {
	case len(b) >= alertSize64:
		ev = alertEvent64
	case len(b) >= alertSize32:
		ev = alertEvent32
	default:
		return fmt.Errorf("snort alertpkt: %d bytes, want %d or %d: %w", len(b), alertSize64, alertSize32, ErrShort)
	}
	msg := b[:alertMsgLen]
	if i := bytes.IndexByte(msg, 0); i >= 0 {
		msg = msg[:i]
	}
	u := func(off int) uint32 { return bo.Uint32(b[off:]) }
	*a = Alertpkt{
		Msg:       msg,
		Time:      time.Unix(int64(u(alertPkthOff)), int64(u(alertPkthOff+4))*1000),
		CapLen:    u(alertPkthOff + 8),
		Len:       u(alertPkthOff + 12),
		DLTHdr:    u(alertOffsets),
		NetHdr:    u(alertOffsets + 4),
		TransHdr:  u(alertOffsets + 8),
		Data:      u(alertOffsets + 12),
		Val:       u(alertOffsets + 16),
		Generator: u(ev),
		SID:       u(ev + 4),
		Rev:       u(ev + 8),
		Class:     u(ev + 12),
		Priority:  u(ev + 16),
		EventID:   u(ev + 20),
		EventRef:  u(ev + 24),
	}
	if a.Val&alertNoPacket == 0 && a.CapLen > 0 {
		if a.CapLen > alertPktLen {
			return fmt.Errorf("snort alertpkt: caplen %d: %w", a.CapLen, ErrFormat)
		}
		a.Packet = b[alertPktOff : alertPktOff+int(a.CapLen)]
		a.HasPacket = true
	}
	return nil
}

// AppendDescription appends `Incident:MSG sid:N gen:N rev:N`, PACKTER's
// description of a Snort alert. Commas and line ends in MSG become spaces: they
// would end the record's field or line.
func (a *Alertpkt) AppendDescription(dst []byte) []byte {
	return appendIncident(dst, a.Msg, a.SID, a.Generator, a.Rev)
}

// appendIncident appends `Incident:MSG sid:N gen:N rev:N`, the description
// Snort and Suricata alerts share.
func appendIncident[T string | []byte](dst []byte, msg T, sid, gen, rev uint32) []byte {
	dst = append(dst, "Incident:"...)
	dst = appendClean(dst, msg)
	dst = append(dst, " sid:"...)
	dst = strconv.AppendUint(dst, uint64(sid), 10)
	dst = append(dst, " gen:"...)
	dst = strconv.AppendUint(dst, uint64(gen), 10)
	dst = append(dst, " rev:"...)
	return strconv.AppendUint(dst, uint64(rev), 10)
}

// appendClean appends text fit for one PACKTER description: no line ends, no
// control characters. (Commas are kept: the description runs to the end of line.)
func appendClean[T string | []byte](dst []byte, s T) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			c = ' '
		}
		dst = append(dst, c)
	}
	return dst
}

// frame picks what of the alert's packet goes to the packet path: from the
// network header as raw IP when Snort found one, else the whole frame as
// Ethernet (Snort's usual link).
func (a *Alertpkt) frame() (uint32, []byte) {
	if a.NetHdr > 0 && a.NetHdr < uint32(len(a.Packet)) {
		p := a.Packet[a.NetHdr:]
		if v := p[0] >> 4; v == 4 || v == 6 {
			return LinkRaw, p
		}
	}
	if len(a.Packet) > 0 && a.NetHdr == 0 && a.Packet[0]>>4 == 4 && a.DLTHdr == 0 && len(a.Packet) >= 20 && a.Packet[0]&0x0f >= 5 {
		// A raw-IP capture: no link header at all.
		if int(binary.BigEndian.Uint16(a.Packet[2:])) == int(a.Len) {
			return LinkRaw, a.Packet
		}
	}
	return LinkEthernet, a.Packet
}

// RunSnort receives Snort's alert_unixsock datagrams on the Unix datagram socket
// path (which it creates, mode 0600, replacing a stale socket; Snort's
// alert_unixsock writes to <logdir>/snort_alert) until ctx ends.
func RunSnort(ctx context.Context, path string, sink Sink, log *slog.Logger) error {
	return RunSnortWith(ctx, path, sink, log, Options{})
}

// RunSnortWith is RunSnort with options.
func RunSnortWith(ctx context.Context, path string, sink Sink, log *slog.Logger, o Options) error {
	c, err := listenUnixgram(path)
	if err != nil {
		return fmt.Errorf("snort: %w", err)
	}
	defer os.Remove(path)
	defer c.Close()
	log = orDiscard(log)
	log.Info("snort alert socket listening", "path", path)
	return ServeSnort(ctx, c, sink, log, o)
}

// listenUnixgram binds a Unix datagram socket only the owner may write to.
func listenUnixgram(path string) (*net.UnixConn, error) {
	if err := removeStaleSocket(path); err != nil {
		return nil, err
	}
	// Bind under a temporary name, restrict it, then rename it into place: no
	// moment when another user could connect, and no process-wide umask change.
	tmp := filepath.Join(filepath.Dir(path), fmt.Sprintf(".%s.%d.tmp", filepath.Base(path), os.Getpid()))
	_ = removeStaleSocket(tmp)
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: tmp, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("listen unixgram %s: %w", path, err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		c.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("restrict %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		c.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("place socket %s: %w", path, err)
	}
	_ = c.SetReadBuffer(4 << 20)
	return c, nil
}

// removeStaleSocket removes a socket left at path by an earlier run; anything
// else at path is an error, never removed.
func removeStaleSocket(path string) error {
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("%s exists and is not a socket", path)
	}
	return os.Remove(path)
}

// ServeSnort decodes alert datagrams from an open connection until ctx ends.
func ServeSnort(ctx context.Context, conn net.PacketConn, sink Sink, log *slog.Logger, o Options) error {
	o = o.withDefaults()
	ll := limitedLog{log: orDiscard(log), every: o.LogEvery}
	var (
		a    Alertpkt
		desc []byte
	)
	return serveUnixgram(ctx, conn, o, func(from string, b []byte, now time.Time) {
		if err := DecodeAlertpkt(b, binary.NativeEndian, &a); err != nil {
			o.Stats.Malformed.Add(1)
			ll.warn(now, "snort: bad alert", from, err)
			return
		}
		desc = a.AppendDescription(desc[:0])
		if !a.HasPacket {
			// Nothing to fly: the alert is still worth hearing.
			sink.Alert(string(desc))
			o.Stats.Alerts.Add(1)
			return
		}
		link, p := a.frame()
		ts := a.Time
		if ts.Unix() == 0 {
			ts = now
		}
		sink.Frame(link, p, ts, string(desc))
		o.Stats.Frames.Add(1)
	})
}

// unixgramSlots is how many alerts wait between the socket reader and the
// decoder (66 KiB each).
const unixgramSlots = 64

// serveUnixgram reads a Unix datagram socket (whose senders are usually
// unnamed) with backpressure: when the decoder is behind, the reader waits,
// the socket's queue fills and the kernel makes the sender wait, so no alert
// is dropped on our side (Snort's and Suricata's sockets are local).
func serveUnixgram(ctx context.Context, conn net.PacketConn, o Options, h func(from string, b []byte, now time.Time)) error {
	stop := closeOnDone(ctx, conn)
	defer stop()
	const slot = alertSize64 + 1024
	free := make(chan []byte, unixgramSlots)
	for range unixgramSlots {
		free <- make([]byte, slot)
	}
	type dg struct {
		buf  []byte
		n    int
		from string
		at   time.Time
	}
	work := make(chan dg, unixgramSlots)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for d := range work {
			h(d.from, d.buf[:d.n], d.at)
			free <- d.buf
		}
	}()
	defer func() { close(work); <-done }()
	o.ready(conn.LocalAddr())
	for {
		var buf []byte
		select {
		case buf = <-free:
		case <-ctx.Done():
			return nil
		}
		n, addr, err := conn.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("read %s: %w", conn.LocalAddr(), err)
		}
		o.Stats.Datagrams.Add(1)
		from := "unix"
		if addr != nil && addr.String() != "" {
			from = addr.String()
		}
		work <- dg{buf: buf, n: n, from: from, at: o.Now()}
	}
}
