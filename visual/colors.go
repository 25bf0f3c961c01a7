package visual

import "image/color"

// FlagColors are PACKTER's ball colours by class (flag % 10), the 2.5 viewer's
// textures (docs/protocol.md, "Flags and colours").
var FlagColors = [10]color.RGBA{
	{0xFF, 0xA3, 0xB1, 0xFF}, // 0 IPv4 TCP ACK/other: pink
	{0x00, 0x00, 0xFF, 0xFF}, // 1 IPv4 TCP SYN: blue
	{0xFF, 0x00, 0x00, 0xFF}, // 2 IPv4 TCP FIN/RST: red
	{0x80, 0x00, 0xFF, 0xFF}, // 3 IPv4 UDP: purple
	{0x00, 0x80, 0x00, 0xFF}, // 4 IPv4 ICMP: green
	{0x00, 0xFF, 0xFF, 0xFF}, // 5 IPv6 TCP ACK/other
	{0xFF, 0xFF, 0x00, 0xFF}, // 6 IPv6 TCP SYN
	{0xFF, 0xFF, 0xFF, 0xFF}, // 7 IPv6 TCP FIN/RST
	{0x00, 0xFF, 0x00, 0xFF}, // 8 IPv6 UDP: light green
	{0xFF, 0x80, 0x40, 0xFF}, // 9 IPv6 ICMPv6: orange
}

// MissileColor is the body colour of the missile sprite drawn for flood
// records (its nose and flame are baked into the sprite).
var MissileColor = color.RGBA{0xC8, 0xC8, 0xD0, 0xFF}

// Missile is the shape index of flood records; 0..9 are ball classes.
const Missile = 10

// LegendEntry is one line of the board's legend.
type LegendEntry struct {
	Shape int // 0..9 a ball of that class, Missile the missile
	Color color.RGBA
	Text  string
}

// Legend lists what each colour and shape means.
func Legend() []LegendEntry {
	names := [10]string{
		"0 IPv4 TCP ACK/other", "1 IPv4 TCP SYN", "2 IPv4 TCP FIN/RST", "3 IPv4 UDP", "4 IPv4 ICMP",
		"5 IPv6 TCP ACK/other", "6 IPv6 TCP SYN", "7 IPv6 TCP FIN/RST", "8 IPv6 UDP", "9 IPv6 ICMPv6",
	}
	l := make([]LegendEntry, 0, 11)
	for i, n := range names {
		l = append(l, LegendEntry{Shape: i, Color: FlagColors[i], Text: n})
	}
	return append(l, LegendEntry{Shape: Missile, Color: MissileColor, Text: "missile: flood"})
}

// shapeOf is the shape index of a packet event.
func shapeOf(class int, flood bool) uint8 {
	if flood || class < 0 || class > 9 {
		// Model records that are not floods have no PACKTER colour either:
		// drawing them as missiles keeps them visible and distinct.
		return Missile
	}
	return uint8(class)
}
