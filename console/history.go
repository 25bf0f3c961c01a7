package console

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/speech"
	"github.com/packter/packter/timeline"
)

// archiveSeeker is a playhead that can load what came before the timeline:
// *timeline.Playhead given the NATS stream's history (--nats).
type archiveSeeker interface {
	HasArchive() bool
	SeekTime(ctx context.Context, t time.Time, by string) (timeline.Loaded, error)
}

// loadJob loads from the stream off the UI goroutine.
type loadJob struct {
	ph archiveSeeker
	to time.Time
}

// loadDoneMsg reports a load.
type loadDoneMsg struct {
	to  time.Time
	l   timeline.Loaded
	err error
}

// loadTimeout bounds one load: servers that do not answer are said to.
const loadTimeout = 30 * time.Second

func (j loadJob) run(ctx context.Context) loadDoneMsg {
	ctx, cancel := context.WithTimeout(ctx, loadTimeout)
	defer cancel()
	l, err := j.ph.SeekTime(ctx, j.to, byConsole)
	return loadDoneMsg{to: j.to, l: l, err: err}
}

// archive is the playhead's way to the stream's history, nil without one.
func (c *core) archive() archiveSeeker {
	if a, ok := c.ph.(archiveSeeker); ok && a.HasArchive() {
		return a
	}
	return nil
}

// oldest is the arrival time of the oldest event held.
func (c *core) oldest() (time.Time, bool) {
	var ev event.Event
	if c.list.first < c.list.next && c.tl.Get(c.list.first, &ev) {
		return ev.Time, true
	}
	return time.Time{}, false
}

// loadBefore asks for the stream's history from t (before the timeline).
func (c *core) loadBefore(a archiveSeeker, t time.Time) {
	if c.loading {
		c.say.say("Still loading from the stream", speech.Important)
		return
	}
	c.loading = true
	c.loads = append(c.loads, loadJob{ph: a, to: t})
	c.say.say("Loading the stream's history from "+clockText(t, c.now()), speech.Important)
}

// takeLoads returns the loads to start.
func (c *core) takeLoads() []loadJob {
	l := c.loads
	c.loads = nil
	return l
}

// loadDone says what a load brought.
func (c *core) loadDone(m loadDoneMsg) {
	c.loading = false
	c.refresh()
	switch {
	case errors.Is(m.err, context.DeadlineExceeded):
		c.say.say(fmt.Sprintf("Could not load from the stream: no answer within %v", loadTimeout), speech.Important)
	case m.err != nil:
		c.say.say("Could not load from the stream: "+m.err.Error(), speech.Important)
	case m.l.Events == 0:
		c.say.say("The stream holds nothing from "+clockText(m.to, c.now())+" before the timeline; at the start of the timeline", speech.Important)
	default:
		t := fmt.Sprintf("From the stream: %s, %s to %s; at %s, %s behind live",
			plural(m.l.Events, "event"), m.l.From.Format("15:04:05"), m.l.To.Format("15:04:05"),
			c.list.pos.Time.Format("15:04:05"), plural(int(c.list.pos.Behind), "event"))
		if m.l.Cut {
			t += ". More than the timeline keeps before it: playing on skips to the timeline after " + m.l.To.Format("15:04:05")
		}
		c.say.say(t, speech.Important)
	}
}

// goTo moves every view to a time typed at the go-to prompt, loading it
// from the stream when it is before the timeline.
func (c *core) goTo(text string) {
	now := c.now()
	t, err := ParseGoTo(text, now)
	if err != nil {
		c.say.say("Not understood: "+err.Error(), speech.Important)
		return
	}
	if !t.Before(now) {
		c.goLive()
		return
	}
	old, ok := c.oldest()
	if !ok || t.Before(old) {
		if a := c.archive(); a != nil {
			c.loadBefore(a, t)
			return
		}
		if !ok {
			c.say.say("Nothing to go to: the timeline is empty", speech.Important)
			return
		}
		c.holding = false
		c.ph.Seek(c.list.first, byConsole)
		c.say.say("The timeline starts at "+old.Format("15:04:05")+"; at its start", speech.Important)
		return
	}
	c.holding = false
	to := c.tl.Search(t.Add(time.Nanosecond)) // the events up to t are shown
	if to >= c.list.next {
		c.goLive()
		return
	}
	c.ph.Seek(to, byConsole)
	c.say.say(fmt.Sprintf("At %s, %s before live", clockText(t, now), plural(int(c.list.next-to), "event")), speech.Important)
}

// ParseGoTo reads the go-to prompt: a time of day ("14:05", "14:05:30",
// the latest such moment not after now), a span back from now ("10m",
// "-1h30m", "90s"), or a full RFC 3339 time.
func ParseGoTo(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("type a time such as 14:05 or a span back such as 10m")
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if strings.Contains(s, ":") {
		for _, layout := range []string{"15:04:05", "15:04"} {
			hm, err := time.Parse(layout, s)
			if err != nil {
				continue
			}
			y, mo, d := now.Date()
			t := time.Date(y, mo, d, hm.Hour(), hm.Minute(), hm.Second(), 0, now.Location())
			if t.After(now) {
				t = t.AddDate(0, 0, -1)
			}
			return t, nil
		}
		return time.Time{}, fmt.Errorf("%q is not a time of day such as 14:05 or 14:05:30", s)
	}
	d, err := time.ParseDuration(strings.TrimPrefix(s, "-"))
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("%q is not a time such as 14:05 or a span back such as 10m", s)
	}
	return now.Add(-d), nil
}

// clockText says a moment: its time of day, with the date when not today.
func clockText(t, now time.Time) string {
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format("15:04:05")
	}
	return t.Format("2 January 15:04:05")
}
