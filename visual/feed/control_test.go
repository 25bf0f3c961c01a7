package feed

import (
	"testing"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/timeline"
	"github.com/packter/packter/visual"
)

func TestControl(t *testing.T) {
	base := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tl := timeline.New(1000)
	add := func(i int) {
		tl.Append(&event.Event{Time: base.Add(time.Duration(i) * time.Second), Kind: event.KindPacket, Flag: i})
	}
	for i := 0; i < 60; i++ { // one a second for a minute
		add(i)
	}
	wall := base.Add(60 * time.Second)
	ph := timeline.NewPlayhead(tl, func() time.Time { return wall })
	c := NewControl(tl, ph, "board")

	// Pause while live with nothing newer: held, the playhead stays live.
	c.Do(visual.Request{Cmd: visual.CmdPause})
	if !c.Holding() || !ph.Position().Live {
		t.Fatalf("pause at the live end: holding %v, %+v", c.Holding(), ph.Position())
	}
	c.Tick()
	if !c.Holding() {
		t.Fatal("hold let go with nothing newer")
	}
	add(60) // something newer: the hold becomes a pause where it was
	c.Tick()
	if pos := ph.Position(); c.Holding() || pos.Live || pos.Seq != 60 || pos.By != "board" {
		t.Fatalf("after a newer event: holding %v, %+v", c.Holding(), pos)
	}

	// Rewind 10 s from a pause at 59 s: paused at 49 s, still paused.
	c.Do(visual.Request{Cmd: visual.CmdRewind, Seconds: 10})
	if pos := ph.Position(); pos.Live || pos.Speed != 0 || !pos.Time.Equal(base.Add(49*time.Second)) {
		t.Fatalf("rewound while paused: %+v", pos)
	}
	c.Do(visual.Request{Cmd: visual.CmdResume})
	if pos := ph.Position(); pos.Speed != 1 {
		t.Fatalf("resume: %+v", pos)
	}
	// Rewind while playing keeps playing, 10 s further back.
	c.Do(visual.Request{Cmd: visual.CmdRewind, Seconds: 10})
	if pos := ph.Position(); pos.Speed != 1 || !pos.Time.Equal(base.Add(39*time.Second)) {
		t.Fatalf("rewound while playing: %+v", pos)
	}
	c.Do(visual.Request{Cmd: visual.CmdLive})
	if pos := ph.Position(); !pos.Live || pos.By != "board" {
		t.Fatalf("live: %+v", pos)
	}
	// From live, a rewind plays back from 10 s before now.
	wall = base.Add(61 * time.Second)
	c.Do(visual.Request{Cmd: visual.CmdRewind, Seconds: 10})
	if pos := ph.Position(); pos.Live || pos.Speed != 1 || !pos.Time.Equal(base.Add(51*time.Second)) {
		t.Fatalf("rewound from live: %+v", pos)
	}
}
