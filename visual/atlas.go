package visual

import (
	"image"
	"image/color"
	"math"
)

// The sprite atlas: every ball and missile is drawn from this one image, so
// all of them go in one batched draw call.
const (
	AtlasWidth  = 256
	AtlasHeight = 72

	// Texel rectangles (inset by one texel so linear filtering does not
	// bleed between sprites).
	BallU0, BallV0       = 1, 1
	BallU1, BallV1       = 63, 63
	MissileU0, MissileV0 = 65, 1
	MissileU1, MissileV1 = 191, 63
	RingU0, RingV0       = 193, 1
	RingU1, RingV1       = 255, 63
	// A white block for plain fills (boards, swatches).
	WhiteU0, WhiteV0 = 2, 66
	WhiteU1, WhiteV1 = 6, 70
)

// Atlas draws the sprites: a white shaded ball (tinted per vertex with the
// flag colour; its middle is pure white so the middle of a drawn ball has
// exactly the flag colour), a missile with its own colours pointing +U, and a
// white selection ring.
func Atlas() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, AtlasWidth, AtlasHeight))
	// Ball: 64×64 at (0,0), radius 31.
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			d := math.Hypot(float64(x)+0.5-32, float64(y)+0.5-32) / 31
			a := coverage(d)
			if a == 0 {
				continue
			}
			shade := 1.0
			if d > 0.55 { // darken the rim a little so balls read as spheres
				shade = 1 - 0.35*(d-0.55)/0.45
			}
			img.SetRGBA(x, y, premul(shade, shade, shade, a))
		}
	}
	// Missile: 128×64 at (64,0): body, red nose cone, fins, orange flame.
	body := MissileColor
	for y := 0; y < 64; y++ {
		for x := 0; x < 128; x++ {
			u, v := (float64(x)+0.5)/128, (float64(y)+0.5-32)/32 // u: 0 tail..1 nose, v: -1..1
			var c color.RGBA
			switch {
			case u > 0.78 && math.Abs(v) < 0.42*(1-(u-0.78)/0.22): // nose cone
				c = color.RGBA{0xE0, 0x20, 0x20, 0xFF}
			case u > 0.18 && u <= 0.78 && math.Abs(v) < 0.42: // body
				c = body
			case u > 0.18 && u < 0.38 && math.Abs(v) < 0.42+0.55*(0.38-u)/0.2: // fins
				c = color.RGBA{0x90, 0x90, 0xA0, 0xFF}
			case u <= 0.18 && math.Abs(v) < 0.3*u/0.18: // flame
				c = color.RGBA{0xFF, 0x90, 0x20, 0xFF}
			default:
				continue
			}
			img.SetRGBA(64+x, y, c)
		}
	}
	// Ring: 64×64 at (192,0).
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			d := math.Hypot(float64(x)+0.5-32, float64(y)+0.5-32)
			a := math.Max(0, 1-math.Abs(d-28)/3)
			if a > 0 {
				img.SetRGBA(192+x, y, premul(1, 1, 1, a))
			}
		}
	}
	for y := 64; y < AtlasHeight; y++ {
		for x := 0; x < 8; x++ {
			img.SetRGBA(x, y, color.RGBA{0xFF, 0xFF, 0xFF, 0xFF})
		}
	}
	return img
}

// coverage is the anti-aliased alpha of a disc edge at normalised radius d.
func coverage(d float64) float64 {
	const edge = 1.0 / 31 // one texel
	switch {
	case d <= 1-edge:
		return 1
	case d >= 1:
		return 0
	}
	return (1 - d) / edge
}

func premul(r, g, b, a float64) color.RGBA {
	return color.RGBA{uint8(r*a*255 + 0.5), uint8(g*a*255 + 0.5), uint8(b*a*255 + 0.5), uint8(a*255 + 0.5)}
}
