package protocol

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"strconv"
	"syscall"
)

// kernelDrops reads the kernel's count of datagrams it dropped for this socket
// (receive buffer full) from /proc/net/udp{,6}, matched by the socket's inode.
func kernelDrops(c *net.UDPConn) (uint64, bool) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, false
	}
	var st syscall.Stat_t
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.Fstat(int(fd), &st) }); err != nil || serr != nil {
		return 0, false
	}
	ino := []byte(strconv.FormatUint(st.Ino, 10))
	for _, f := range []string{"/proc/net/udp", "/proc/net/udp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			fields := bytes.Fields(sc.Bytes())
			// sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
			if len(fields) < 13 || !bytes.Equal(fields[9], ino) {
				continue
			}
			n, err := strconv.ParseUint(string(fields[12]), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
