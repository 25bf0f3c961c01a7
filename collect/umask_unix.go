//go:build unix

package collect

import "syscall"

// umask sets the process umask and returns the old one. Sockets take their mode
// from it at bind time; there is no race-free chmod for them.
func umask(m int) int { return syscall.Umask(m) }
