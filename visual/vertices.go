package visual

import "math"

// Vertex has the memory layout of ebiten.Vertex (v2.8: twelve float32s), so
// the shell can hand the model's buffer to DrawTriangles without copying;
// the shell checks the two layouts agree at start-up.
type Vertex struct {
	DstX, DstY                     float32
	SrcX, SrcY                     float32
	ColorR, ColorG, ColorB, ColorA float32
	Custom0, Custom1               float32
	Custom2, Custom3               float32
}

// MaxQuadsPerBatch is how many balls one DrawTriangles call can take: its
// indices are uint16, so at most 65536 vertices, four per ball.
const MaxQuadsPerBatch = 65536 / 4

// QuadIndices returns the index buffer for n quads (n ≤ MaxQuadsPerBatch)
// laid out as Vertices returns them: two triangles per four vertices.
func QuadIndices(n int) []uint16 {
	n = min(n, MaxQuadsPerBatch)
	is := make([]uint16, 0, 6*n)
	for q := 0; q < n; q++ {
		b := uint16(4 * q)
		is = append(is, b, b+1, b+2, b+1, b+3, b+2)
	}
	return is
}

// minBallPixels keeps far balls visible.
const minBallPixels = 1.2

// setSprite writes the parts of a ball's four vertices that do not change
// while it flies: sprite texels and colour. Vertices then only moves them.
func (m *Model) setSprite(v []Vertex, shape uint8) {
	u0, v0, u1, v1 := float32(BallU0), float32(BallV0), float32(BallU1), float32(BallV1)
	if shape == Missile {
		u0, v0, u1, v1 = MissileU0, MissileV0, MissileU1, MissileV1
	}
	v[0].SrcX, v[0].SrcY = u0, v0
	v[1].SrcX, v[1].SrcY = u1, v0
	v[2].SrcX, v[2].SrcY = u0, v1
	v[3].SrcX, v[3].SrcY = u1, v1
	col := &m.shapeColor[shape]
	for j := range v[:4] {
		v[j].ColorR, v[j].ColorG, v[j].ColorB, v[j].ColorA = col[0], col[1], col[2], col[3]
	}
}

// Vertices places the balls for the current scene time and camera and
// returns four vertices per drawn ball (a sprite quad from the Atlas, tinted
// with the ball's colour), in the order QuadIndices expects. The buffer is the
// model's own and stays valid until the next call or change; the shell draws
// it at once. Balls behind the eye get an empty quad. Missiles are long quads
// turned along their flight on screen.
//
// Past the budget, a fixed sample of about Budget balls is drawn (chosen by
// a hash of the id, so a drawn ball stays drawn) over a density layer: the other balls
// are counted in densityCell-pixel screen cells and each busy cell is one
// soft sprite, brighter as it holds more. So the renderer's work follows the
// budget and the screen, not the traffic, and every ball still counts.
func (m *Model) Vertices() []Vertex {
	p := m.projector()
	n := len(m.balls)
	if n <= m.budget {
		m.stats.Drawn, m.stats.Cells = n, 0
		vs := m.verts[:4*n]
		for i := range m.balls {
			p.place(m, vs[4*i:4*i+4:4*i+4], &m.balls[i])
		}
		return vs
	}
	d := &m.density
	d.fit(m.Cam.Width, m.Cam.Height)
	// A ball is in the sample when a hash of its id falls under thr (a
	// multiply, where a modulo would cost a division per ball): about
	// Budget of them, and a drawn ball stays drawn while the load holds.
	thr := uint32(float64(m.budget) / float64(n) * (1 << 32))
	// First the density of the balls not drawn one by one, which goes under
	// the others; then the sample, written straight after it.
	drawn := 0
	for i := range m.balls {
		b := &m.balls[i]
		if sampled(b.id, thr) {
			drawn++
			continue
		}
		if sx, sy, ok := p.at(b); ok {
			d.add(sx, sy, b.shape)
		}
	}
	cells := len(d.busy)
	need := 4 * (cells + drawn)
	if cap(m.out) < need {
		m.out = make([]Vertex, need, need+need/4)
	}
	out := m.out[:need]
	d.emit(out[:4*cells], &m.shapeColor)
	k := 4 * cells
	for i := range m.balls {
		b := &m.balls[i]
		if !sampled(b.id, thr) {
			continue
		}
		// The sprite is written afresh: reading it from m.verts would
		// miss the cache on every sampled ball.
		dst := out[k : k+4 : k+4]
		m.setSprite(dst, b.shape)
		p.place(m, dst, b)
		k += 4
	}
	m.stats.Drawn, m.stats.Cells = drawn, cells
	return out
}

