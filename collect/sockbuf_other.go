//go:build !linux

package collect

import (
	"net"
	"syscall"
)

// setReadBuffer asks for a receive buffer of want bytes; other systems do not
// say what they granted, so want is reported.
func setReadBuffer(c syscall.Conn, want int) (int, error) {
	if u, ok := c.(*net.UDPConn); ok {
		return want, u.SetReadBuffer(want)
	}
	if u, ok := c.(*net.UnixConn); ok {
		return want, u.SetReadBuffer(want)
	}
	return 0, nil
}

// socketDrops is unknown outside Linux.
func socketDrops(syscall.Conn) (uint64, bool) { return 0, false }
