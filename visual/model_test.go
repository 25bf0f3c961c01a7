package visual

import (
	"math"
	"net/netip"
	"testing"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/protocol"
)

func pkt(src string, sport uint32, dst string, dport uint32, flag int) event.Event {
	return event.Event{
		Kind: event.KindPacket,
		Src:  protocol.AddrFrom(netip.MustParseAddr(src)), Dst: protocol.AddrFrom(netip.MustParseAddr(dst)),
		SPort: protocol.PortFrom(sport), DPort: protocol.PortFrom(dport), Flag: flag,
	}
}

func near(a, b Vec3, eps float32) bool {
	return a.Sub(b).Len() <= eps
}

func TestBoardPointPaperExample(t *testing.T) {
	// The paper: (10.0.0.1, 60000) appears at (0.039, 0.916) on the sender
	// board and flies to (127.0.0.1, 80) = (0.496, 0.001) on the receiver.
	ev := pkt("10.0.0.1", 60000, "127.0.0.1", 80, 1)
	if got, want := SenderPoint(&ev), BoardPoint(Sender, 167772161.0/(1<<32), 60000.0/65536); got != want {
		t.Fatalf("sender point %v, want %v", got, want)
	}
	s := SenderPoint(&ev)
	if x := float64(s.Z)/BoardSize + 0.5; math.Abs(x-0.039) > 0.001 {
		t.Errorf("sender x = %.4f, want 0.039", x)
	}
	if y := float64(s.Y)/BoardSize + 0.5; math.Abs(y-0.916) > 0.001 {
		t.Errorf("sender y = %.4f, want 0.916", y)
	}
	r := ReceiverPoint(&ev)
	if x := float64(r.Z)/BoardSize + 0.5; math.Abs(x-0.496) > 0.001 {
		t.Errorf("receiver x = %.4f, want 0.496", x)
	}
	if s.X != -BoardGap || r.X != BoardGap {
		t.Errorf("boards at %v and %v, want ∓%v", s.X, r.X, BoardGap)
	}
	// ICMP: type 8 (echo request) is sent as 8*256 and lands at 8/256.
	sp, dp := protocol.ICMPPorts(8, 0)
	ev.SPort, ev.DPort = sp, dp
	if y := float64(SenderPoint(&ev).Y)/BoardSize + 0.5; math.Abs(y-8.0/256) > 1e-6 {
		t.Errorf("ICMP type y = %v, want %v", y, 8.0/256)
	}
	// Out-of-range normalised values are clamped onto the board.
	if p := BoardPoint(Sender, math.NaN(), 7); p != BoardPoint(Sender, 0, 1) {
		t.Errorf("clamp: %v", p)
	}
}

func TestProjectAndRayAreInverse(t *testing.T) {
	c := NewCamera(800, 600)
	c.Rotate(0.3, -0.1)
	for _, p := range []Vec3{{0, 0, 0}, {-BoardGap, 50, -80}, {BoardGap, -100, 100}, {10, 20, 30}} {
		sx, sy, depth, ok := c.Project(p)
		if !ok {
			t.Fatalf("%v behind the camera", p)
		}
		o, dir := c.Ray(sx, sy)
		back := o.Add(dir.Scale(p.Sub(o).Dot(dir)))
		if !near(back, p, 0.05) {
			t.Errorf("ray through projection of %v passes %v", p, back)
		}
		if depth <= 0 {
			t.Errorf("%v at depth %v", p, depth)
		}
	}
	// The middle of the scene is at the middle of the screen.
	if sx, sy, _, _ := c.Project(Vec3{}); math.Abs(float64(sx-400)) > 0.01 || math.Abs(float64(sy-300)) > 0.01 {
		t.Errorf("origin at (%v,%v)", sx, sy)
	}
	// Behind the eye is not drawn.
	if _, _, _, ok := c.Project(c.Eye().Scale(2)); ok {
		t.Error("point behind the eye projected")
	}
}

func TestDefaultViewShowsBothBoards(t *testing.T) {
	c := NewCamera(1024, 640)
	for _, b := range []Board{Sender, Receiver} {
		for _, p := range Corners(b) {
			sx, sy, _, ok := c.Project(p)
			if !ok || sx < 0 || sx >= 1024 || sy < 0 || sy >= 640 {
				t.Errorf("%v corner %v off screen at (%v,%v)", b, p, sx, sy)
			}
		}
	}
	// Sender on the left, receiver on the right.
	ls, _, _, _ := c.Project(BoardPoint(Sender, 0.5, 0.5))
	rs, _, _, _ := c.Project(BoardPoint(Receiver, 0.5, 0.5))
	if !(ls < 512 && rs > 512) {
		t.Errorf("sender at x=%v, receiver at x=%v", ls, rs)
	}
}

