package main

import (
	"fmt"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/visual"
)

// clockState is where the board's clock comes from between frames.
type clockState struct {
	// Fed by the monitor: the newest clock line and when it came.
	line   visual.Clock
	lineAt time.Time
	has    bool
	// A journal on stdin without clock lines: event time minus wall time,
	// taken at the first event, so such a feed plays as if live.
	offset    time.Duration
	hasOffset bool
	// Screenshots: once counting starts, the clock moves 1/60 s per update
	// from anchor (the newest event time then), so frame N is exact.
	counting bool
	anchor   time.Time
	ticks    int
	latest   time.Time // newest packet time seen
}

// lineLead bounds how far the board runs a monitor's clock line on by itself
// when the next one is late.
const lineLead = 250 * time.Millisecond

// now is the board's own clock: the wall clock (shifted for a journal
// without clock lines), or the screenshot's frame clock.
func (g *game) now() time.Time {
	c := &g.clk
	if c.counting {
		return c.anchor.Add(time.Duration(c.ticks) * time.Second / tps)
	}
	return time.Now().Add(c.offset)
}

// wallNow is the wall clock the time label measures "how far back" from.
func (g *game) wallNow() time.Time {
	if g.clk.has {
		return time.Now() // the monitor's clock lines are on the wall clock
	}
	return g.now()
}

// step brings the model to this frame: new events and the clock.
func (g *game) step() {
	c := &g.clk
	if g.o.Screenshot != "" {
		if c.counting {
			c.ticks++
		} else if g.m.Stats().Received >= g.o.WaitRecords {
			// The frame drawn after this update is frame 1: 1/60 s on.
			c.counting, c.ticks, c.anchor = true, 1, c.latest
			if c.anchor.IsZero() {
				c.anchor = g.now()
			}
		}
	}
	switch {
	case g.synth != nil:
		now := g.now()
		g.setClock(visual.Clock{Time: now, Live: true, Speed: 1}, now)
		g.synth.tick(g.boards, now)
	case g.player != nil:
		g.stepStandalone()
	default:
		g.stepFed()
	}
}

// stepStandalone plays the board's own timeline.
func (g *game) stepStandalone() {
	g.control.Tick()
	now := g.now()
	f := g.player.Step(now, g.buf, g.o.MaxBalls)
	g.buf = f.Events
	c := visual.Clock{Time: f.Clock, Speed: f.Speed, Live: f.Live, Behind: f.Behind, Reset: f.Reset, Past: f.Past}
	if g.control.Holding() {
		c.Live, c.Speed = false, 0
	}
	g.setClock(c, now)
	for i := range f.Events {
		g.clk.see(&f.Events[i])
		g.receive(&f.Events[i])
	}
}

// stepFed takes what the monitor sent since the last frame.
func (g *game) stepFed() {
	c := &g.clk
	q, t := g.inbox.Take(g.buf)
	wall := time.Now()
	if t.Set {
		c.line, c.lineAt, c.has = t.Clock, t.At, true
	}
	if t.Reset {
		r := c.line
		r.Reset = true
		g.setClock(r, wall)
	}
	for i := range q {
		if !c.has && !c.hasOffset && (q[i].Kind == event.KindPacket || q[i].Kind == event.KindEarth) {
			c.offset, c.hasOffset = q[i].Time.Sub(wall), true
		}
		c.see(&q[i])
		g.receive(&q[i])
	}
	g.buf = q
	switch {
	case c.has:
		line := c.line
		line.Reset = false
		speed := line.Speed
		if line.Live {
			speed = 1
		}
		line.Time = line.Time.Add(time.Duration(float64(min(wall.Sub(c.lineAt), lineLead)) * speed))
		g.setClock(line, wall)
	case c.hasOffset:
		now := g.now()
		g.setClock(visual.Clock{Time: now, Live: true, Speed: 1}, now)
	}
}

// see notes the newest packet time (messages may carry another clock's time).
func (c *clockState) see(ev *event.Event) {
	if (ev.Kind == event.KindPacket || ev.Kind == event.KindEarth) && ev.Time.After(c.latest) {
		c.latest = ev.Time
	}
}

// request moves the timeline: the monitor's when fed, else the board's own.
// Fed, the board shows the pause at once (the monitor's next clock line
// confirms it), so Space toggles even before the monitor answers.
func (g *game) request(r visual.Request) {
	switch {
	case g.control != nil:
		g.control.Do(r)
	case g.requests != nil:
		g.requests.send(r)
		if r.Cmd == visual.CmdPause {
			c := g.m.Clock()
			c.Live, c.Speed = false, 0
			g.clk.line, g.clk.has = c, true
			g.clk.lineAt = time.Now()
			g.m.SetClock(c, time.Now())
		}
	default:
		g.say("synthetic balls have no timeline to move")
	}
}

// perf measures the frame rate over one-second windows, adapts the number of
// balls drawn one by one to keep it at or above 30 FPS (unless --budget), and
// prints the readout as a status line when it is shown.
type perf struct {
	start  time.Time
	frames int
	fps    float64
}

const (
	minFPS  = 33 // below: draw fewer balls one by one (a margin over the 30 FPS floor)
	easyFPS = 45 // above: draw more
)

func (p *perf) frame() { p.frames++ }

func (p *perf) update(g *game) {
	now := time.Now()
	if p.start.IsZero() {
		p.start = now
		return
	}
	el := now.Sub(p.start)
	if el < time.Second {
		return
	}
	p.fps = float64(p.frames) / el.Seconds()
	p.start, p.frames = now, 0
	s := g.m.Stats()
	if g.o.Budget == 0 && g.o.Screenshot == "" {
		switch b := g.m.Budget(); {
		case p.fps < minFPS && s.Live > 1000:
			// In proportion, aiming a little above the floor, so one step
			// lands near it; the slow climb below corrects an overshoot.
			g.m.SetBudget(int(float64(min(b, s.Drawn)) * min(p.fps/(minFPS+6), 0.9)))
		case p.fps > easyFPS && s.Live > b:
			g.m.SetBudget(b * 5 / 4)
		}
	}
	if g.readout {
		g.log.Info("readout " + visual.TimeLabel(g.m.Clock(), g.wallNow()) + " " + p.line(s, g.m.Budget()))
	}
}

// line is the readout: "fps=58.9 in_flight=1234 drawn=1234 streams=0 budget=50000".
func (p *perf) line(s visual.Stats, budget int) string {
	return fmt.Sprintf("fps=%.1f in_flight=%d drawn=%d cells=%d budget=%d received=%d dropped=%d",
		p.fps, s.Live, s.Drawn, s.Cells, budget, s.Received, s.Dropped)
}