func sampled(id uint64, thr uint32) bool { return uint32((id*0x9E3779B97F4A7C15)>>32) < thr }

// projector holds the camera and clock in locals for the per-ball loop.
type projector struct {
	ex, ey, ez, rx, ry, rz, ux, uy, uz, fx, fy, fz, cx, cy, focal float32
	scene, inv                                                    float64
	globe                                                         bool
}

func (m *Model) projector() projector {
	c := &m.Cam
	return projector{c.eye.X, c.eye.Y, c.eye.Z, c.r.X, c.r.Y, c.r.Z, c.u.X, c.u.Y, c.u.Z,
		c.f.X, c.f.Y, c.f.Z, c.cx, c.cy, c.focal, m.scene, m.invFly, m.globe}
}

// project returns b's position relative to the eye, and its depth.
func (p *projector) project(b *ball) (px, py, pz, depth float32) {
	k := float32((p.scene - b.born) * p.inv)
	k = min(max(k, 0), 1) // born a little after the clock (clock skew): at the sender
	if p.globe {
		return p.projectArc(b, k)
	}
	px = b.a.X + b.d.X*k - p.ex
	py = b.a.Y + b.d.Y*k - p.ey
	pz = b.a.Z + b.d.Z*k - p.ez
	return px, py, pz, px*p.fx + py*p.fy + pz*p.fz
}

// projectArc is project for a globe view's arcs; a ball the globe hides is
// put behind the eye, so it is not drawn.
func (p *projector) projectArc(b *ball, k float32) (px, py, pz, depth float32) {
	eye := Vec3{p.ex, p.ey, p.ez}
	q := arcAt(b.a, b.d, k)
	if hiddenByGlobe(eye, q) {
		return 0, 0, 0, -1
	}
	px, py, pz = q.X-p.ex, q.Y-p.ey, q.Z-p.ez
	return px, py, pz, px*p.fx + py*p.fy + pz*p.fz
}

// at is b's screen position; false behind the eye.
func (p *projector) at(b *ball) (sx, sy float32, ok bool) {
	px, py, pz, depth := p.project(b)
	if depth < nearPlane {
		return 0, 0, false
	}
	s := p.focal / depth
	return p.cx + (px*p.rx+py*p.ry+pz*p.rz)*s, p.cy - (px*p.ux+py*p.uy+pz*p.uz)*s, true
}

// place writes ball b's four screen positions into v.
func (p *projector) place(m *Model, v []Vertex, b *ball) {
	px, py, pz, depth := p.project(b)
	if depth < nearPlane {
		v[0].DstX, v[0].DstY, v[1].DstX, v[1].DstY = 0, 0, 0, 0
		v[2].DstX, v[2].DstY, v[3].DstX, v[3].DstY = 0, 0, 0, 0
		return
	}
	s := p.focal / depth
	sx := p.cx + (px*p.rx+py*p.ry+pz*p.rz)*s
	sy := p.cy - (px*p.ux+py*p.uy+pz*p.uz)*s
	h := max(BallRadius*s, minBallPixels)
	if b.shape == Missile {
		m.missileQuad(v, b, sx, sy, h)
		return
	}
	v[0].DstX, v[0].DstY = sx-h, sy-h
	v[1].DstX, v[1].DstY = sx+h, sy-h
	v[2].DstX, v[2].DstY = sx-h, sy+h
	v[3].DstX, v[3].DstY = sx+h, sy+h
}

