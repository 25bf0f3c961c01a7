package visual

import (
	"math"

	"github.com/packter/packter/event"
	"github.com/packter/packter/geo"
)

// The globe view shows PACKTEARTH records (PACKTER 3.0's globe): a ball per
// record flies in an arc over a sphere from its source's coordinates to its
// destination's, in the record's flag colour, and can be picked, selected
// and traced like the boards' balls. A globe Model (NewGlobe) takes earth
// records and ignores packet records; a board Model does the opposite, so a
// shell feeds both and shows one.

// GlobeRadius is the globe's radius in scene units: it fills about the view
// the two boards fill.
const GlobeRadius = 110.0

// NewGlobe returns an empty globe view on a w×h screen.
func NewGlobe(cfg Config, w, h int) *Model {
	m := New(cfg, w, h)
	m.globe = true
	return m
}

// Globe reports whether m is a globe view.
func (m *Model) Globe() bool { return m.globe }

// EarthPoint is where latitude and longitude (degrees) are on the globe:
// north up (+Y), longitude 0 facing the default view (+Z), east to the
// right.
func EarthPoint(lat, lon float64) Vec3 {
	φ, λ := lat*math.Pi/180, lon*math.Pi/180
	c := math.Cos(φ)
	return Vec3{float32(GlobeRadius * c * math.Sin(λ)), float32(GlobeRadius * math.Sin(φ)), float32(GlobeRadius * c * math.Cos(λ))}
}

// ends is where a record's ball starts and lands in this view.
func (m *Model) ends(ev *event.Event) (a, b Vec3) {
	if m.globe {
		return EarthPoint(ev.Lat1, ev.Lon1), EarthPoint(ev.Lat2, ev.Lon2)
	}
	return SenderPoint(ev), ReceiverPoint(ev)
}

// takes reports whether this view draws a record of kind k.
func (m *Model) takes(k event.Kind) bool {
	if m.globe {
		return k == event.KindEarth
	}
	return k == event.KindPacket
}

// arcAt is the point k (0..1) of the way along the arc from a to a+d. Its
// direction is a quadratic Bézier's through a control point above the
// chord's middle (over the pole for antipodes), and its height above the
// surface rises and falls as 4k(1−k), higher for longer flights: so every
// arc clears the globe, and a record within one country still hops.
func arcAt(a, d Vec3, k float32) Vec3 {
	mid := a.Add(d.Scale(0.5))
	chord := d.Len() / (2 * GlobeRadius) // 0 .. 1
	var c Vec3
	if l := mid.Len(); l > 1e-3 {
		c = mid.Scale(GlobeRadius / l)
	} else {
		c = Vec3{0, GlobeRadius, 0} // antipodes: over the north pole
		if abs32(a.X)+abs32(a.Z) < 1e-3*GlobeRadius {
			c = Vec3{0, 0, GlobeRadius} // pole to pole: over longitude 0
		}
	}
	u := 1 - k
	q := a.Scale(u * u).Add(c.Scale(2 * u * k)).Add(a.Add(d).Scale(k * k))
	l := q.Len()
	if l == 0 {
		return q
	}
	lift := 0.06 + 0.35*chord*chord
	return q.Scale(GlobeRadius * (1 + lift*4*k*u) / l)
}

// hiddenByGlobe reports whether the globe stands between the eye and p.
func hiddenByGlobe(eye, p Vec3) bool {
	v := p.Sub(eye)
	vv := v.Dot(v)
	if vv == 0 {
		return false
	}
	t := -eye.Dot(v) / vv // where the sight line passes nearest the centre
	if t <= 0 || t >= 1 {
		return false
	}
	q := eye.Add(v.Scale(t))
	return q.Dot(q) < GlobeRadius*GlobeRadius
}

// FacesEye reports whether the point p on the globe's surface is on the side
// the eye sees.
func FacesEye(p, eye Vec3) bool { return p.Dot(eye) > GlobeRadius*GlobeRadius }

// GlobeGrid returns the globe's graticule as short segments (so the shell
// can leave out those on the far side, FacesEye): parallels every 30°,
// meridians every 30°; the equator and the prime meridian are Major.
func GlobeGrid() []Segment {
	var s []Segment
	const step = 5
	for lat := -60; lat <= 60; lat += 30 {
		for lon := -180; lon < 180; lon += step {
			s = append(s, Segment{EarthPoint(float64(lat), float64(lon)), EarthPoint(float64(lat), float64(lon+step)), lat == 0})
		}
	}
	for lon := -180; lon < 180; lon += 30 {
		for lat := -90; lat < 90; lat += step {
			s = append(s, Segment{EarthPoint(float64(lat), float64(lon)), EarthPoint(float64(lat+step), float64(lon)), lon == 0})
		}
	}
	return s
}

// Place is a country's representative point on the globe.
type Place struct {
	At   Vec3
	Code string // "JP"
}

// GlobePlaces returns every country's representative point (package geo),
// so the land shows as clusters of dots.
func GlobePlaces() []Place {
	var ps []Place
	for c := geo.Country(0); int(c) < geo.NumCountries; c++ {
		if lat, lon, ok := c.Point(); ok {
			ps = append(ps, Place{At: EarthPoint(lat, lon), Code: c.Code()})
		}
	}
	return ps
}

// EarthLabels names the two ends of an earth record by country, for the
// selection: labels anchored just above its source and destination.
func EarthLabels(ev *event.Event) []Label {
	if ev.Kind != event.KindEarth {
		return nil
	}
	var ls []Label
	for i, p := range [2][2]float64{{ev.Lat1, ev.Lon1}, {ev.Lat2, ev.Lon2}} {
		c, ok := geo.Nearest(p[0], p[1])
		if !ok {
			continue
		}
		text := "from " + c.Name()
		if i == 1 {
			text = "to " + c.Name()
		}
		at := EarthPoint(p[0], p[1])
		ls = append(ls, Label{At: at.Scale(1.06), Text: text})
	}
	return ls
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}
