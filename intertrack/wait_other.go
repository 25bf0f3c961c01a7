//go:build !unix

package intertrack

import "net"

// waitReadable is a no-op here: the read that follows waits, with a buffer.
func waitReadable(net.Conn) error { return nil }
