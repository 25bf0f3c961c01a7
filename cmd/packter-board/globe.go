package main

import (
	"image/color"
	"math"
	"strings"
	"time"

	"github.com/hajimehoshi/ebiten/v2"

	"github.com/packter/packter/event"
	"github.com/packter/packter/visual"
)

// The globe view: the same feed, picking, selection and T as the two boards,
// drawn over a sphere (package visual's NewGlobe). G switches.

var (
	ocean     = color.RGBA{0x12, 0x2C, 0x50, 0xFF}
	limb      = color.RGBA{0x7F, 0xA8, 0xD8, 0xFF}
	placeDot  = color.RGBA{0xA8, 0xD0, 0x90, 0xFF}
	globeGrid = color.RGBA{0x2E, 0x4C, 0x74, 0xFF}
)

// useGlobe adds the globe view, shown first when start is set.
func (g *game) useGlobe(globe *visual.Model, start bool) {
	g.globe = globe
	g.globeGrid = visual.GlobeGrid()
	g.places = visual.GlobePlaces()
	if start {
		g.m = globe
	}
}

// receive and setClock feed both views, so switching shows what is in
// flight at once.
func (g *game) receive(ev *event.Event) {
	g.boards.Receive(ev)
	if g.globe != nil {
		g.globe.Receive(ev)
	}
}

func (g *game) setClock(c visual.Clock, wall time.Time) {
	g.boards.SetClock(c, wall)
	if g.globe != nil {
		g.globe.SetClock(c, wall)
	}
}

func (g *game) toggleView() {
	if g.globe == nil {
		return
	}
	w, h := g.m.Cam.Width, g.m.Cam.Height
	if g.m == g.globe {
		g.m = g.boards
		g.say("the two boards (G: the globe)")
	} else {
		g.m = g.globe
		g.say("globe: PACKTEARTH records between countries (G: the boards)")
	}
	g.m.Cam.SetViewport(w, h)
}

// drawGlobe draws the sphere (a disc to its limb), the graticule and the
// countries' points on the side facing the eye, in one batch.
func (g *game) drawGlobe(screen *ebiten.Image) {
	c := &g.m.Cam
	g.lineVs, g.lineIs = g.lineVs[:0], g.lineIs[:0]
	d, r := c.Distance, float64(visual.GlobeRadius)
	if d > r {
		// The limb of a sphere seen from distance d subtends r/sqrt(d²−r²).
		cx, cy, _, _ := c.Project(visual.Vec3{})
		pr := float64(c.Focal()) * r / math.Sqrt(d*d-r*r)
		g.disc(cx, cy, float32(pr), ocean)
		const n = 96
		for i := 0; i < n; i++ {
			a0, a1 := 2*math.Pi*float64(i)/n, 2*math.Pi*float64(i+1)/n
			g.line(cx+float32(pr*math.Cos(a0)), cy+float32(pr*math.Sin(a0)), cx+float32(pr*math.Cos(a1)), cy+float32(pr*math.Sin(a1)), 1.6, limb)
		}
	}
	eye := c.Eye()
	for _, s := range g.globeGrid {
		if !visual.FacesEye(s.A.Add(s.B).Scale(0.5), eye) {
			continue
		}
		x0, y0, _, ok0 := c.Project(s.A)
		x1, y1, _, ok1 := c.Project(s.B)
		if !ok0 || !ok1 {
			continue
		}
		col, w := globeGrid, float32(1)
		if s.Major {
			col, w = gridMinor, 1.3
		}
		g.line(x0, y0, x1, y1, w, col)
	}
	for _, p := range g.places {
		if !visual.FacesEye(p.At, eye) {
			continue
		}
		if x, y, _, ok := c.Project(p.At); ok {
			g.line(x-1.5, y, x+1.5, y, 3, placeDot)
		}
	}
	screen.DrawTriangles(g.lineVs, g.lineIs, g.white, nil)
}

// disc appends a filled circle to the line batch, as a fan of triangles.
func (g *game) disc(cx, cy, r float32, col color.RGBA) {
	cr, cg, cb, ca := float32(col.R)/255, float32(col.G)/255, float32(col.B)/255, float32(col.A)/255
	v := func(x, y float32) ebiten.Vertex {
		return ebiten.Vertex{DstX: x, DstY: y, SrcX: visual.WhiteU0 + 1, SrcY: visual.WhiteV0 + 1, ColorR: cr, ColorG: cg, ColorB: cb, ColorA: ca}
	}
	base := uint16(len(g.lineVs))
	g.lineVs = append(g.lineVs, v(cx, cy))
	const n = 96
	for i := 0; i <= n; i++ {
		a := 2 * math.Pi * float64(i) / n
		g.lineVs = append(g.lineVs, v(cx+r*float32(math.Cos(a)), cy+r*float32(math.Sin(a))))
	}
	for i := uint16(1); i <= n; i++ {
		g.lineIs = append(g.lineIs, base, base+i, base+i+1)
	}
}

// globeLabels names the selected record's two countries where they face
// the eye.
func (g *game) globeLabels() []visual.Label {
	sel, ok := g.m.Selection()
	if !ok {
		return nil
	}
	eye := g.m.Cam.Eye()
	ls := visual.EarthLabels(&sel.Event)
	n := 0
	for _, l := range ls {
		if visual.FacesEye(l.At, eye) {
			ls[n] = l
			n++
		}
	}
	return ls[:n]
}

// earthEnds says an earth record's ends by country: "Japan -> Germany".
func earthEnds(ev *event.Event) string {
	var names []string
	for _, l := range visual.EarthLabels(ev) {
		_, name, _ := strings.Cut(l.Text, " ")
		names = append(names, name)
	}
	return strings.Join(names, " -> ")
}
