package intertrack

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// ErrTraceClientNotAllowed marks a trace refused because the description
// named a traceback client that is neither on this machine nor configured.
var ErrTraceClientNotAllowed = errors.New("traceback client not allowed")

// traceClientError says which client was refused and how to allow it.
type traceClientError struct{ addr, host string }

func (e *traceClientError) Error() string {
	return fmt.Sprintf("not sent: the traceback client %s is not on this machine; allow it with --trace-client %s", e.addr, e.host)
}

func (e *traceClientError) Unwrap() error { return ErrTraceClientNotAllowed }

// CheckTraceClient decides whether T may send a record to the traceback
// client host (from the record's HASH-TCHOST description, so from whoever
// sent the datagram). Without this check, anyone who can reach the monitor's
// port could make it send UDP to any host:port of their choosing each time
// the user presses T. Allowed: loopback, this machine's own addresses (local,
// the interface addresses), and the hosts the user configured (allowed, as
// "host" for any port or "host:port"). Names are compared, never resolved:
// looking up a name the attacker chose would itself send a packet out.
func CheckTraceClient(host string, defaultPort int, allowed []string) error {
	return checkTraceClient(host, defaultPort, allowed, localAddrs())
}

func checkTraceClient(host string, defaultPort int, allowed []string, local []netip.Addr) error {
	addr, err := WithDefaultPort(host, defaultPort)
	if err != nil {
		return fmt.Errorf("traceback client %q: %w", host, err)
	}
	h, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("traceback client %q: %w", host, err)
	}
	h = canonHost(h)
	for _, a := range allowed {
		ah, ap, err := net.SplitHostPort(strings.TrimSpace(a))
		if err != nil {
			ah, ap = a, "" // a host alone: any port
		}
		if canonHost(ah) == h && (ap == "" || ap == port) {
			return nil
		}
	}
	if h == "localhost" {
		return nil
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		if ip.IsLoopback() {
			return nil
		}
		for _, l := range local {
			if l.Unmap() == ip {
				return nil
			}
		}
	}
	return &traceClientError{addr: addr, host: h}
}

// canonHost writes a host one way: addresses as netip prints them (IPv4 in
// IPv6 unmapped, no brackets, no zeros spelled out), names in lower case.
func canonHost(h string) string {
	h = strings.Trim(strings.TrimSpace(h), "[]")
	if ip, err := netip.ParseAddr(h); err == nil {
		return ip.Unmap().String()
	}
	return strings.ToLower(h)
}

// localAddrs are this machine's interface addresses; read at each trace (a
// key press), so an address added since the monitor started counts.
func localAddrs() []netip.Addr {
	as, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range as {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr())
		}
	}
	return out
}
