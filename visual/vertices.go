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

// Vertices places every ball for the current scene time and camera and
// returns four vertices per ball (a sprite quad from the Atlas, tinted with
// the ball's colour), in the order QuadIndices expects. The buffer is the
// model's own and stays valid until the next call or change; the shell
// draws it at once. Balls behind the eye get an empty quad. Missiles are long
// quads turned along their flight on screen.
func (m *Model) Vertices() []Vertex {
	c := &m.Cam
	ex, ey, ez := c.eye.X, c.eye.Y, c.eye.Z
	rx, ry, rz := c.r.X, c.r.Y, c.r.Z
	ux, uy, uz := c.u.X, c.u.Y, c.u.Z
	fx, fy, fz := c.f.X, c.f.Y, c.f.Z
	cx, cy, focal := c.cx, c.cy, c.focal
	scene, inv := m.scene, m.invFly
	vs := m.verts[:4*len(m.balls)]
	for i := range m.balls {
		b := &m.balls[i]
		v := vs[4*i : 4*i+4 : 4*i+4]
		k := float32((scene - b.born) * inv)
		px := b.a.X + b.d.X*k - ex
		py := b.a.Y + b.d.Y*k - ey
		pz := b.a.Z + b.d.Z*k - ez
		depth := px*fx + py*fy + pz*fz
		if depth < nearPlane {
			v[0].DstX, v[0].DstY, v[1].DstX, v[1].DstY = 0, 0, 0, 0
			v[2].DstX, v[2].DstY, v[3].DstX, v[3].DstY = 0, 0, 0, 0
			continue
		}
		s := focal / depth
		sx := cx + (px*rx+py*ry+pz*rz)*s
		sy := cy - (px*ux+py*uy+pz*uz)*s
		h := max(BallRadius*s, minBallPixels)
		if b.shape == Missile {
			m.missileQuad(v, b, sx, sy, h)
			continue
		}
		v[0].DstX, v[0].DstY = sx-h, sy-h
		v[1].DstX, v[1].DstY = sx+h, sy-h
		v[2].DstX, v[2].DstY = sx-h, sy+h
		v[3].DstX, v[3].DstY = sx+h, sy+h
	}
	return vs
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
