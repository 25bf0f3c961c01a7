package timeline

import (
	"testing"
	"time"

	"github.com/packter/packter/event"
)

func TestPlayhead(t *testing.T) {
	base := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tl := New(100)
	for i := 0; i < 10; i++ { // one event a second
		tl.Append(&event.Event{Time: base.Add(time.Duration(i) * time.Second), Kind: event.KindPacket, Flag: 1})
	}
	wall := base.Add(20 * time.Second)
	p := NewPlayhead(tl, func() time.Time { return wall })

	if pos := p.Position(); !pos.Live || pos.Seq != 10 {
		t.Fatalf("new playhead: %+v, want live at 10", pos)
	}
	ch := p.Changed()
	p.Seek(4, "console")
	select {
	case <-ch:
	default:
		t.Fatal("Seek did not signal a change")
	}
	pos := p.Position()
	if pos.Live || pos.Seq != 4 || pos.By != "console" || pos.Behind != 6 || !pos.Time.Equal(base.Add(3*time.Second)) {
		t.Fatalf("after Seek(4): %+v", pos)
	}

	p.Play(2, "board")
	wall = wall.Add(1500 * time.Millisecond) // 3 s of timeline at speed 2
	pos = p.Position()
	if pos.Live || pos.Seq != 7 || pos.Speed != 2 || pos.By != "board" {
		t.Fatalf("playing: %+v, want seq 7 at speed 2", pos)
	}
	p.Pause("board")
	wall = wall.Add(time.Hour)
	if pos = p.Position(); pos.Seq != 7 || pos.Speed != 0 {
		t.Fatalf("paused: %+v, want seq 7", pos)
	}

	p.Play(1, "board")
	wall = wall.Add(10 * time.Second)
	before := p.Position().Version
	if pos = p.Position(); !pos.Live {
		t.Fatalf("playing past the end: %+v, want live", pos)
	}
	_ = before

	p.Seek(99, "console")
	if pos = p.Position(); !pos.Live {
		t.Fatalf("seek past the end: %+v, want live", pos)
	}
	p.Seek(2, "console")
	p.GoLive("board")
	if pos = p.Position(); !pos.Live || pos.By != "board" {
		t.Fatalf("GoLive: %+v", pos)
	}
}

func TestPlayheadRingMovesPastPausedPosition(t *testing.T) {
	base := time.Unix(1000, 0)
	tl := New(1)
	n := tl.Capacity()
	for i := 0; i < n; i++ {
		tl.Append(&event.Event{Time: base.Add(time.Duration(i) * time.Second), Kind: event.KindPacket})
	}
	p := NewPlayhead(tl, func() time.Time { return base })
	p.Seek(1, "console")
	for i := n; i < 2*n; i++ {
		tl.Append(&event.Event{Time: base.Add(time.Duration(i) * time.Second), Kind: event.KindPacket})
	}
	first, _ := tl.Bounds()
	if first <= 1 {
		t.Fatalf("the ring did not turn: first %d", first)
	}
	if pos := p.Position(); pos.Seq != first {
		t.Fatalf("paused position evicted: seq %d, want the oldest held %d", pos.Seq, first)
	}
}
