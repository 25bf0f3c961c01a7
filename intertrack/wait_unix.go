//go:build unix

package intertrack

import (
	"errors"
	"net"
	"syscall"
)

// waitReadable blocks until c has data (or end of stream, an error, its read
// deadline or its closing) without handing it a read buffer, so that an idle
// connection holds none. It peeks before waiting: the poller reports edges,
// and data already queued would bring no new one.
func waitReadable(c net.Conn) error {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil // the caller's read waits instead
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	var perr error
	err = rc.Read(func(fd uintptr) bool {
		var b [1]byte
		_, _, e := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK)
		for errors.Is(e, syscall.EINTR) {
			_, _, e = syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK)
		}
		if errors.Is(e, syscall.EAGAIN) {
			return false
		}
		perr = e // nil for data or end of stream: the read that follows reports it
		return true
	})
	if err != nil {
		return err
	}
	return perr
}
