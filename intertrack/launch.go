package intertrack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/protocol"
)

// ErrNoTraceHash is returned by LaunchTrace for a record whose description
// is not PACKTER's `HASH-TCHOST`.
var ErrNoTraceHash = errors.New("this record carries no traceback hash (its description is not HASH-TCHOST; the agent needs -T SERVER)")

// LaunchTrace does what PACKTER's viewer does when the user presses T on a
// record: it sends the record line to the traceback client named in the
// description (`HASH-TCHOST`; TCHOST is "host", "host:port" or "[v6]:port"),
// on defaultPort (protocol.TracebackPort when <= 0) unless TCHOST names one.
// The outcome arrives later at the monitor as PACKTER messages from the TC.
func LaunchTrace(ctx context.Context, ev *event.Event, defaultPort int) error {
	if ev == nil {
		return ErrNoTraceHash
	}
	_, host, ok := ev.Traceable()
	if !ok {
		return ErrNoTraceHash
	}
	if defaultPort <= 0 {
		defaultPort = protocol.TracebackPort
	}
	addr, err := WithDefaultPort(host, defaultPort)
	if err != nil {
		return fmt.Errorf("traceback client %q: %w", clip(host), err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second) // name resolution only
	defer cancel()
	c, err := (&net.Dialer{}).DialContext(ctx, "udp", addr)
	if err != nil {
		return fmt.Errorf("traceback client %s: %w", addr, err)
	}
	defer c.Close()
	if _, err := c.Write(AppendTraceRecord(nil, ev)); err != nil {
		return fmt.Errorf("traceback client %s: %w", addr, err)
	}
	return nil
}

// AppendTraceRecord appends the datagram LaunchTrace sends: the record line
// `SRC,DST,SPORT,DPORT,FLAG,DESCRIPTION` and a newline (no header line, so
// that PACKTER's own TC, which splits the datagram at commas, finds the hash in
// the sixth field).
func AppendTraceRecord(dst []byte, ev *event.Event) []byte {
	r := protocol.Record{Src: ev.Src, Dst: ev.Dst, SPort: ev.SPort, DPort: ev.DPort, Flag: ev.Flag,
		Model: []byte(ev.Model), Desc: []byte(ev.Desc)}
	dst = protocol.AppendRecord(dst, &r)
	return append(dst, '\n')
}
