package timeline

import (
	"testing"
	"time"

	"github.com/packter/packter/event"
)

// playerRig is a timeline with one packet a second from base, a playhead and
// a player on one fake wall clock.
type playerRig struct {
	base time.Time
	wall time.Time
	tl   *Timeline
	ph   *Playhead
	pl   *Player
}

func newPlayerRig(events int) *playerRig {
	r := &playerRig{base: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	r.tl = New(1000)
	for i := 0; i < events; i++ {
		r.add(i)
	}
	r.wall = r.base.Add(time.Duration(events) * time.Second)
	r.ph = NewPlayhead(r.tl, func() time.Time { return r.wall })
	r.pl = NewPlayer(r.tl, r.ph, 3*time.Second)
	return r
}

func (r *playerRig) add(i int) {
	r.tl.Append(&event.Event{Time: r.base.Add(time.Duration(i) * time.Second), Kind: event.KindPacket, Flag: i})
}

func flags(evs []event.Event) []int {
	var out []int
	for _, e := range evs {
		out = append(out, e.Flag)
	}
	return out
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPlayer(t *testing.T) {
	type step struct {
		act     func(r *playerRig) // before the step
		advance time.Duration      // wall time before the step
		max     int
		reset   bool
		live    bool
		speed   float64
		clock   time.Duration // Clock - base
		events  []int         // flags (= seconds after base) of Events
		skipped uint64
	}
	cases := []struct {
		name   string
		events int
		steps  []step
	}{
		{"live: first step shows what is in flight, then only new events", 10, []step{
			// wall = base+10s; lead 3s: events at 8 and 9 are in flight (7 has landed).
			{reset: true, live: true, speed: 1, clock: 10 * time.Second, events: []int{8, 9}},
			{advance: time.Second, act: func(r *playerRig) { r.add(10) }, live: true, speed: 1, clock: 11 * time.Second, events: []int{10}},
			{advance: time.Second / 60, live: true, speed: 1, clock: 11*time.Second + time.Second/60},
		}},
		{"max bounds a step and counts the rest", 10, []step{
			{max: 1, reset: true, live: true, speed: 1, clock: 10 * time.Second, events: []int{9}, skipped: 1},
			{act: func(r *playerRig) {
				for i := 10; i < 15; i++ {
					r.add(i)
				}
			}, max: 3, live: true, speed: 1, clock: 10 * time.Second, events: []int{12, 13, 14}, skipped: 2},
		}},
		{"a seek by anyone resets to lead before the position, paused", 10, []step{
			{reset: true, live: true, speed: 1, clock: 10 * time.Second, events: []int{8, 9}},
			// Seek(6): events 0..5 shown, the last at 5 s; in flight: 3, 4, 5.
			{act: func(r *playerRig) { r.ph.Seek(6, "console") }, reset: true, clock: 5 * time.Second, events: []int{3, 4, 5}},
			{advance: time.Hour, act: func(r *playerRig) { r.add(10) }, clock: 5 * time.Second},
		}},
		{"playing back follows the playhead, then catches up with live seamlessly", 10, []step{
			{act: func(r *playerRig) { r.ph.Seek(6, "board"); r.ph.Play(2, "board") }, reset: true, speed: 2, clock: 5 * time.Second, events: []int{3, 4, 5}},
			{advance: time.Second, act: func(r *playerRig) { r.add(10) }, speed: 2, clock: 7 * time.Second, events: []int{6, 7}},
			{advance: time.Second, act: func(r *playerRig) { r.add(11) }, speed: 2, clock: 9 * time.Second, events: []int{8, 9}},
			{advance: time.Second, act: func(r *playerRig) { r.add(12) }, speed: 2, clock: 11 * time.Second, events: []int{10, 11}},
			// The playhead reaches the newest event and turns live; all that
			// is in flight at the wall clock is still to come: no reset.
			{advance: time.Second, live: true, speed: 1, clock: 14 * time.Second, events: []int{12}},
		}},
		{"going live from far back resets", 10, []step{
			{act: func(r *playerRig) { r.ph.Seek(2, "console"); r.ph.Play(2, "console") }, reset: true, speed: 2, clock: 1 * time.Second, events: []int{0, 1}},
			{act: func(r *playerRig) { r.ph.GoLive("board") }, reset: true, live: true, speed: 1, clock: 10 * time.Second, events: []int{8, 9}},
		}},
		{"events evicted from the ring are counted", 0, []step{
			{reset: true, live: true, speed: 1, clock: 0},
			{act: func(r *playerRig) {
				for i := 0; i < 1000+chunkSize+5; i++ {
					r.add(i)
				}
			}, max: 1, live: true, speed: 1, clock: 0, events: []int{1000 + chunkSize + 4}, skipped: 1000 + chunkSize + 4},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newPlayerRig(c.events)
			var buf []event.Event
			for i, s := range c.steps {
				if s.act != nil {
					s.act(r)
				}
				r.wall = r.wall.Add(s.advance)
				f := r.pl.Step(r.wall, buf, s.max)
				buf = f.Events
				got := flags(f.Events)
				if f.Reset != s.reset || f.Live != s.live || f.Speed != s.speed || !f.Clock.Equal(r.base.Add(s.clock)) ||
					!sameInts(got, s.events) || f.Skipped != s.skipped {
					t.Errorf("step %d: reset=%v live=%v speed=%v clock=%v events=%v skipped=%d; want reset=%v live=%v speed=%v clock=%v events=%v skipped=%d",
						i, f.Reset, f.Live, f.Speed, f.Clock.Sub(r.base), got, f.Skipped,
						s.reset, s.live, s.speed, s.clock, s.events, s.skipped)
				}
			}
		})
	}
}

// TestPlayerEventsKeepTheirTime: views place balls by event time, so Events
// carry the original arrival times.
func TestPlayerEventsKeepTheirTime(t *testing.T) {
	r := newPlayerRig(5)
	f := r.pl.Step(r.wall, nil, 0)
	for _, ev := range f.Events {
		if want := r.base.Add(time.Duration(ev.Flag) * time.Second); !ev.Time.Equal(want) {
			t.Errorf("event %d at %v, want %v", ev.Flag, ev.Time, want)
		}
	}
}
