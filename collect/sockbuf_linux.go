//go:build linux

package collect

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// setReadBuffer asks for a receive buffer of want bytes: SO_RCVBUFFORCE first
// (root or CAP_NET_ADMIN may exceed net.core.rmem_max, which is often only
// 208 KiB: a few hundred datagrams of an unpaced exporter), then SO_RCVBUF. It
// returns the size the kernel granted (half of what it reports: the kernel
// doubles the request for its bookkeeping).
func setReadBuffer(c syscall.Conn, want int) (granted int, err error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var serr error
	cerr := rc.Control(func(fd uintptr) {
		if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, want) != nil {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, want)
		}
		var n int
		n, err = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF)
		granted = n / 2
	})
	if cerr != nil {
		return 0, cerr
	}
	if err == nil {
		err = serr
	}
	return granted, err
}

// socketDrops reads how many datagrams the kernel dropped on this socket
// because its receive buffer was full (SO_MEMINFO's SK_MEMINFO_DROPS, Linux
// 4.6 and later). ok is false when the kernel cannot say.
func socketDrops(c syscall.Conn) (drops uint64, ok bool) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, false
	}
	var mem [unix.SK_MEMINFO_VARS]uint32
	_ = rc.Control(func(fd uintptr) {
		l := uint32(unsafe.Sizeof(mem))
		// x/sys has no getsockopt for an array of counters: call it directly.
		_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, fd, unix.SOL_SOCKET, unix.SO_MEMINFO,
			uintptr(unsafe.Pointer(&mem[0])), uintptr(unsafe.Pointer(&l)), 0)
		ok = e == 0 && l >= uint32((unix.SK_MEMINFO_DROPS+1)*4)
	})
	if !ok {
		return 0, false
	}
	return uint64(mem[unix.SK_MEMINFO_DROPS]), true
}
