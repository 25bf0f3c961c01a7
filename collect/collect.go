// Package collect turns exported flow and IDS data into what the agent sends:
// sFlow sampled headers and Snort packets go through the packet path as frames,
// NetFlow v5/v9 and IPFIX records become flow records, and Suricata EVE alerts
// become records and, when severe, spoken alerts.
//
// The decoders (DecodeSFlow, FlowDecoder.Decode, DecodeAlertpkt, ParseEVE) are
// pure: bytes in, typed values out, no I/O, no clock. The Run* functions own the
// sockets and files. Nothing is lost silently: UDP datagrams go through a
// large receive buffer and a bounded queue, and what the kernel or the queue
// drops is counted (Stats); files and Unix sockets are read with backpressure
// (a writer waits, no line is dropped), and what cannot be read is counted.
package collect

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"sync/atomic"
	"time"
)

// Sink is what collectors feed; the agent implements it. Each collector calls it
// from one goroutine; different collectors call it concurrently.
type Sink interface {
	// Frame sends a sampled packet (sFlow header, Snort packet) through the packet
	// path: classification, traceback hash, sending. link is the pcap LINKTYPE_
	// number of data (1 Ethernet, 101 raw IP, ...). desc "" means the default
	// description. data is only valid during the call.
	Frame(link uint32, data []byte, ts time.Time, desc string)
	// Flow sends one flow record (NetFlow/IPFIX) as a PACKTER record. f is only
	// valid during the call.
	Flow(f *Flow)
	// Alert raises a spoken alert (the agent sends PACKTERMSG + PACKTERSOUND +
	// PACKTERVOICE).
	Alert(text string)
}

// Flow is one flow record as exporters describe it.
type Flow struct {
	Time               time.Time
	Src, Dst           netip.Addr
	SPort, DPort       uint16
	Proto              uint8 // IP protocol number
	TCPFlags           uint8 // cumulative TCP flags of the flow
	ICMPType, ICMPCode uint8
	Packets, Bytes     uint64
	Desc               string // "" = default description
}

// Link types (pcap LINKTYPE_ numbers) of the frames collectors hand to Frame.
const (
	LinkEthernet uint32 = 1
	LinkRaw      uint32 = 101 // raw IPv4 or IPv6, told apart by the version nibble
)

// Stats counts what one collector saw. All fields are safe to read while it runs.
type Stats struct {
	Datagrams   atomic.Uint64 // datagrams (or EVE lines) received
	Malformed   atomic.Uint64 // datagrams or lines that did not decode (overlong lines too)
	Dropped     atomic.Uint64 // datagrams dropped because the decoder's queue was full
	SocketDrops atomic.Uint64 // datagrams the kernel dropped: the socket's receive buffer was full
	Refused     atomic.Uint64 // stream connections refused (more writers than allowed)
	Frames      atomic.Uint64 // packets handed to Sink.Frame
	Flows       atomic.Uint64 // records handed to Sink.Flow
	Alerts      atomic.Uint64 // spoken alerts raised
	Counters    atomic.Uint64 // sFlow counter samples (counted, not sent)
	Skipped     atomic.Uint64 // samples, records or sets of kinds we do not use
	Lost        atomic.Uint64 // NetFlow/IPFIX data sets whose template never came
	Templates   atomic.Uint64 // templates learnt (new or changed)
}

// Snapshot is a plain copy of Stats for printing and tests.
type Snapshot struct {
	Datagrams, Malformed, Dropped, SocketDrops, Refused, Frames, Flows, Alerts, Counters, Skipped, Lost, Templates uint64
}

// Losses is everything this collector lost, whatever the cause: what it
// received but could not use, and what never reached it.
func (s Snapshot) Losses() uint64 {
	return s.Malformed + s.Dropped + s.SocketDrops + s.Refused + s.Lost
}

// Snapshot copies the counters.
func (s *Stats) Snapshot() Snapshot {
	return Snapshot{
		Datagrams: s.Datagrams.Load(), Malformed: s.Malformed.Load(), Dropped: s.Dropped.Load(),
		SocketDrops: s.SocketDrops.Load(), Refused: s.Refused.Load(),
		Frames: s.Frames.Load(), Flows: s.Flows.Load(), Alerts: s.Alerts.Load(),
		Counters: s.Counters.Load(), Skipped: s.Skipped.Load(), Lost: s.Lost.Load(),
		Templates: s.Templates.Load(),
	}
}