func TestCameraLimits(t *testing.T) {
	c := NewCamera(100, 100)
	c.Rotate(0, 10)
	if c.Pitch > maxPitch {
		t.Errorf("pitch %v past the limit", c.Pitch)
	}
	c.Zoom(1e-9)
	if c.Distance < minDistance {
		t.Errorf("distance %v under the limit", c.Distance)
	}
	c.Zoom(math.NaN())
	c.Zoom(-1)
	if c.Distance != minDistance {
		t.Errorf("bad zoom factors moved the camera to %v", c.Distance)
	}
	c.Reset()
	if c.Distance != DefaultDistance || c.Pitch != DefaultPitch {
		t.Error("reset")
	}
}

func TestBallFliesAndVanishes(t *testing.T) {
	m := New(Config{Fly: time.Second}, 800, 600)
	ev := pkt("10.0.0.1", 60000, "127.0.0.1", 80, 1)
	m.Receive(&ev)
	bs := m.Balls(nil)
	if len(bs) != 1 || bs[0].At != SenderPoint(&ev) || bs[0].Shape != 1 {
		t.Fatalf("new ball %+v, want one blue ball at the sender point %v", bs, SenderPoint(&ev))
	}
	m.Advance(500 * time.Millisecond)
	bs = m.Balls(bs[:0])
	mid := SenderPoint(&ev).Add(ReceiverPoint(&ev)).Scale(0.5)
	if len(bs) != 1 || !near(bs[0].At, mid, 0.01) {
		t.Fatalf("half way: %+v, want at %v", bs, mid)
	}
	m.Advance(499 * time.Millisecond)
	if m.Len() != 1 {
		t.Fatal("ball vanished before arriving")
	}
	m.Advance(2 * time.Millisecond)
	if m.Len() != 0 {
		t.Fatalf("ball still flying after its flight time: %+v", m.Balls(nil))
	}
}

func TestFloodIsMissile(t *testing.T) {
	m := New(Config{}, 800, 600)
	ev := pkt("10.0.0.1", 1, "10.0.0.2", 2, 0)
	ev.Model = event.CleanText(protocol.FloodModel, event.MaxText)
	m.Receive(&ev)
	if bs := m.Balls(nil); bs[0].Shape != Missile {
		t.Fatalf("flood drawn as shape %d", bs[0].Shape)
	}
	vs := m.Vertices()
	if len(vs) != 4 || vs[0].SrcX != MissileU0 {
		t.Fatalf("missile vertices %+v", vs)
	}
	// A missile is longer than wide on screen: its quad's diagonal is long.
	l := math.Hypot(float64(vs[1].DstX-vs[0].DstX), float64(vs[1].DstY-vs[0].DstY))
	w := math.Hypot(float64(vs[2].DstX-vs[0].DstX), float64(vs[2].DstY-vs[0].DstY))
	if !(l > 2*w) {
		t.Errorf("missile %v long, %v wide", l, w)
	}
}

func TestPoolReuseAndLimit(t *testing.T) {
	m := New(Config{Fly: time.Second, MaxBalls: 100}, 800, 600)
	ev := pkt("10.0.0.1", 1, "10.0.0.2", 2, 3)
	for i := 0; i < 150; i++ {
		m.Receive(&ev)
	}
	if s := m.Stats(); s.Live != 100 || s.Dropped != 50 || s.Received != 150 {
		t.Fatalf("stats %+v, want 100 live, 50 dropped", s)
	}
	c := cap(m.balls)
	for round := 0; round < 20; round++ {
		m.Advance(1100 * time.Millisecond)
		if m.Len() != 0 {
			t.Fatal("balls outlived their flight")
		}
		for i := 0; i < 100; i++ {
			m.Receive(&ev)
		}
		m.Vertices()
	}
	if cap(m.balls) != c {
		t.Errorf("pool grew from %d to %d while the number of balls stayed the same", c, cap(m.balls))
	}
	if allocs := testing.AllocsPerRun(50, func() {
		m.Advance(time.Millisecond)
		m.Vertices()
	}); allocs != 0 {
		t.Errorf("frame allocates %v times", allocs)
	}
	// Arrivals release their events' strings.
	m.Advance(2 * time.Second)
	for _, e := range m.evs[:cap(m.evs)][:100] {
		if e.Kind != event.KindNone {
			t.Fatal("expired slot still holds its event")
		}
	}
}

