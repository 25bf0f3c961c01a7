package console

import (
	"strings"
	"sync"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/timeline"
)

// byConsole is how the console signs its moves of the playhead, so that it
// follows (and announces) only the moves of other views.
const byConsole = "console"

// newPlayhead is the console's own playhead when none is shared: the
// timeline's when it is the monitor's kind, else a paused-or-live one.
func newPlayhead(tl Timeline, now func() time.Time) Playhead {
	if t, ok := tl.(*timeline.Timeline); ok {
		return timeline.NewPlayhead(t, now)
	}
	return &simplePlayhead{tl: tl, live: true, changed: make(chan struct{})}
}

// simplePlayhead is live or paused at a seq, for timelines other than
// *timeline.Timeline (it does not play back).
type simplePlayhead struct {
	tl Timeline

	mu      sync.Mutex
	live    bool
	seq     uint64
	by      string
	version uint64
	changed chan struct{}
}

func (p *simplePlayhead) Changed() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.changed
}

func (p *simplePlayhead) Seek(seq uint64, by string) {
	first, next := p.tl.Bounds()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.live, p.seq, p.by = seq >= next, max(seq, first), by
	p.moved()
}

func (p *simplePlayhead) GoLive(by string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.live {
		p.live, p.by = true, by
		p.moved()
	}
}

func (p *simplePlayhead) moved() {
	p.version++
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *simplePlayhead) Position() timeline.Position {
	first, next := p.tl.Bounds()
	p.mu.Lock()
	defer p.mu.Unlock()
	pos := timeline.Position{Live: p.live, Seq: next, By: p.by, Version: p.version, Time: time.Now()}
	if p.live {
		return pos
	}
	pos.Seq = max(p.seq, first)
	pos.Behind = next - pos.Seq
	var ev event.Event
	if pos.Seq > first && p.tl.Get(pos.Seq-1, &ev) {
		pos.Time = ev.Time
	}
	return pos
}

// positionText says where the views are: "live", or "paused at 12:03:04,
// 420 events behind live" ("playing at 2 times speed at …").
func positionText(pos timeline.Position) string {
	if pos.Live {
		return "live"
	}
	verb := "paused at "
	if pos.Speed > 0 {
		verb = "playing back at " + fmtFloat(pos.Speed) + " times speed, at "
	}
	return verb + pos.Time.Format("15:04:05") + ", " + plural(int(pos.Behind), "event") + " behind live" + pastText(pos)
}

// pastText marks a position in history loaded from the stream.
func pastText(pos timeline.Position) string {
	if pos.Past {
		return ", in the stream's history"
	}
	return ""
}

// moveText announces another view's move once: "Board rewound to 12:03:04,
// 420 events behind live", or "Live".
func moveText(pos timeline.Position) string {
	if pos.Live {
		return "Live"
	}
	who := "Timeline"
	if pos.By != "" {
		who = strings.ToUpper(pos.By[:1]) + pos.By[1:]
	}
	if pos.Speed > 0 {
		return who + " playing back from " + pos.Time.Format("15:04:05") + " at " + fmtFloat(pos.Speed) +
			" times speed, " + plural(int(pos.Behind), "event") + " behind live" + pastText(pos)
	}
	return who + " rewound to " + pos.Time.Format("15:04:05") + ", " + plural(int(pos.Behind), "event") + " behind live" + pastText(pos)
}
