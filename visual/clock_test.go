package visual

import (
	"fmt"
	"testing"
	"time"
)

// TestFlightOnTheClock is the runaway's fix: however few frames are drawn, a
// ball lives exactly Fly on the timeline clock.
func TestFlightOnTheClock(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	m := New(Config{Fly: 3 * time.Second}, 800, 600)
	m.SetClock(Clock{Time: t0, Live: true, Speed: 1}, t0)
	for i := 0; i < 100; i++ {
		ev := pkt("10.0.0.1", 1, "10.0.0.2", 2, 1)
		ev.Time = t0.Add(time.Duration(i) * 10 * time.Millisecond)
		m.Receive(&ev)
	}
	// One slow frame 2 s later: all are in flight, the oldest 2/3 of the way.
	m.SetClock(Clock{Time: t0.Add(2 * time.Second), Live: true, Speed: 1}, t0.Add(2*time.Second))
	bs := m.Balls(nil)
	if len(bs) != 100 {
		t.Fatalf("%d in flight, want 100", len(bs))
	}
	// The next frame comes 5 s later: every ball has landed, however few
	// frames were drawn meanwhile.
	m.SetClock(Clock{Time: t0.Add(5 * time.Second), Live: true, Speed: 1}, t0.Add(5*time.Second))
	if m.Len() != 0 {
		t.Fatalf("%d balls outlived their flight", m.Len())
	}
	// An event that landed before it reached the board is counted, not drawn.
	ev := pkt("10.0.0.1", 1, "10.0.0.2", 2, 1)
	ev.Time = t0
	m.Receive(&ev)
	if m.Len() != 0 || m.Stats().Received != 101 {
		t.Fatalf("landed event: %d balls, %+v", m.Len(), m.Stats())
	}
}

func TestClockPositionsAndReset(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	m := New(Config{Fly: 2 * time.Second}, 800, 600)
	ev := pkt("10.0.0.1", 1, "10.0.0.2", 2, 1)
	ev.Time = t0
	m.SetClock(Clock{Time: t0.Add(500 * time.Millisecond), Speed: 1}, t0.Add(time.Minute))
	m.Receive(&ev) // a replayed event, mid-flight when it arrives
	if bs := m.Balls(nil); len(bs) != 1 || bs[0].Done != 0.25 {
		t.Fatalf("replayed ball %+v, want a quarter of the way", bs)
	}
	if m.Mode() != Replay || m.Behind() != time.Minute-500*time.Millisecond {
		t.Errorf("mode %v behind %v", m.Mode(), m.Behind())
	}
	// Moving the clock back (a seek) without a reset drops balls not born yet.
	m.SetClock(Clock{Time: t0.Add(-time.Second), Speed: 0}, t0.Add(time.Minute))
	if m.Len() != 0 || m.Mode() != Paused {
		t.Fatalf("after a jump back: %d balls, %v", m.Len(), m.Mode())
	}
	m.SetClock(Clock{Time: t0.Add(time.Second), Speed: 0}, t0.Add(time.Minute))
	m.Receive(&ev)
	m.SetClock(Clock{Time: t0.Add(time.Second), Speed: 0, Reset: true}, t0.Add(time.Minute))
	if m.Len() != 0 {
		t.Fatal("reset kept the balls")
	}
}

// TestBudgetDrawsDensity: past the budget a sample is drawn one by one over
// a density layer of the rest, and the counts say so.
func TestBudgetDrawsDensity(t *testing.T) {
	m := New(Config{Fly: time.Hour, Budget: 1000}, 1280, 800)
	fill(m, 5000, 7)
	vs := m.Vertices()
	s := m.Stats()
	if s.Live != 5000 || s.Drawn < 900 || s.Drawn > 1100 || s.Cells == 0 {
		t.Fatalf("stats %+v: want 5000 in flight, about 1000 drawn, some density cells", s)
	}
	if len(vs) != 4*(s.Drawn+s.Cells) {
		t.Fatalf("%d vertices for %d balls and %d cells", len(vs), s.Drawn, s.Cells)
	}
	if got := s.Load(); got != fmt.Sprintf("showing %s of 5,000 in flight, the rest as density", Thousands(s.Drawn)) {
		t.Errorf("load line %q", got)
	}
	if allocs := testing.AllocsPerRun(20, func() { m.Vertices() }); allocs != 0 {
		t.Errorf("a frame over budget allocates %v times", allocs)
	}
	// Within budget: every ball, no density, no load line.
	m.SetBudget(10_000)
	if vs = m.Vertices(); len(vs) != 4*5000 || m.Stats().Load() != "" {
		t.Errorf("within budget: %d vertices, %q", len(vs), m.Stats().Load())
	}
}

func TestTimeLabel(t *testing.T) {
	wall := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		c    Clock
		want string
	}{
		{Clock{Time: wall, Live: true, Speed: 1}, "LIVE"},
		{Clock{Time: wall.Add(-42 * time.Second), Speed: 1}, "REWIND −0:42 ×1"},
		{Clock{Time: wall.Add(-42 * time.Second)}, "PAUSED −0:42"},
		{Clock{Time: wall.Add(-(3723*time.Second + 500*time.Millisecond)), Speed: 2.5}, "REWIND −1:02:03 ×2.5"},
		{Clock{Time: wall.Add(-2 * time.Hour), Past: true}, "PAUSED −2:00:00 · STREAM"},
	} {
		if got := TimeLabel(c.c, wall); got != c.want {
			t.Errorf("%+v: %q, want %q", c.c, got, c.want)
		}
	}
	if Thousands(180000) != "180,000" || Thousands(999) != "999" || Thousands(-1234) != "-1,234" {
		t.Error("Thousands")
	}
}

func TestInboxClockReset(t *testing.T) {
	b := NewInbox(10)
	e := pkt("10.0.0.1", 1, "10.0.0.2", 2, 1)
	at := time.Unix(100, 0)
	b.Push(&e)
	b.SetClock(Clock{Time: at, Live: true, Speed: 1}, at)
	b.Push(&e)
	b.SetClock(Clock{Time: at.Add(-time.Minute), Reset: true}, at)
	e.Flag = 2
	b.Push(&e)
	b.SetClock(Clock{Time: at.Add(-time.Minute + time.Second)}, at)
	q, c := b.Take(nil)
	if len(q) != 1 || q[0].Flag != 2 || !c.Set || !c.Reset || !c.Clock.Time.Equal(at.Add(-time.Minute+time.Second)) {
		t.Fatalf("after a reset: %d events, %+v", len(q), c)
	}
	if _, c = b.Take(q); c.Set || c.Reset {
		t.Fatalf("clock state not taken: %+v", c)
	}
}
