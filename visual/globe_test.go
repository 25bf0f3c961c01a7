package visual

import (
	"testing"
	"time"

	"github.com/packter/packter/event"
)

func earthEv(lat1, lon1, lat2, lon2 float64, flag int, desc string) event.Event {
	return event.Event{Kind: event.KindEarth, Lat1: lat1, Lon1: lon1, Lat2: lat2, Lon2: lon2, Flag: flag, Desc: event.CleanText(desc, event.MaxText)}
}

// TestGlobeTakesEarthRecords: the globe draws earth records only, the
// boards packet records only, so one feed serves both views.
func TestGlobeTakesEarthRecords(t *testing.T) {
	g := NewGlobe(Config{}, 800, 600)
	b := New(Config{}, 800, 600)
	for _, ev := range []event.Event{pkt("10.0.0.1", 1, "10.0.0.2", 80, 1), earthEv(35.6544, 139.7447, 52.5, 13.3667, 1, "")} {
		g.Receive(&ev)
		b.Receive(&ev)
	}
	if g.Len() != 1 || b.Len() != 1 || !g.Globe() || b.Globe() {
		t.Fatalf("globe %d balls, boards %d; want one each", g.Len(), b.Len())
	}
	if g.Stats().Received != 1 || b.Stats().Received != 1 {
		t.Errorf("received: globe %d, boards %d", g.Stats().Received, b.Stats().Received)
	}
}

// TestGlobeArc: a ball starts at its source, lands at its destination, and
// flies above the surface in between, for short and antipodal flights.
func TestGlobeArc(t *testing.T) {
	for _, tc := range []struct {
		name string
		ev   event.Event
	}{
		{"Tokyo to Berlin", earthEv(35.6544, 139.7447, 52.5, 13.3667, 1, "")},
		{"within one country", earthEv(35.6544, 139.7447, 35.6544, 139.7447, 3, "")},
		{"antipodes", earthEv(0, 0, 0, 180, 4, "")},
		{"pole to pole", earthEv(90, 0, -90, 0, 4, "")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewGlobe(Config{Fly: time.Second}, 800, 600)
			m.Advance(0)
			m.Receive(&tc.ev)
			a, b := EarthPoint(tc.ev.Lat1, tc.ev.Lon1), EarthPoint(tc.ev.Lat2, tc.ev.Lon2)
			// Every step of the flight clears the surface and none jumps,
			// finely sampled.
			prev := a
			for i := 1; i < 1000; i++ {
				p := arcAt(a, b.Sub(a), float32(i)/1000)
				if p.Len() <= GlobeRadius {
					t.Fatalf("k=%v: %v is inside the globe (|p| = %v)", float32(i)/1000, p, p.Len())
				}
				if p.Sub(prev).Len() > 2 {
					t.Fatalf("k=%v: jumps from %v to %v", float32(i)/1000, prev, p)
				}
				prev = p
			}
			for i := 0; i <= 10; i++ {
				bs := m.Balls(nil)
				if len(bs) != 1 {
					if i == 10 {
						break // landed and gone
					}
					t.Fatalf("step %d: %d balls", i, len(bs))
				}
				p := bs[0].At
				switch {
				case i == 0 && !near(p, a, 0.01):
					t.Fatalf("starts at %v, want %v", p, a)
				case i > 0 && i < 10 && p.Len() <= GlobeRadius:
					t.Fatalf("step %d: %v is inside the globe (|p| = %v)", i, p, p.Len())
				}
				if i == 9 {
					if end := arcAt(bs[0].From, bs[0].To.Sub(bs[0].From), 1); !near(end, b, 0.01) {
						t.Fatalf("lands at %v, want %v", end, b)
					}
				}
				m.Advance(100 * time.Millisecond)
			}
		})
	}
}

// TestGlobePickAndTrace: a ball on the near side can be picked; one behind
// the globe cannot, and is not drawn.
func TestGlobePick(t *testing.T) {
	m := NewGlobe(Config{Fly: 10 * time.Second}, 800, 600)
	m.Advance(0)
	near := earthEv(0, 0, 10, 10, 1, "0123456789abcdef0123456789abcdef-tc") // facing the default view
	far := earthEv(0, 180, 10, 170, 2, "")                                  // the far side
	m.Receive(&near)
	m.Receive(&far)
	m.Advance(2 * time.Second)
	var nb, fb Ball
	for _, b := range m.Balls(nil) {
		if b.Shape == 1 {
			nb = b
		} else {
			fb = b
		}
	}
	x, y, _, ok := m.Cam.Project(nb.At)
	if !ok || !m.Pick(x, y) {
		t.Fatal("the near ball was not picked")
	}
	sel, _ := m.Selection()
	if _, _, ok := sel.Event.Traceable(); !ok || sel.Event.Kind != event.KindEarth {
		t.Fatalf("selected %+v, want the traceable earth record", sel.Event)
	}
	m.ClearSelection()
	if x, y, _, ok := m.Cam.Project(fb.At); ok && m.Pick(x, y) {
		if s, _ := m.Selection(); s.Event.Flag == 2 {
			t.Fatal("picked a ball behind the globe")
		}
	}
	vs := m.Vertices()
	hidden := 0
	for q := 0; q < len(vs)/4; q++ {
		if vs[4*q].DstX == 0 && vs[4*q+3].DstX == 0 {
			hidden++
		}
	}
	if hidden != 1 {
		t.Errorf("%d balls not drawn, want the one behind the globe", hidden)
	}
}

func TestGlobeGridAndPlaces(t *testing.T) {
	cam := NewCamera(800, 600)
	eye := cam.Eye()
	front, back := 0, 0
	for _, s := range GlobeGrid() {
		if FacesEye(s.A.Add(s.B).Scale(0.5), eye) {
			front++
		} else {
			back++
		}
	}
	if front == 0 || back == 0 {
		t.Errorf("graticule: %d segments in front, %d behind", front, back)
	}
	if ps := GlobePlaces(); len(ps) < 240 {
		t.Errorf("%d places", len(ps))
	}
	ls := EarthLabels(&event.Event{Kind: event.KindEarth, Lat1: 35.6544, Lon1: 139.7447, Lat2: 52.5, Lon2: 13.3667})
	if len(ls) != 2 || ls[0].Text != "from Japan" || ls[1].Text != "to Germany" {
		t.Errorf("labels %+v", ls)
	}
}

// BenchmarkGlobeFrame is BenchmarkFrame for the globe: arcs cost a few
// square roots per ball more than the boards' straight flights.
func BenchmarkGlobeFrame(b *testing.B) {
	const n = 100_000
	m := NewGlobe(Config{Fly: time.Hour, MaxBalls: n}, 1280, 800)
	r := uint64(1)
	for i := 0; i < n; i++ {
		r = r*6364136223846793005 + 1442695040888963407
		ev := earthEv(float64(r>>40%180)-90, float64(r>>20%360)-180, float64(r>>8%180)-90, float64(r%360)-180, int(r%10), "")
		m.Receive(&ev)
	}
	b.ResetTimer()
	for b.Loop() {
		m.Advance(time.Second / 60)
		m.Vertices()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/ball")
}
