package console

import (
	"strings"
	"testing"
	"time"

	"github.com/packter/packter/timeline"
)

// TestFollowsAnotherView: when the board moves the shared playhead the list
// shows events before its position and the move is announced once; the
// console's own rewind moves the playhead for the others.
func TestFollowsAnotherView(t *testing.T) {
	r := newRig(t, 60, false)
	ph := timeline.NewPlayhead(r.tl, func() time.Time { return r.clock })
	r.c.ph = ph
	r.c.refresh()
	r.c.takeNotes()

	ph.Seek(30, "board")
	r.c.refresh()
	notes := r.c.takeNotes()
	if got := lastOf(notes, noteAnnounce); got != "Board rewound to 12:00:29, 30 events behind live" {
		t.Fatalf("move announced as %q", got)
	}
	if r.c.list.items[0].seq != 29 {
		t.Errorf("list top %d, want 29", r.c.list.items[0].seq)
	}
	r.c.refresh()
	if got := lastOf(r.c.takeNotes(), noteAnnounce); got != "" {
		t.Errorf("move announced twice: %q", got)
	}
	notes, _ = r.press("i")
	if got := lastOf(notes, noteAnnounce); !strings.Contains(got, "Paused at 12:00:29, 30 events behind live") {
		t.Errorf("status %q", got)
	}

	r.press("left")
	if pos := ph.Position(); pos.Live || pos.Seq != 20 || pos.By != "console" {
		t.Errorf("rewind moved the playhead to %+v", pos)
	}
	r.press("L")
	if !ph.Position().Live {
		t.Error("L did not take the playhead live")
	}

	ph.Seek(10, "board")
	ph.GoLive("board")
	r.c.refresh()
	if got := lastOf(r.c.takeNotes(), noteAnnounce); got != "Live" {
		t.Errorf("return to live announced as %q", got)
	}
}

// TestPlayingPositionAdvances: the list follows a playing position.
func TestPlayingPositionAdvances(t *testing.T) {
	r := newRig(t, 60, false)
	ph := timeline.NewPlayhead(r.tl, func() time.Time { return r.clock })
	r.c.ph = ph
	ph.Seek(10, "board")
	ph.Play(1, "board")
	r.c.refresh()
	top := r.c.list.items[0].seq
	r.clock = r.clock.Add(5 * time.Second)
	r.c.refresh()
	if got := r.c.list.items[0].seq; got != top+5 {
		t.Errorf("after 5 s at speed 1 the list top is %d, want %d", got, top+5)
	}
}