func TestVerticesAtProjection(t *testing.T) {
	m := New(Config{}, 1024, 640)
	evs := []event.Event{pkt("10.0.0.1", 60000, "127.0.0.1", 80, 1), pkt("200.1.2.3", 80, "10.1.1.1", 5555, 13)}
	for i := range evs {
		m.Receive(&evs[i])
	}
	vs := m.Vertices()
	if len(vs) != 8 {
		t.Fatalf("%d vertices", len(vs))
	}
	for i := range evs {
		sx, sy, _, _ := m.Cam.Project(SenderPoint(&evs[i]))
		v := vs[4*i : 4*i+4]
		cx, cy := (v[0].DstX+v[3].DstX)/2, (v[0].DstY+v[3].DstY)/2
		if math.Abs(float64(cx-sx)) > 0.01 || math.Abs(float64(cy-sy)) > 0.01 {
			t.Errorf("ball %d drawn at (%v,%v), projects to (%v,%v)", i, cx, cy, sx, sy)
		}
		want := FlagColors[evs[i].Class()]
		if v[0].ColorR != float32(want.R)/255 || v[0].ColorG != float32(want.G)/255 || v[0].ColorB != float32(want.B)/255 {
			t.Errorf("ball %d colour %v, want %v", i, v[0], want)
		}
	}
	// Come close and turn round: a ball behind the eye gets an empty quad.
	m.Cam.Zoom(0.01)
	m.Cam.Rotate(-math.Pi/2, -m.Cam.Pitch)
	behind := 0
	for i, b := range m.Balls(nil) {
		if _, _, _, ok := m.Cam.Project(b.At); !ok {
			behind++
			if v := m.Vertices()[4*i:]; v[0].DstX != v[3].DstX || v[0].DstY != v[3].DstY {
				t.Errorf("ball %d behind the eye drawn at %v", i, v[:4])
			}
		}
	}
	if behind == 0 {
		t.Error("test set-up: no ball behind the eye")
	}
	if got := QuadIndices(MaxQuadsPerBatch + 5); len(got) != 6*MaxQuadsPerBatch || got[len(got)-1] != 65534 {
		t.Errorf("indices: %d, last %d", len(got), got[len(got)-1])
	}
}

func TestPick(t *testing.T) {
	m := New(Config{}, 1024, 640)
	a := pkt("10.0.0.1", 60000, "127.0.0.1", 80, 1)
	b := pkt("200.0.0.1", 1000, "127.0.0.1", 80, 2)
	a.Desc, b.Desc = event.CleanText("a", event.MaxText), event.CleanText("b", event.MaxText)
	m.Receive(&a)
	m.Receive(&b)
	sx, sy, _, _ := m.Cam.Project(SenderPoint(&b))
	if !m.Pick(sx+1, sy-1) {
		t.Fatal("click on ball b missed")
	}
	if s, ok := m.Selection(); !ok || s.Event.Desc.String() != "b" || !s.Alive || s.At != SenderPoint(&b) {
		t.Fatalf("selected %+v", s)
	}
	// A click on empty space misses and keeps the selection.
	if m.Pick(5, 5) {
		t.Fatal("click in the corner picked something")
	}
	if s, _ := m.Selection(); s.Event.Desc.String() != "b" {
		t.Fatal("miss dropped the selection")
	}
	// Of two balls on the same ray, the nearer one is picked.
	o, dir := m.Cam.Ray(512, 200)
	m2 := New(Config{}, 1024, 640)
	for i, d := range []float32{300, 200} {
		m2.balls = append(m2.balls, ball{a: o.Add(dir.Scale(d)), id: uint64(i + 1)})
		m2.evs = append(m2.evs, event.Event{Desc: event.CleanText([]string{"far", "near"}[i], event.MaxDesc)})
	}
	if !m2.Pick(512, 200) {
		t.Fatal("missed two balls on the ray")
	}
	if s, _ := m2.Selection(); s.Event.Desc.String() != "near" {
		t.Errorf("picked %q, want the nearer ball", s.Event.Desc)
	}
	// The selected record outlives its ball.
	m.Advance(DefaultFly + time.Millisecond)
	if s, ok := m.Selection(); !ok || s.Alive || s.Event.Desc.String() != "b" {
		t.Errorf("after arrival: %+v %v", s, ok)
	}
	m.ClearSelection()
	if _, ok := m.Selection(); ok {
		t.Error("selection not cleared")
	}
}