// densityCell is the side of a density cell, in pixels.
const densityCell = 10

// density counts balls per screen cell for one frame.
type density struct {
	w, h  int      // cells across and down
	count []uint32 // per cell
	shape []uint8  // per cell: of the last ball counted, for its colour
	busy  []int32  // cells with a count, in the order first seen
}

func (d *density) fit(width, height int) {
	w, h := width/densityCell+1, height/densityCell+1
	if w != d.w || h != d.h {
		d.w, d.h = w, h
		d.count = make([]uint32, w*h)
		d.shape = make([]uint8, w*h)
	}
	for _, c := range d.busy {
		d.count[c] = 0
	}
	d.busy = d.busy[:0]
}

func (d *density) add(sx, sy float32, shape uint8) {
	if !(sx >= 0 && sy >= 0) { // also NaN
		return
	}
	x, y := int(sx)/densityCell, int(sy)/densityCell
	if x >= d.w || y >= d.h {
		return
	}
	c := y*d.w + x
	if d.count[c] == 0 {
		d.busy = append(d.busy, int32(c))
	}
	d.count[c]++
	d.shape[c] = shape
}

// emit writes one soft sprite per busy cell into v (four vertices each).
func (d *density) emit(v []Vertex, colors *[Missile + 1][4]float32) {
	for i, c := range d.busy {
		n := d.count[c]
		x := float32(int(c)%d.w*densityCell) + densityCell/2
		y := float32(int(c)/d.w*densityCell) + densityCell/2
		lg := float32(math.Log2(float64(n) + 1))
		r := min(densityCell*0.35+lg, densityCell)
		col := colors[d.shape[c]]
		if d.shape[c] == Missile {
			col = [4]float32{1, 0.25, 0.2, 1}
		}
		alpha := min(0.3+0.15*lg, 1)
		q := v[4*i : 4*i+4 : 4*i+4]
		q[0] = Vertex{DstX: x - r, DstY: y - r, SrcX: BallU0, SrcY: BallV0}
		q[1] = Vertex{DstX: x + r, DstY: y - r, SrcX: BallU1, SrcY: BallV0}
		q[2] = Vertex{DstX: x - r, DstY: y + r, SrcX: BallU0, SrcY: BallV1}
		q[3] = Vertex{DstX: x + r, DstY: y + r, SrcX: BallU1, SrcY: BallV1}
		for j := range q {
			q[j].ColorR, q[j].ColorG, q[j].ColorB, q[j].ColorA = col[0], col[1], col[2], alpha
		}
	}
}

// missileQuad lays the missile sprite (nose pointing +U) along the screen
// direction from the ball towards its receiver point.
func (m *Model) missileQuad(v []Vertex, b *ball, sx, sy, h float32) {
	dx, dy := float32(1), float32(0)
	if tx, ty, _, ok := m.Cam.Project(b.a.Add(b.d)); ok {
		if l := float32(math.Hypot(float64(tx-sx), float64(ty-sy))); l > 0.5 {
			dx, dy = (tx-sx)/l, (ty-sy)/l
		}
	}
	hl, hw := 3.5*h, 1.2*h // half length and half width on screen
	nx, ny := -dy, dx
	// back-top, front-top, back-bottom, front-bottom in sprite terms.
	v[0].DstX, v[0].DstY = sx-dx*hl+nx*hw, sy-dy*hl+ny*hw
	v[1].DstX, v[1].DstY = sx+dx*hl+nx*hw, sy+dy*hl+ny*hw
	v[2].DstX, v[2].DstY = sx-dx*hl-nx*hw, sy-dy*hl-ny*hw
	v[3].DstX, v[3].DstY = sx+dx*hl-nx*hw, sy+dy*hl-ny*hw
}
