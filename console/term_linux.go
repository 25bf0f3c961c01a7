package console

import "golang.org/x/sys/unix"

// keyMode makes a terminal deliver each key at once without echo, keeping
// output processing (so "\n" still starts a new line) and signals (Ctrl+C
// still interrupts). It returns a func restoring the previous settings.
func keyMode(fd uintptr) (func(), error) {
	old, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
	if err != nil {
		return nil, err
	}
	t := *old
	t.Lflag &^= unix.ICANON | unix.ECHO
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	if err := unix.IoctlSetTermios(int(fd), unix.TCSETS, &t); err != nil {
		return nil, err
	}
	return func() { _ = unix.IoctlSetTermios(int(fd), unix.TCSETS, old) }, nil
}
