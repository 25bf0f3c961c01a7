//go:build unix

package journal

import "syscall"

// nonblock keeps open(2) from waiting on a FIFO that has no writer.
const nonblock = syscall.O_NONBLOCK
