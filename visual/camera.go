package visual

import "math"

// Vec3 is a point or direction in scene space (board units: a board is
// BoardSize wide; +Y is up).
type Vec3 struct{ X, Y, Z float32 }

func (a Vec3) Add(b Vec3) Vec3      { return Vec3{a.X + b.X, a.Y + b.Y, a.Z + b.Z} }
func (a Vec3) Sub(b Vec3) Vec3      { return Vec3{a.X - b.X, a.Y - b.Y, a.Z - b.Z} }
func (a Vec3) Scale(s float32) Vec3 { return Vec3{a.X * s, a.Y * s, a.Z * s} }
func (a Vec3) Dot(b Vec3) float32   { return a.X*b.X + a.Y*b.Y + a.Z*b.Z }
func (a Vec3) Cross(b Vec3) Vec3 {
	return Vec3{a.Y*b.Z - a.Z*b.Y, a.Z*b.X - a.X*b.Z, a.X*b.Y - a.Y*b.X}
}
func (a Vec3) Len() float32 { return float32(math.Sqrt(float64(a.Dot(a)))) }
func (a Vec3) Norm() Vec3 {
	l := a.Len()
	if l == 0 {
		return a
	}
	return a.Scale(1 / l)
}

// View limits: the camera orbits the middle of the scene.
const (
	DefaultYaw      = 0.0
	DefaultPitch    = 0.26 // radians above the horizon
	DefaultDistance = 390.0
	DefaultFovY     = 0.9 // radians
	minPitch        = -1.45
	maxPitch        = 1.45
	minDistance     = 60.0
	maxDistance     = 3000.0
	nearPlane       = 1.0
)

// Camera is an orbit camera looking at the middle of the scene, with a
// perspective projection onto a Width×Height screen. Change it only through
// its methods, which keep the derived basis in step.
type Camera struct {
	Yaw, Pitch, Distance, FovY float64
	Width, Height              int

	eye     Vec3
	r, u, f Vec3    // right, up, forward
	focal   float32 // pixels per unit at depth 1
	cx, cy  float32 // screen centre
}

// NewCamera returns the default view on a w×h screen.
func NewCamera(w, h int) Camera {
	c := Camera{Yaw: DefaultYaw, Pitch: DefaultPitch, Distance: DefaultDistance, FovY: DefaultFovY, Width: w, Height: h}
	c.update()
	return c
}

// Reset returns to the default view, keeping the screen size.
func (c *Camera) Reset() { *c = NewCamera(c.Width, c.Height) }

// SetViewport changes the screen size.
func (c *Camera) SetViewport(w, h int) {
	if w == c.Width && h == c.Height {
		return
	}
	c.Width, c.Height = w, h
	c.update()
}

// Rotate turns the view by dyaw (around the vertical) and dpitch (up/down),
// in radians; the pitch stays short of straight up or down.
func (c *Camera) Rotate(dyaw, dpitch float64) {
	c.Yaw = math.Remainder(c.Yaw+dyaw, 2*math.Pi)
	c.Pitch = math.Max(minPitch, math.Min(maxPitch, c.Pitch+dpitch))
	c.update()
}

// Zoom multiplies the viewing distance by f (<1 comes closer).
func (c *Camera) Zoom(f float64) {
	if !(f > 0) || math.IsInf(f, 0) {
		return
	}
	c.Distance = math.Max(minDistance, math.Min(maxDistance, c.Distance*f))
	c.update()
}

func (c *Camera) update() {
	cp, sp := math.Cos(c.Pitch), math.Sin(c.Pitch)
	cyw, syw := math.Cos(c.Yaw), math.Sin(c.Yaw)
	d := c.Distance
	c.eye = Vec3{float32(d * cp * syw), float32(d * sp), float32(d * cp * cyw)}
	c.f = Vec3{}.Sub(c.eye).Norm() // looking at the origin
	c.r = c.f.Cross(Vec3{0, 1, 0}).Norm()
	c.u = c.r.Cross(c.f)
	c.focal = float32(float64(c.Height) / 2 / math.Tan(c.FovY/2))
	c.cx, c.cy = float32(c.Width)/2, float32(c.Height)/2
}

// Eye is the camera's position.
func (c *Camera) Eye() Vec3 { return c.eye }

// Focal is the number of pixels one unit covers at depth 1.
func (c *Camera) Focal() float32 { return c.focal }

// Project maps a scene point to screen pixels and its depth along the view;
// ok is false when the point is behind the near plane.
func (c *Camera) Project(p Vec3) (sx, sy, depth float32, ok bool) {
	dx, dy, dz := p.X-c.eye.X, p.Y-c.eye.Y, p.Z-c.eye.Z
	depth = dx*c.f.X + dy*c.f.Y + dz*c.f.Z
	if depth < nearPlane {
		return 0, 0, depth, false
	}
	k := c.focal / depth
	sx = c.cx + (dx*c.r.X+dy*c.r.Y+dz*c.r.Z)*k
	sy = c.cy - (dx*c.u.X+dy*c.u.Y+dz*c.u.Z)*k
	return sx, sy, depth, true
}

// Ray returns the ray from the eye through screen pixel (sx, sy): the inverse
// of Project, used to pick what lies under the mouse.
func (c *Camera) Ray(sx, sy float32) (origin, dir Vec3) {
	x := (sx - c.cx) / c.focal
	y := -(sy - c.cy) / c.focal
	dir = c.f.Add(c.r.Scale(x)).Add(c.u.Scale(y)).Norm()
	return c.eye, dir
}
