package protocol

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// HostPort turns PACKTER's `HOST[:PORT]` (IPv4, IPv6 bare or bracketed, or a
// name) into a dialable "host:port", using defPort when none is given.
func HostPort(s string, defPort int) (string, error) {
	if s == "" {
		return "", fmt.Errorf("empty address")
	}
	if ip, err := netip.ParseAddr(s); err == nil { // bare IPv4 or IPv6
		return net.JoinHostPort(ip.String(), strconv.Itoa(defPort)), nil
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		return net.JoinHostPort(s[1:len(s)-1], strconv.Itoa(defPort)), nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		if strings.Contains(s, ":") {
			return "", fmt.Errorf("address %q: %w", s, err)
		}
		return net.JoinHostPort(s, strconv.Itoa(defPort)), nil
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return "", fmt.Errorf("address %q: bad port %q", s, port)
	}
	if host == "" {
		return "", fmt.Errorf("address %q: missing host", s)
	}
	return net.JoinHostPort(host, port), nil
}
