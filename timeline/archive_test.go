package timeline

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/packter/packter/event"
)

func stamped(i int) event.Event {
	return event.Event{Time: t0.Add(time.Duration(i) * time.Second), Kind: event.KindPacket, Flag: 1,
		Desc: event.CleanText(fmt.Sprintf("record %d", i), event.MaxDesc)}
}

// archived returns an archive of events 0..n-1 and a timeline whose ring
// holds events from..n-1 (those the monitor heard itself).
func archived(t *testing.T, n, from, past int) (*MemoryArchive, *Timeline) {
	t.Helper()
	a := &MemoryArchive{}
	tl := New(1 << 16)
	if err := tl.AllowPast(past); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		ev := stamped(i)
		a.Events = append(a.Events, ev)
		if i >= from {
			tl.Append(&ev)
		}
	}
	return a, tl
}

func descAt(t *testing.T, tl *Timeline, seq uint64) string {
	t.Helper()
	var ev event.Event
	if !tl.Get(seq, &ev) {
		t.Fatalf("seq %d not held", seq)
	}
	return ev.Desc.String()
}

// Seeking before the timeline loads that stretch from the archive; the
// views then play on from it into the ring without a gap or a repeat.
func TestSeekTimeLoadsFromTheArchive(t *testing.T) {
	a, tl := archived(t, 100, 60, 1000)
	p := NewPlayhead(tl, func() time.Time { return t0.Add(200 * time.Second) })
	p.SetArchive(a)
	if !p.HasArchive() {
		t.Fatal("no archive")
	}
	l, err := p.SeekTime(context.Background(), t0.Add(20*time.Second), "console")
	if err != nil {
		t.Fatal(err)
	}
	if l.Events != 40 || l.Cut || !l.From.Equal(t0.Add(20*time.Second)) || !l.To.Equal(t0.Add(59*time.Second)) {
		t.Fatalf("loaded %+v, want records 20..59", l)
	}
	pos := p.Position()
	if pos.Live || pos.By != "console" || !pos.Past || descAt(t, tl, pos.Seq-1) != "record 20" {
		t.Fatalf("position %+v", pos)
	}
	first, next := tl.Bounds()
	if next-first != 80 {
		t.Fatalf("bounds %d..%d: %d events, want 80", first, next, next-first)
	}
	for i, seq := 0, first; seq < next; i, seq = i+1, seq+1 {
		if got, want := descAt(t, tl, seq), fmt.Sprintf("record %d", 20+i); got != want {
			t.Fatalf("seq %d: %q, want %q", seq, got, want)
		}
	}
	if got := tl.Search(t0.Add(59 * time.Second)); descAt(t, tl, got) != "record 59" {
		t.Errorf("search into the past found %q", descAt(t, tl, got))
	}
	if r := tl.Recent(nil, first+5, 10); len(r) != 5 || r[0].Desc.String() != "record 20" {
		t.Errorf("recent across the past: %d events", len(r))
	}

	// Within what is held, no load.
	if _, err := p.SeekTime(context.Background(), t0.Add(30*time.Second), "board"); err != nil || a.Loads() != 1 {
		t.Errorf("seek within: loads %d, %v", a.Loads(), err)
	}
	// Further back: a new stretch replaces the old one, still adjoining the ring.
	l, err = p.SeekTime(context.Background(), t0.Add(5*time.Second), "console")
	if err != nil || l.Events != 55 || a.Loads() != 2 {
		t.Fatalf("second load %+v, %v (loads %d)", l, err, a.Loads())
	}
	if first, next := tl.Bounds(); next-first != 95 || descAt(t, tl, first) != "record 5" {
		t.Errorf("after the second load: %d events from %q", next-first, descAt(t, tl, first))
	}
}

// A stretch longer than the room before the ring is cut and said to be.
func TestSeekTimeCut(t *testing.T) {
	a, tl := archived(t, 100, 60, 25)
	p := NewPlayhead(tl, nil)
	p.SetArchive(a)
	l, err := p.SeekTime(context.Background(), t0, "console")
	if err != nil || l.Events != 25 || !l.Cut || !l.To.Equal(t0.Add(24*time.Second)) {
		t.Fatalf("loaded %+v, %v", l, err)
	}
	if pos := p.Position(); !pos.Time.Equal(t0) || !pos.Past || descAt(t, tl, pos.Seq-1) != "record 0" {
		t.Errorf("not at the time asked: %+v", pos)
	}
}

// Without an archive, or with nothing in it, seeking before the timeline
// says so and stays within what is held.
func TestSeekTimeWithoutHistory(t *testing.T) {
	_, tl := archived(t, 100, 60, 100)
	p := NewPlayhead(tl, nil)
	if p.HasArchive() {
		t.Error("archive without one")
	}
	if _, err := p.SeekTime(context.Background(), t0, "console"); !errors.Is(err, ErrNoArchive) {
		t.Errorf("err %v, want ErrNoArchive", err)
	}
	p.SetArchive(&MemoryArchive{})
	l, err := p.SeekTime(context.Background(), t0, "console")
	if err != nil || l.Events != 0 {
		t.Errorf("empty archive: %+v, %v", l, err)
	}
	if pos := p.Position(); descAt(t, tl, pos.Seq) != "record 60" {
		t.Errorf("position %+v", pos)
	}
	p.SetArchive(&MemoryArchive{Err: errors.New("no servers")})
	if _, err := p.SeekTime(context.Background(), t0, "console"); err == nil {
		t.Error("archive failure not reported")
	}
	// A timeline without room for a past has no use for an archive.
	plain := NewPlayhead(New(10), nil)
	plain.SetArchive(&MemoryArchive{})
	if plain.HasArchive() {
		t.Error("archive on a timeline without a past")
	}
}

// The past goes once the ring evicts: it no longer adjoins it.
func TestPastDroppedWhenTheRingMoves(t *testing.T) {
	tl := New(1 << 16)
	if err := tl.AllowPast(10); err != nil {
		t.Fatal(err)
	}
	for i := 10; i < 10+1<<16; i++ {
		ev := stamped(i)
		tl.Append(&ev)
	}
	var past []event.Event
	for i := range 10 {
		past = append(past, stamped(i))
	}
	if n, err := tl.Backfill(past); n != 10 || err != nil {
		t.Fatalf("backfill %d, %v", n, err)
	}
	if first, _ := tl.PastBounds(); descAt(t, tl, first) != "record 0" {
		t.Fatal("past not held")
	}
	ev := stamped(10 + 1<<16)
	tl.Append(&ev)
	first, end := tl.PastBounds()
	if first != end || descAt(t, tl, first) != "record 11" {
		t.Errorf("past kept after the ring moved: %d..%d, first %q", first, end, descAt(t, tl, first))
	}
	if err := tl.AllowPast(5); err == nil {
		t.Error("AllowPast after Append accepted")
	}
}

// Events out of order, or not older than the ring, are refused whole.
func TestBackfillRefusesDisorder(t *testing.T) {
	_, tl := archived(t, 10, 5, 100)
	if _, err := tl.Backfill([]event.Event{stamped(2), stamped(1)}); err == nil {
		t.Error("out of order accepted")
	}
	if _, err := tl.Backfill([]event.Event{stamped(3), stamped(7)}); err == nil {
		t.Error("newer than the ring accepted")
	}
	if first, end := tl.PastBounds(); first != end {
		t.Error("a refused stretch was kept")
	}
}
