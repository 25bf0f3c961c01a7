package feed

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
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

// A rewind past the timeline's start loads the stream's history, and the
// board plays on from there, as it would within the timeline.
func TestControlRewindsIntoTheStream(t *testing.T) {
	base := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tl := timeline.New(1000)
	if err := tl.AllowPast(500); err != nil {
		t.Fatal(err)
	}
	h := &timeline.MemoryArchive{}
	for i := range 60 {
		ev := event.Event{Time: base.Add(time.Duration(i) * time.Second), Kind: event.KindPacket, Flag: i}
		if i < 50 {
			h.Events = append(h.Events, ev)
		} else {
			tl.Append(&ev) // the monitor heard 50..59 itself
		}
	}
	wall := base.Add(60 * time.Second)
	ph := timeline.NewPlayhead(tl, func() time.Time { return wall })
	ph.SetArchive(h)
	c := NewControl(tl, ph, "board")
	var logs bytes.Buffer
	c.LoadFrom(context.Background(), slog.New(slog.NewTextHandler(&logs, nil)))

	c.Do(visual.Request{Cmd: visual.CmdRewind, Seconds: 30}) // from live: to 30 s
	if !ph.Position().Live {
		t.Fatal("moved before the load finished")
	}
	c.Do(visual.Request{Cmd: visual.CmdRewind, Seconds: 30}) // while loading: one load at a time
	c.finishLoad(<-c.loaded)
	pos := ph.Position()
	if pos.Live || pos.Speed != 1 || !pos.Past || !pos.Time.Equal(base.Add(30*time.Second)) || pos.By != "board" {
		t.Fatalf("after the load: %+v", pos)
	}
	if first, end := tl.PastBounds(); end-first != 20 {
		t.Errorf("%d events loaded, want 30..49", end-first)
	}
	select {
	case <-c.loaded:
		t.Error("a second load ran meanwhile")
	default:
	}

	h.Err = errors.New("no servers available")
	c.Do(visual.Request{Cmd: visual.CmdPause})
	c.Do(visual.Request{Cmd: visual.CmdRewind, Seconds: 60})
	c.finishLoad(<-c.loaded)
	if !strings.Contains(logs.String(), "could not load from the stream") || !strings.Contains(logs.String(), "no servers available") {
		t.Errorf("failure not logged: %s", logs.String())
	}
}
