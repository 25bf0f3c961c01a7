package protocol

import "strconv"

// ClassNames are PACKTER's ten flag classes (flag % 10) in words a screen
// reader says well. docs/protocol.md lists them with their colours.
var ClassNames = [10]string{
	"TCP", "TCP SYN", "TCP FIN or RST", "UDP", "ICMP",
	"IPv6 TCP", "IPv6 TCP SYN", "IPv6 TCP FIN or RST", "IPv6 UDP", "ICMPv6",
}

// ShortClassNames fit a narrow column or a status line.
var ShortClassNames = [10]string{
	"TCP", "TCP SYN", "TCP FIN/RST", "UDP", "ICMP",
	"TCP6", "TCP6 SYN", "TCP6 FIN/RST", "UDP6", "ICMP6",
}

// LegendNames are the board legend's labels: the class number first, as
// PACKTER's viewer documents its colours.
var LegendNames = [10]string{
	"0 IPv4 TCP ACK/other", "1 IPv4 TCP SYN", "2 IPv4 TCP FIN/RST", "3 IPv4 UDP", "4 IPv4 ICMP",
	"5 IPv6 TCP ACK/other", "6 IPv6 TCP SYN", "7 IPv6 TCP FIN/RST", "8 IPv6 UDP", "9 IPv6 ICMPv6",
}

// RGB is a colour without alpha, so this package needs no image import.
type RGB struct{ R, G, B uint8 }

// ClassColors are PACKTER 2.5's ball colours by class, from its viewer's
// textures.
var ClassColors = [10]RGB{
	{0xFF, 0xA3, 0xB1}, // 0 IPv4 TCP ACK/other: pink
	{0x00, 0x00, 0xFF}, // 1 IPv4 TCP SYN: blue
	{0xFF, 0x00, 0x00}, // 2 IPv4 TCP FIN/RST: red
	{0x80, 0x00, 0xFF}, // 3 IPv4 UDP: purple
	{0x00, 0x80, 0x00}, // 4 IPv4 ICMP: green
	{0x00, 0xFF, 0xFF}, // 5 IPv6 TCP ACK/other: cyan
	{0xFF, 0xFF, 0x00}, // 6 IPv6 TCP SYN: yellow
	{0xFF, 0xFF, 0xFF}, // 7 IPv6 TCP FIN/RST: white
	{0x00, 0xFF, 0x00}, // 8 IPv6 UDP: light green
	{0xFF, 0x80, 0x40}, // 9 IPv6 ICMPv6: orange
}

// ClassName names a flag class (0..9); other values are "flag N".
func ClassName(class int) string {
	if class >= 0 && class < len(ClassNames) {
		return ClassNames[class]
	}
	return "flag " + strconv.Itoa(class)
}

// IsIPv6Class reports whether a class is one of the IPv6 five.
func IsIPv6Class(class int) bool { return class >= 5 && class <= 9 }

// IsICMPClass reports whether a class is ICMP or ICMPv6.
func IsICMPClass(class int) bool { return class == ClassICMP || class == ClassICMP6 }
