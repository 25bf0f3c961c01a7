//go:build unix

package safefile

import "syscall"

const nonblock = syscall.O_NONBLOCK

// NonBlock is the open(2) flag that keeps opening a FIFO from waiting for a
// peer, for files opened for writing (a regular file ignores it).
const NonBlock = nonblock
