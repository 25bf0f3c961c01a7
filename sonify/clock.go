package sonify

import (
	"sync/atomic"
	"time"
)

// clock maps event times to output frames. It belongs to the intake (under
// its mutex); the renderer never touches it and only publishes where the
// device is (clockObs), which the intake folds in before each mapping.
type clock struct {
	rate        int
	latency     int64 // frames between "now" and what the output plays
	offline     bool
	anchored    bool
	anchorT     time.Time
	anchorFrame int64
	obsSeq      uint64 // the last device observation folded in
}

// frameAt maps an event time to an output frame; pos is the first frame
// producers may still schedule.
func (c *clock) frameAt(t time.Time, pos int64) int64 {
	if !c.anchored {
		c.anchored, c.anchorT, c.anchorFrame = true, t, pos+c.latency
	}
	at, ok := c.framesSince(t)
	d := at - pos
	sec := int64(c.rate)
	switch {
	case !ok, !c.offline && (d > resyncSecs*sec || d < -resyncSecs*sec):
		// Another clock (a replay with capture times, a jump): follow it.
		c.anchorT, c.anchorFrame = t, pos+c.latency
	case c.offline && d > maxGapSecs*sec:
		// A capture that pauses for hours would make hours of silence:
		// shorten long gaps to one second.
		c.anchorT, c.anchorFrame = t, pos+sec
	case c.offline && d < -resyncSecs*sec:
		// The capture's clock jumped back: carry on from here.
		c.anchorT, c.anchorFrame = t, pos
	default:
		return at
	}
	at, _ = c.framesSince(t)
	return at
}

// framesSince maps t to a frame through the anchor; ok is false when t is
// more than a day away from it (and the arithmetic could overflow).
func (c *clock) framesSince(t time.Time) (int64, bool) {
	dt := t.Sub(c.anchorT) // saturates instead of overflowing
	if dt > 24*time.Hour || dt < -24*time.Hour {
		return 0, false
	}
	return c.anchorFrame + int64(dt/time.Microsecond)*int64(c.rate)/1e6, true
}

// sync keeps the mapping on the device's clock: the device pulled frame rpos
// at now, so an event at time T belongs at about rpos + (T-now) + latency.
// Pulls come in bursts, so small differences are slewed out; large ones (a
// stall, a device that does not keep real time) re-anchor at once. Without
// this a sound card a little slower than the wall clock would, after half an
// hour, make every event "late".
func (c *clock) sync(now time.Time, rpos int64) {
	target := rpos + c.latency
	predicted, ok := c.framesSince(now)
	diff := target - predicted
	if !ok || diff > int64(c.rate)/5 || diff < -int64(c.rate)/5 {
		c.anchorT, c.anchorFrame = now, target
		return
	}
	c.anchorFrame += diff / 16
}

// clockObs is the device's latest pull (wall time, frame), published by the
// audio callback without a lock (a sequence lock: odd while writing) and read
// by the intake.
type clockObs struct {
	base  time.Time // carries the monotonic clock; observations are offsets from it
	seq   atomic.Uint64
	nanos atomic.Int64
	frame atomic.Int64
}

// publish records a pull. Only the renderer calls it.
func (o *clockObs) publish(now time.Time, frame int64) {
	o.seq.Add(1)
	o.nanos.Store(int64(now.Sub(o.base)))
	o.frame.Store(frame)
	o.seq.Add(1)
}

// latest returns the newest complete observation after seq `since`.
func (o *clockObs) latest(since uint64) (now time.Time, frame int64, seq uint64, ok bool) {
	s := o.seq.Load()
	if s == since || s&1 == 1 {
		return time.Time{}, 0, since, false
	}
	n, f := o.nanos.Load(), o.frame.Load()
	if o.seq.Load() != s {
		return time.Time{}, 0, since, false // torn: the next event will see it
	}
	return o.base.Add(time.Duration(n)), f, s, true
}