func TestSelectNext(t *testing.T) {
	m := New(Config{}, 800, 600)
	if m.SelectNext(1) {
		t.Fatal("selected with no balls")
	}
	for _, d := range []string{"1", "2", "3"} {
		e := pkt("10.0.0.1", 1, "10.0.0.2", 2, 0)
		e.Desc = event.CleanText(d, event.MaxText)
		m.Receive(&e)
	}
	var got []string
	for i := 0; i < 4; i++ {
		m.SelectNext(1)
		s, _ := m.Selection()
		got = append(got, s.Event.Desc.String())
	}
	m.SelectNext(-1)
	s, _ := m.Selection()
	got = append(got, s.Event.Desc.String())
	if want := "1 2 3 1 3"; join(got) != want {
		t.Errorf("Tab order %q, want %q", join(got), want)
	}
}

func join(s []string) string {
	r := ""
	for i, x := range s {
		if i > 0 {
			r += " "
		}
		r += x
	}
	return r
}

func TestMessages(t *testing.T) {
	m := New(Config{MessageTime: time.Second}, 800, 600)
	m.SetClock(Clock{Time: time.Unix(100, 0)}, time.Unix(100, 0)) // paused: messages still show and time out
	m.Receive(&event.Event{Kind: event.KindMessage, File: event.CleanText("pic01.png", event.MaxText), Text: event.CleanText("<b>Traceback</b> trial<br>succeeded &amp; done", event.MaxText)})
	m.Receive(&event.Event{Kind: event.KindSky, File: event.CleanText("sky.png", event.MaxText)})
	m.Receive(&event.Event{Kind: event.KindSound, File: event.CleanText("x.wav", event.MaxText)})
	msgs := m.Messages(nil)
	if len(msgs) != 1 || joinLines(msgs[0].Lines) != "Traceback trial\nsucceeded & done" || msgs[0].Picture.String() != "pic01.png" {
		t.Fatalf("messages %+v", msgs)
	}
	if m.Sky() != "sky.png" {
		t.Errorf("sky %q", m.Sky())
	}
	m.SetClock(Clock{Time: time.Unix(100, 0)}, time.Unix(100, 999*1e6))
	if len(m.Messages(nil)) != 1 {
		t.Fatal("message gone early")
	}
	m.SetClock(Clock{Time: time.Unix(100, 0)}, time.Unix(101, 1e6))
	if len(m.Messages(nil)) != 0 {
		t.Fatal("message outstayed its time")
	}
	for i := 0; i < 10; i++ {
		m.Receive(&event.Event{Kind: event.KindHTML, Text: event.CleanText(string(rune('a'+i)), event.MaxText)})
	}
	if msgs := m.Messages(nil); len(msgs) != maxMessages || joinLines(msgs[maxMessages-1].Lines) != "j" {
		t.Errorf("kept %+v", msgs)
	}
}

func TestInboxDropsWhenFull(t *testing.T) {
	b := NewInbox(2)
	e := event.Event{Kind: event.KindPacket}
	if !b.Push(&e) || !b.Push(&e) || b.Push(&e) {
		t.Fatal("limit not kept")
	}
	q, dropped := b.Swap(nil)
	if len(q) != 2 || dropped != 1 {
		t.Fatalf("got %d, dropped %d", len(q), dropped)
	}
	if !b.Push(&e) {
		t.Fatal("push after swap")
	}
	q2, _ := b.Swap(q)
	if len(q2) != 1 {
		t.Fatal("second swap")
	}
}

func TestAtlas(t *testing.T) {
	img := Atlas()
	if c := img.RGBAAt(32, 32); c.R != 255 || c.G != 255 || c.B != 255 || c.A != 255 {
		t.Errorf("ball centre %v, want white so the tint is the flag colour", c)
	}
	if c := img.RGBAAt(0, 0); c.A != 0 {
		t.Errorf("ball corner %v, want transparent", c)
	}
	if c := img.RGBAAt(64+64, 32); c != MissileColor {
		t.Errorf("missile body %v, want %v", c, MissileColor)
	}
	if c := img.RGBAAt(4, 68); c.A != 255 {
		t.Error("white block")
	}
}

func TestLegendAndLabels(t *testing.T) {
	l := Legend()
	if len(l) != 11 || l[1].Color != FlagColors[1] || l[10].Shape != Missile {
		t.Errorf("legend %+v", l)
	}
	ls := AxisLabels()
	found := map[string]bool{}
	for _, x := range ls {
		found[x.Text] = true
	}
	for _, s := range []string{"sender board", "receiver board", "128.0.0.0", "32768", "65535", "0.0.0.0"} {
		if !found[s] {
			t.Errorf("no label %q", s)
		}
	}
	if len(Grid()) != 20 {
		t.Errorf("grid has %d lines", len(Grid()))
	}
	if len(HelpLines()) != len(KeyMap)+2 {
		t.Error("help lines")
	}
}
