package timeline

import (
	"github.com/packter/packter/event"

	"sync"
	"time"
)

// Playhead is the one position every view (console, board, journal replay)
// shows on the timeline: live, paused at an event, or playing the past back at
// a speed. Views move it and follow it, so rewinding in one shows in all.
//
// A playing position is computed when asked (from the event time it started
// at and the wall time since), so nothing has to tick it forward.
type Playhead struct {
	tl  *Timeline
	now func() time.Time

	mu      sync.Mutex
	live    bool
	seq     uint64    // paused or playing: the first event not yet shown
	at      time.Time // playing: the timeline time at `since`
	since   time.Time // playing: wall time the play started
	speed   float64   // playing: > 0; paused: 0
	by      string    // who moved it last ("console", "board", …)
	version uint64
	changed chan struct{} // closed and replaced on every move

	loadMu  sync.Mutex // one load from the archive at a time
	archive Archive
}

// Position is a snapshot of the playhead.
type Position struct {
	Live    bool
	Seq     uint64    // the first event not shown (Next when live)
	Time    time.Time // the timeline time shown: the last shown event's time, or now when live
	Speed   float64   // 0 paused, > 0 playing (only when not live)
	By      string    // who moved it last
	Version uint64    // grows with every move
	Behind  uint64    // events between Seq and live
	Past    bool      // the last event shown is in the stretch loaded from an archive (SeekTime)
}

// NewPlayhead makes a live playhead on tl; now is the wall clock (nil: time.Now).
func NewPlayhead(tl *Timeline, now func() time.Time) *Playhead {
	if now == nil {
		now = time.Now
	}
	return &Playhead{tl: tl, now: now, live: true, changed: make(chan struct{})}
}

// Changed is closed at the next move; take it again after it fires.
func (p *Playhead) Changed() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.changed
}

// GoLive returns every view to live.
func (p *Playhead) GoLive(by string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live {
		return
	}
	p.live, p.speed, p.by = true, 0, by
	p.moved()
}

// Seek pauses the views at seq (the first event not shown). A seq at or past
// the timeline's end is live.
func (p *Playhead) Seek(seq uint64, by string) {
	first, next := p.tl.Bounds()
	p.mu.Lock()
	defer p.mu.Unlock()
	if seq >= next {
		p.live, p.speed = true, 0
	} else {
		p.live, p.seq, p.speed = false, max(seq, first), 0
	}
	p.by = by
	p.moved()
}

// Play plays the past back from the current position at speed (> 0; 1 is as
// recorded). Live stays live.
func (p *Playhead) Play(speed float64, by string) {
	if speed <= 0 {
		speed = 1
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live {
		return
	}
	p.seq = p.positionLocked().Seq
	p.at = p.timeBefore(p.seq)
	p.since, p.speed, p.by = p.now(), speed, by
	p.moved()
}

// Pause stops a playing position where it is.
func (p *Playhead) Pause(by string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live || p.speed == 0 {
		return
	}
	p.seq = p.positionLocked().Seq
	p.speed, p.by = 0, by
	p.moved()
}

// Position is where the views are now. A playing position that has caught up
// with the newest event becomes live.
func (p *Playhead) Position() Position {
	p.mu.Lock()
	defer p.mu.Unlock()
	pos := p.positionLocked()
	if pos.Live && !p.live { // caught up while playing
		p.live, p.speed = true, 0
		p.moved()
		pos.Version = p.version
	}
	return pos
}

func (p *Playhead) positionLocked() Position {
	first, next := p.tl.Bounds()
	pos := Position{Live: p.live, By: p.by, Version: p.version, Seq: next, Time: p.now()}
	if p.live {
		return pos
	}
	seq := max(p.seq, first) // the ring may have moved past a paused position
	if p.speed > 0 {
		t := p.at.Add(time.Duration(float64(p.now().Sub(p.since)) * p.speed))
		seq = max(seq, p.tl.Search(t.Add(time.Nanosecond))) // events at t are shown
		if seq >= next {
			pos.Live = true
			return pos
		}
		pos.Speed = p.speed
	}
	pos.Seq, pos.Time, pos.Behind = seq, p.timeBefore(seq), next-seq
	pastFirst, pastEnd := p.tl.PastBounds()
	pos.Past = pastFirst < seq && seq <= pastEnd
	return pos
}

// timeBefore is the time of the event just before seq (the last one shown),
// or just before the first event when none is.
func (p *Playhead) timeBefore(seq uint64) time.Time {
	first, _ := p.tl.Bounds()
	var ev event.Event
	if seq > first && p.tl.Get(seq-1, &ev) {
		return ev.Time
	}
	if p.tl.Get(first, &ev) {
		return ev.Time.Add(-time.Nanosecond)
	}
	return p.now()
}

func (p *Playhead) moved() {
	p.version++
	close(p.changed)
	p.changed = make(chan struct{})
}
