package intertrack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
	"unicode"

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
// The description comes from whoever sent the datagram, so the record goes
// only to a client on this machine or one of allowed (CheckTraceClient);
// anything else is refused before a packet or a name lookup leaves.
func LaunchTrace(ctx context.Context, ev *event.Event, defaultPort int, allowed ...string) error {
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
	if err := CheckTraceClient(host, defaultPort, allowed); err != nil {
		return err
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
		Model: []byte(ev.Model.String()), Desc: []byte(ev.Desc.String())}
	dst = protocol.AppendRecord(dst, &r)
	return append(dst, '\n')
}

// CheckTraceHost reports why records from an agent run with `-T name` could
// not be traced, or nil. Viewers (PACKTER's and ours) read the description
// `HASH-TCHOST` only when it holds exactly one '-' (docs/protocol.md,
// "Traceback hash"), so a host name with a '-' makes every record
// untraceable; a comma or white space breaks the record line itself. The
// agent calls it at start-up and warns.
func CheckTraceHost(name string) error {
	switch {
	case name == "":
		return errors.New("traceback host: empty")
	case strings.Contains(name, "-"):
		return fmt.Errorf("traceback host %q contains '-': viewers read HASH-TCHOST only with exactly one '-', so no packet from this agent can be traced; give its address or a name without '-'", clip(name))
	case strings.ContainsFunc(name, func(r rune) bool { return r == ',' || unicode.IsSpace(r) || unicode.IsControl(r) }):
		return fmt.Errorf("traceback host %q contains a comma, a space or a control character: the record line cannot carry it", clip(name))
	}
	if _, err := WithDefaultPort(name, protocol.TracebackPort); err != nil {
		return fmt.Errorf("traceback host %q: %w", clip(name), err)
	}
	if _, _, ok := protocol.SplitTraceDesc(strings.Repeat("0", 32) + "-" + name); !ok {
		return fmt.Errorf("traceback host %q: viewers would not read HASH-%s as traceable", clip(name), clip(name))
	}
	return nil
}
