// Package samples bundles Packter's sample capture: three minutes of a small
// office network (web, DNS, ping, a SYN scan, an 8 s SYN flood at 1500 packets
// per second toward 192.168.1.20:80 starting 120 s in, IPv6 with extension
// headers and fragments, 802.1Q and QinQ tagged hosts, ARP), written by
// `go run ./samples/gen` from a fixed seed.
package samples

import _ "embed"

//go:generate go run ./gen -o sample.pcapng

//go:embed sample.pcapng
var capture []byte

// Name is the file name of the bundled capture, for messages.
const Name = "sample.pcapng"

// Capture returns the bundled pcapng capture. The slice is shared: do not modify it.
func Capture() []byte { return capture }
