//go:build !linux

package protocol

import "net"

func kernelDrops(*net.UDPConn) (uint64, bool) { return 0, false }
