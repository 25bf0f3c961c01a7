//go:build !linux

package console

// keyMode is a no-op where termios is not wired: keys arrive line by line.
func keyMode(fd uintptr) (func(), error) { return func() {}, nil }
