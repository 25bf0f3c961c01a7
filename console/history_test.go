package console

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/packter/packter/console/consoletest"
	"github.com/packter/packter/timeline"
)

// historyRig is a console on a monitor that started at event 100 of a
// stream holding events 0..119: the timeline holds 100..119.
func historyRig(t *testing.T, withArchive bool) (*rig, *timeline.MemoryArchive) {
	t.Helper()
	r := &rig{tl: timeline.New(1 << 16), sound: consoletest.NewSound(), speech: &consoletest.Speech{}}
	if err := r.tl.AllowPast(1000); err != nil {
		t.Fatal(err)
	}
	a := &timeline.MemoryArchive{}
	for i := range 100 {
		a.Events = append(a.Events, consoletest.Synthetic(i, consoletest.Base.Add(time.Duration(i)*time.Second)))
	}
	r.n = 100
	r.add(20)
	r.clock = consoletest.Base.Add(120 * time.Second)
	now := func() time.Time { return r.clock }
	ph := timeline.NewPlayhead(r.tl, now)
	if withArchive {
		ph.SetArchive(a)
	}
	r.c = newCore(Config{Timeline: r.tl, Playhead: ph, Sound: r.sound, Speech: r.speech, Accessible: true, Now: now})
	r.c.refresh()
	r.c.takeNotes()
	return r, a
}

// runLoads runs the loads the keys started, as the model does, and returns
// the notes of their outcome.
func (r *rig) runLoads(t *testing.T) []note {
	t.Helper()
	loads := r.c.takeLoads()
	if len(loads) != 1 {
		t.Fatalf("%d loads started, want 1", len(loads))
	}
	r.c.loadDone(loads[0].run(context.Background()))
	return r.c.takeNotes()
}

func TestRewindIntoTheStreamHistory(t *testing.T) {
	r, a := historyRig(t, true)
	notes, _ := r.press("left") // 10 s back: within the timeline
	if got := lastOf(notes, noteAnnounce); !strings.HasPrefix(got, "Rewound to 12:01:49") || a.Loads() != 0 {
		t.Fatalf("first rewind: %q (loads %d)", got, a.Loads())
	}
	notes, _ = r.press("left") // before the timeline's first event (12:01:40)
	if got := lastOf(notes, noteAnnounce); got != "Loading the stream's history from 12:01:39" {
		t.Fatalf("rewind past the start: %q", got)
	}
	notes, _ = r.press("left")
	if got := lastOf(notes, noteAnnounce); got != "Still loading from the stream" {
		t.Errorf("key while loading: %q", got)
	}
	notes = r.runLoads(t)
	want := "From the stream: 1 event, 12:01:39 to 12:01:39; at 12:01:39, 20 events behind live"
	if got := lastOf(notes, noteAnnounce); got != want {
		t.Errorf("after the load: %q\nwant %q", got, want)
	}
	if pos := r.c.list.pos; !pos.Past || pos.Live {
		t.Errorf("position %+v, want in the stream's history", pos)
	}
	if got := positionText(r.c.list.pos); !strings.HasSuffix(got, "in the stream's history") {
		t.Errorf("position text %q", got)
	}
	// The list shows the history, up to the position.
	if n := len(r.c.list.items); n != 1 || !r.c.list.items[0].ev.Time.Equal(consoletest.Base.Add(99*time.Second)) {
		t.Errorf("list after the load: %d items", n)
	}
	// Another step back loads 10 s more.
	r.press("left")
	notes = r.runLoads(t)
	if got := lastOf(notes, noteAnnounce); !strings.HasPrefix(got, "From the stream: 11 events, 12:01:29 to 12:01:39; at 12:01:29") {
		t.Errorf("second step: %q", got)
	}

	// Going to a time typed, further back: loaded too.
	r.press("g")
	r.typeText("2m")
	notes, _ = r.press("enter")
	if got := lastOf(notes, noteAnnounce); got != "Loading the stream's history from 12:00:00" {
		t.Fatalf("go to 2m back: %q", got)
	}
	notes = r.runLoads(t)
	if got := lastOf(notes, noteAnnounce); !strings.HasPrefix(got, "From the stream: 100 events, 12:00:00 to 12:01:39; at 12:00:00") {
		t.Errorf("after going to 2m back: %q", got)
	}
	// Within what is now held: no load.
	r.press("g")
	r.typeText("12:00:50")
	notes, _ = r.press("enter")
	if got := lastOf(notes, noteAnnounce); got != "At 12:00:50, 69 events before live" || len(r.c.takeLoads()) != 0 {
		t.Errorf("go to 12:00:50: %q", got)
	}
	notes, _ = r.press("L")
	if got := lastOf(notes, noteAnnounce); got != "Live, back from the stream's history" {
		t.Errorf("back to live: %q", got)
	}
}

func TestStreamHistoryTroubles(t *testing.T) {
	r, a := historyRig(t, true)
	a.Events = nil // the stream keeps nothing older
	r.press("g")
	r.typeText("1m")
	r.press("enter")
	notes := r.runLoads(t)
	if got := lastOf(notes, noteAnnounce); got != "The stream holds nothing from 12:01:00 before the timeline; at the start of the timeline" {
		t.Errorf("empty stream: %q", got)
	}
	a.Err = errors.New("no servers available")
	r.press("g")
	r.typeText("1m")
	r.press("enter")
	notes = r.runLoads(t)
	if got := lastOf(notes, noteAnnounce); got != "Could not load from the stream: loading from the archive: no servers available" {
		t.Errorf("failing stream: %q", got)
	}

	// Without a stream, the start of the timeline is where rewinding ends.
	r, _ = historyRig(t, false)
	r.press("g")
	r.typeText("1m")
	notes, _ = r.press("enter")
	if got := lastOf(notes, noteAnnounce); got != "The timeline starts at 12:01:40; at its start" || len(r.c.takeLoads()) != 0 {
		t.Errorf("no stream: %q", got)
	}
	r.press("g")
	r.typeText("yesterday")
	notes, _ = r.press("enter")
	if got := lastOf(notes, noteAnnounce); !strings.HasPrefix(got, "Not understood:") {
		t.Errorf("nonsense: %q", got)
	}
}

func TestParseGoTo(t *testing.T) {
	now := time.Date(2026, 11, 30, 9, 30, 0, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Time
	}{
		{"09:05", time.Date(2026, 11, 30, 9, 5, 0, 0, time.UTC)},
		{"9:05:30", time.Date(2026, 11, 30, 9, 5, 30, 0, time.UTC)},
		{"23:10", time.Date(2026, 11, 29, 23, 10, 0, 0, time.UTC)}, // later today: yesterday's
		{"10m", now.Add(-10 * time.Minute)},
		{"-1h30m", now.Add(-90 * time.Minute)},
		{" 90s ", now.Add(-90 * time.Second)},
		{"2026-11-29T08:00:00Z", time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)},
	} {
		got, err := ParseGoTo(c.in, now)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("ParseGoTo(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "25:00", "soon", "10", "1:2:3:4"} {
		if _, err := ParseGoTo(bad, now); err == nil {
			t.Errorf("ParseGoTo(%q) accepted", bad)
		}
	}
}
