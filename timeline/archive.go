package timeline

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/packter/packter/event"
)

// Archive keeps what came before a timeline: with --nats, the stream's
// history, which outlives the monitor's memory.
type Archive interface {
	// Load calls add with each event that arrived from `from` on, oldest
	// first, until one arrived at or after `to`, add returns false or there
	// are no more; then it returns nil. *ev is reused after add returns.
	Load(ctx context.Context, from, to time.Time, add func(ev *event.Event) bool) error
}

// Loaded says what SeekTime brought in from the archive.
type Loaded struct {
	Events   int       // events loaded (0: the archive had none there)
	From, To time.Time // first and last loaded event's arrival
	// Cut: the stretch held more events than the timeline keeps before its
	// ring; the newer part of it is skipped when playing on.
	Cut bool
}

// Start is where the views go after a load asked from t: t, or the first
// loaded event when the stretch starts later (not the silence before it).
func (l Loaded) Start(t time.Time) time.Time {
	if l.Events > 0 && l.From.After(t) {
		return l.From
	}
	return t
}

// ErrNoArchive is SeekTime's error for a time before the timeline without
// an archive to load it from.
var ErrNoArchive = errors.New("no archive to load from")

// SetArchive lets SeekTime load what came before the timeline; its timeline
// must have room for a past (AllowPast).
func (p *Playhead) SetArchive(a Archive) {
	p.loadMu.Lock()
	defer p.loadMu.Unlock()
	p.archive = a
}

// HasArchive reports whether SeekTime can load from before the timeline.
func (p *Playhead) HasArchive() bool {
	p.loadMu.Lock()
	defer p.loadMu.Unlock()
	return p.archive != nil && p.tl.PastCapacity() > 0
}

// Oldest is the arrival time of the oldest event held, in the ring or the
// past loaded before it; false when the timeline is empty.
func (p *Playhead) Oldest() (time.Time, bool) {
	first, _ := p.tl.Bounds()
	var ev event.Event
	if !p.tl.Get(first, &ev) {
		return time.Time{}, false
	}
	return ev.Time, true
}

// SeekTime pauses every view at t: the events up to t are shown. When t is
// before the oldest event held and there is an archive, the stretch from t
// up to the ring's oldest event is loaded first and put before the ring
// (replacing any stretch loaded earlier), so the views can seek and play on
// into the present; when the stretch starts after t, the views go to its
// first event rather than to the silence before it. Loading is a network
// read: call it off a UI's goroutine. Loaded.Events is 0 when nothing was
// loaded.
func (p *Playhead) SeekTime(ctx context.Context, t time.Time, by string) (Loaded, error) {
	var l Loaded
	if old, ok := p.Oldest(); !ok || t.Before(old) {
		var err error
		if l, err = p.Load(ctx, t); err != nil {
			return l, err
		}
		t = l.Start(t)
	}
	p.SeekAt(t, by)
	return l, nil
}

// SeekAt pauses every view at t, within what is held: the events up to t
// are shown.
func (p *Playhead) SeekAt(t time.Time, by string) {
	p.Seek(p.tl.Search(t.Add(time.Nanosecond)), by)
}

// Load fills the past from the archive, from t up to the ring's oldest
// event (now when the ring is empty), without moving the views: SeekTime is
// Load and SeekAt.
func (p *Playhead) Load(ctx context.Context, t time.Time) (Loaded, error) {
	p.loadMu.Lock()
	defer p.loadMu.Unlock()
	n := p.tl.PastCapacity()
	if p.archive == nil || n == 0 {
		return Loaded{}, ErrNoArchive
	}
	_, pastEnd := p.tl.PastBounds()
	to := p.now()
	var ev event.Event
	if p.tl.Get(pastEnd, &ev) {
		to = ev.Time
	}
	past := p.tl.NewPast()
	var l Loaded
	err := p.archive.Load(ctx, t, to, func(ev *event.Event) bool {
		// What arrived at the ring's oldest instant the ring has already.
		if !ev.Time.Before(to) {
			return false
		}
		if past.Len() == n {
			l.Cut = true
			return false
		}
		if !past.Add(ev) {
			return false
		}
		if l.From.IsZero() {
			l.From = ev.Time
		}
		l.To = ev.Time
		return true
	})
	if err != nil {
		return Loaded{}, fmt.Errorf("loading from the archive: %w", err)
	}
	if l.Events, err = past.Commit(); err != nil || l.Events == 0 {
		return Loaded{}, err
	}
	return l, nil
}

// MemoryArchive is an Archive of events held in memory, oldest first: what
// tests and demos stand in for the stream with.
type MemoryArchive struct {
	Events []event.Event
	Err    error // every Load's answer, when set
	loads  atomic.Int64
}

// Load hands add the events from `from` up to `to`.
func (a *MemoryArchive) Load(ctx context.Context, from, to time.Time, add func(*event.Event) bool) error {
	a.loads.Add(1)
	if a.Err != nil {
		return a.Err
	}
	for i := range a.Events {
		ev := a.Events[i]
		if ev.Time.Before(from) {
			continue
		}
		if !ev.Time.Before(to) || !add(&ev) {
			break
		}
	}
	return nil
}

// Loads is how many loads were asked for.
func (a *MemoryArchive) Loads() int { return int(a.loads.Load()) }