// Options tune a collector; the zero value gives the defaults.
type Options struct {
	Stats *Stats // counters to update; nil: a private set
	// Queue is the number of datagrams (UDP) or lines (EVE) buffered between
	// the reader and the decoder (default 8192 datagrams, 1024 lines); UDP
	// datagrams beyond it or beyond QueueBytes are dropped and counted, lines
	// wait.
	Queue int
	// QueueBytes is the UDP queue's size in bytes (default 8 MiB).
	QueueBytes int
	// ReadBuffer is the socket receive buffer asked for (default 8 MiB; more
	// than net.core.rmem_max needs root). Negative leaves the socket alone.
	ReadBuffer int
	// FromStart makes the EVE follower read an existing file from its
	// beginning; by default it starts at its end (only alerts written from now
	// on). Files appearing later, or rotated in, are always read whole.
	FromStart bool
	// Poll is how often a followed file is checked (default 250 ms).
	Poll time.Duration
	// LogEvery bounds how often malformed input is logged (default 10 s); the
	// number suppressed meanwhile is reported with the next line.
	LogEvery time.Duration
	// Now is the clock (default time.Now); tests pin it.
	Now func() time.Time
	// Ready, when set, is called once the socket is bound or the file watched:
	// a peer started after it will be heard.
	Ready func()
	// Listening, when set, is called once with the bound address (UDP and
	// Unix sockets): with port 0 the kernel picks a free port, reported here.
	Listening func(net.Addr)
}

// ready reports the collector ready (addr nil for files).
func (o Options) ready(addr net.Addr) {
	if addr != nil && o.Listening != nil {
		o.Listening(addr)
	}
	o.Ready()
}

func (o Options) withDefaults() Options {
	if o.Stats == nil {
		o.Stats = new(Stats)
	}
	if o.Queue <= 0 {
		o.Queue = 8192
	}
	if o.QueueBytes <= 0 {
		o.QueueBytes = 8 << 20
	}
	if o.ReadBuffer == 0 {
		o.ReadBuffer = 8 << 20
	}
	if o.Poll <= 0 {
		o.Poll = 250 * time.Millisecond
	}
	if o.LogEvery <= 0 {
		o.LogEvery = 10 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Ready == nil {
		o.Ready = func() {}
	}
	return o
}

// limitedLog logs malformed input at most once per period, counting the rest, so
// that a hostile or broken exporter cannot flood the log. Used by one goroutine.
type limitedLog struct {
	log        *slog.Logger
	every      time.Duration
	last       time.Time
	suppressed int
}

func (l *limitedLog) warn(now time.Time, msg string, from string, err error) {
	if l.log == nil {
		return
	}
	if !l.last.IsZero() && now.Sub(l.last) < l.every {
		l.suppressed++
		return
	}
	l.log.Warn(msg, "from", from, "err", err, "suppressed", l.suppressed)
	l.last = now
	l.suppressed = 0
}

// discardLogger is used when the caller passes a nil logger.
func orDiscard(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}

// waitCtx closes c when ctx ends; it lets blocking reads be interrupted.
func closeOnDone(ctx context.Context, c interface{ Close() error }) (stop func()) {
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			c.Close()
		case <-done:
		}
	}()
	return func() { close(done) }
}

// Flag is the PACKTER flag (Table 1 of the paper, 0–9 before the agent's base)
// of the flow: IPv4 TCP 0 (ACK or other), 1 (SYN: it wins over FIN and RST, as in
// PACKTER's agents), 2 (FIN or RST), UDP 3, ICMP 4; IPv6 the same plus 5. ok is
// false for protocols PACKTER does not draw.
func (f *Flow) Flag() (flag int, ok bool) {
	switch f.Proto {
	case 6:
		switch {
		case f.TCPFlags&0x02 != 0: // SYN
			flag = 1
		case f.TCPFlags&0x05 != 0: // FIN, RST
			flag = 2
		}
	case 17:
		flag = 3
	case 1, 58:
		flag = 4
	default:
		return 0, false
	}
	if f.Src.Is6() && !f.Src.Is4In6() {
		flag += 5
	}
	return flag, true
}
