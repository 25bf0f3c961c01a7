package timeline

import (
	"time"

	"github.com/packter/packter/event"
)

// Frame is what a view should show at one step of a Player.
type Frame struct {
	// Reset: the playhead was moved (a seek by anyone): forget what is on
	// screen; Events restart `lead` before the position, so what was in
	// flight then appears mid-flight.
	Reset   bool
	Clock   time.Time // the timeline time shown: now when live
	Speed   float64   // 1 live, 0 paused, the playback speed otherwise
	Live    bool
	Behind  uint64        // events between the position and live
	Past    bool          // the position is in the stretch loaded from an archive
	Events  []event.Event // due since the last step, oldest first
	Skipped uint64        // due this step but not in Events (over max, or evicted from the ring)
}

// Player turns the shared Playhead into per-frame batches of events for a
// view that animates them (the board). It is pure: no goroutines, no clock of
// its own; the caller steps it with the wall time, about 60 times a second.
// Not safe for concurrent use.
type Player struct {
	tl   *Timeline
	ph   *Playhead
	lead time.Duration

	started bool
	version uint64
	cursor  uint64    // next seq to hand out
	clock   time.Time // playing: timeline time at anchor
	anchor  time.Time // playing: wall time of clock
	speed   float64
	live    bool
}

// NewPlayer plays tl as ph says. lead is how far back a reset starts (a
// ball's flight time), so a view rebuilt at a position shows what was in
// flight there.
func NewPlayer(tl *Timeline, ph *Playhead, lead time.Duration) *Player {
	return &Player{tl: tl, ph: ph, lead: max(lead, 0)}
}

// Step returns what is due at wall time now, appending at most max events to
// dst[:0] (max ≤ 0: no bound). Events over max are skipped and counted, the
// newest kept: under load a view shows a sample, never a growing backlog.
func (p *Player) Step(now time.Time, dst []event.Event, max int) Frame {
	pos := p.ph.Position()
	f := Frame{Live: pos.Live, Behind: pos.Behind, Past: pos.Past}
	if !p.started || pos.Version != p.version {
		f.Reset = !p.seamless(pos, now)
		p.started, p.version, p.live = true, pos.Version, pos.Live
		p.anchorAt(pos, now)
		if f.Reset {
			p.cursor = p.windowStart(p.clockAt(now))
		}
	}
	f.Clock, f.Speed = p.clockAt(now), p.speed
	if !pos.Live && pos.Time.After(f.Clock) {
		// The playhead showed an event our clock has not reached (we
		// started a little after it): catch up, never run backwards.
		p.anchorAt(pos, now)
		f.Clock = p.clockAt(now)
	}
	due := pos.Seq // the first event not shown
	first, next := p.tl.Bounds()
	due = min(due, next)
	if p.cursor < first {
		f.Skipped += first - p.cursor
		p.cursor = first
	}
	if due <= p.cursor {
		f.Events = dst[:0]
		return f
	}
	n := due - p.cursor
	if max > 0 && n > uint64(max) {
		f.Skipped += n - uint64(max)
		n = uint64(max)
	}
	f.Events = p.tl.Recent(dst[:0], due, int(n))
	p.cursor = due
	return f
}

// seamless reports whether a move needs no reset: a playback that caught up
// with live (the playhead turns live by itself) goes on where it was, as long
// as every event in flight at the new clock is still to be handed out.
func (p *Player) seamless(pos Position, now time.Time) bool {
	if !p.started || p.live || !pos.Live {
		return false
	}
	return p.cursor >= p.windowStart(now)
}

// windowStart is the first event still in flight at timeline time t: one
// that arrived exactly lead ago has landed.
func (p *Player) windowStart(t time.Time) uint64 {
	return p.tl.Search(t.Add(-p.lead + time.Nanosecond))
}

func (p *Player) anchorAt(pos Position, now time.Time) {
	p.clock, p.anchor, p.speed = pos.Time, now, pos.Speed
	if pos.Live {
		p.speed = 1
	}
}

// clockAt is the timeline time shown at wall time now.
func (p *Player) clockAt(now time.Time) time.Time {
	if p.live || !p.started {
		return now
	}
	return p.clock.Add(time.Duration(float64(now.Sub(p.anchor)) * p.speed))
}
