package visual

import (
	"image/color"

	"github.com/packter/packter/protocol"
)

// FlagColors are PACKTER's ball colours by class (flag % 10), from the one
// table of PACKTER's definitions (protocol.ClassColors).
var FlagColors = func() (c [10]color.RGBA) {
	for i, x := range protocol.ClassColors {
		c[i] = color.RGBA{x.R, x.G, x.B, 0xFF}
	}
	return c
}()

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
	l := make([]LegendEntry, 0, 11)
	for i, n := range protocol.LegendNames {
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
