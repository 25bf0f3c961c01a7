package feed

import (
	"context"
	"log/slog"
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

	// Rewinding before the timeline loads the stream's history (LoadFrom)
	// on a goroutine of its own; Tick then moves the playhead, so only the
	// board's goroutine moves it for the board.
	ctx     context.Context
	log     *slog.Logger
	loading bool
	loaded  chan loadResult
}

type loadResult struct {
	to    time.Time
	speed float64 // play on at this speed; 0: stay paused
	l     timeline.Loaded
	err   error
}

// LoadFrom lets rewinds before the timeline load from the playhead's
// archive (the NATS stream), within ctx; what fails is logged.
func (c *Control) LoadFrom(ctx context.Context, log *slog.Logger) {
	c.ctx, c.log, c.loaded = ctx, log, make(chan loadResult, 1)
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
		if c.loadBefore(pos, pos.Time.Add(-d)) {
			return
		}
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

// loadBefore starts loading the stream's history when t is before the
// timeline and there is one to load from.
func (c *Control) loadBefore(pos timeline.Position, t time.Time) bool {
	if c.ctx == nil || !c.ph.HasArchive() {
		return false
	}
	if old, ok := c.ph.Oldest(); ok && !t.Before(old) {
		return false
	}
	if c.loading {
		return true // one at a time; the key is not lost on a board that waits
	}
	speed := 0.0
	if pos.Live || pos.Speed > 0 {
		speed = max(pos.Speed, 1)
	}
	c.loading = true
	go func() {
		ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
		defer cancel()
		l, err := c.ph.Load(ctx, t)
		c.loaded <- loadResult{to: t, speed: speed, l: l, err: err}
	}()
	return true
}

// finishLoad moves the playhead to where a finished load was asked to go.
func (c *Control) finishLoad(r loadResult) {
	c.loading = false
	if r.err != nil {
		c.log.Warn("board: could not load from the stream", "err", r.err)
		return
	}
	if r.l.Events == 0 {
		c.log.Info("board: the stream holds nothing before the timeline", "from", r.to)
	}
	c.ph.SeekAt(r.l.Start(r.to), c.by)
	if r.speed > 0 {
		c.ph.Play(r.speed, c.by)
	}
}

// Tick turns a held pause into a real one once something newer has arrived,
// and finishes a load from the stream. Call it before each Player step.
func (c *Control) Tick() {
	if c.loading {
		select {
		case r := <-c.loaded:
			c.finishLoad(r)
		default:
		}
	}
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
