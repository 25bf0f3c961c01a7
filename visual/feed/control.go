package feed

import (
	"time"

	"github.com/packter/packter/timeline"
	"github.com/packter/packter/visual"
)

// Control applies the board's timeline requests (pause, resume, rewind,
// live) to the shared playhead, so the console and every other view follow
// them. Not safe for concurrent use: one goroutine calls Do and Tick.
type Control struct {
	tl *timeline.Timeline
	ph *timeline.Playhead
	by string

	// A pause asked while live with nothing newer than the end yet cannot be
	// a position (the playhead is live there): it is held until an event
	// arrives, then becomes a real pause at the same place.
	holding     bool
	holdAt      uint64
	holdVersion uint64
}

// NewControl moves ph on tl in the name of by ("board").
func NewControl(tl *timeline.Timeline, ph *timeline.Playhead, by string) *Control {
	return &Control{tl: tl, ph: ph, by: by}
}

// Holding reports a pause held at the live end (see Control).
func (c *Control) Holding() bool { return c.holding }

// Do applies one request.
func (c *Control) Do(req visual.Request) {
	pos := c.ph.Position()
	c.holding = false
	switch req.Cmd {
	case visual.CmdPause:
		switch {
		case pos.Live:
			_, next := c.tl.Bounds()
			c.ph.Seek(next, c.by)
			if p := c.ph.Position(); p.Live {
				c.holding, c.holdAt, c.holdVersion = true, next, p.Version
			}
		case pos.Speed > 0:
			c.ph.Pause(c.by)
		}
	case visual.CmdResume:
		if !pos.Live {
			c.ph.Play(1, c.by)
		}
	case visual.CmdLive:
		c.ph.GoLive(c.by)
	case visual.CmdRewind:
		d := time.Duration(req.Seconds * float64(time.Second))
		to := c.tl.Search(pos.Time.Add(-d + time.Nanosecond)) // shows the events up to pos.Time-d
		first, next := c.tl.Bounds()
		if to >= next && next > first {
			to = next - 1 // always move back at least one event
		}
		c.ph.Seek(to, c.by)
		if pos.Live || pos.Speed > 0 {
			speed := max(pos.Speed, 1)
			c.ph.Play(speed, c.by)
		}
	}
}

// Tick turns a held pause into a real one once something newer has arrived.
// Call it before each Player step.
func (c *Control) Tick() {
	if !c.holding {
		return
	}
	_, next := c.tl.Bounds()
	if next <= c.holdAt {
		return
	}
	c.holding = false
	if c.ph.Position().Version == c.holdVersion {
		c.ph.Seek(c.holdAt, c.by)
	}
}
