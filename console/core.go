package console

import (
	"strconv"
	"time"

	"charm.land/bubbles/v2/key"

	"github.com/packter/packter/event"
	"github.com/packter/packter/speech"
)

const (
	rewindStep = 10 * time.Second
	floodQuiet = 10 * time.Second
)

// core is the console's state and logic, shared by both modes: one small
// type per concern (list and selection, search and filter, trace, sound,
// announcements, messages, summaries), joined here. It reads snapshots of
// the timeline, answers keys and queues notes for the mode to show. It is
// used from one goroutine.
type core struct {
	tl         Timeline
	ph         Playhead
	tracer     Tracer
	extra      func() string // Config.Status
	keys       KeyMap
	now        func() time.Time
	accessible bool
	verbosity  Verbosity

	list  listState
	find  finder
	trace traceState
	sound soundCtl
	say   announcer
	msgs  messages
	sum   summarizer

	rd          reader // the UI goroutine's
	started     bool
	showHelp    bool
	showHistory bool
	quit        bool

	// A pause asked for while live, with nothing newer yet: the playhead
	// cannot be paused at its end, so the console holds there until an event
	// arrives and then seeks.
	holding     bool
	holdAt      uint64
	holdVersion uint64

	floods    uint64
	lastFlood time.Time
	lastAlert time.Time

	loads   []loadJob // to start off the UI goroutine
	loading bool      // one load from the stream at a time
}

func newCore(cfg Config) *core {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Verbosity == "" {
		cfg.Verbosity = VerbosityPackets
	}
	if cfg.SummaryEvery <= 0 {
		cfg.SummaryEvery = defaultSummaryEvery
	}
	if cfg.TraceTimeout <= 0 {
		cfg.TraceTimeout = defaultTraceTimeout
	}
	if cfg.Playhead == nil {
		cfg.Playhead = newPlayhead(cfg.Timeline, cfg.Now)
	}
	c := &core{
		tl:         cfg.Timeline,
		ph:         cfg.Playhead,
		tracer:     cfg.Tracer,
		extra:      cfg.Status,
		keys:       DefaultKeyMap(),
		now:        cfg.Now,
		accessible: cfg.Accessible,
		verbosity:  cfg.Verbosity,
		list:       listState{rows: defaultRows},
		trace:      traceState{timeout: cfg.TraceTimeout},
		sound:      soundCtl{s: cfg.Sound, solo: -1},
		say:        announcer{speech: cfg.Speech, accessible: cfg.Accessible, speakPrinted: cfg.SpeakPrinted},
		sum:        summarizer{every: cfg.SummaryEvery},
		rd:         reader{tl: cfg.Timeline},
	}
	if cfg.FromStart {
		// The timeline began with this console: what is on it already
		// arrived in the moment before the first snapshot, and is news.
		c.started = true
		c.sum.start = cfg.Now()
	}
	return c
}

func (c *core) takeNotes() []note { return c.say.take() }

// query is what the next snapshot should show.
func (c *core) query() snapshot {
	return snapshot{filter: c.find.filter, rows: c.list.rows, hold: c.holding, holdAt: c.holdAt}
}

// refresh takes a snapshot now and applies it.
func (c *core) refresh() { c.apply(c.query().take(&c.rd, c.ph)) }

// apply shows a snapshot, then looks for a move of the playhead by another
// view, new messages, floods, a trace's timeout and (as verbosity asks)
// packet lines and summaries. It reports false, changing nothing, when the
// view changed since the snapshot was asked for.
func (c *core) apply(s snapshot) bool {
	if s.filter.text != c.find.filter.text || s.rows != c.list.rows || s.hold != c.holding ||
		s.pos.Version < c.list.pos.Version {
		return false
	}
	moved := c.started && s.pos.Version != c.list.pos.Version && s.pos.By != byConsole
	l := &c.list
	l.pos, l.first, l.next, l.counts, l.items, l.full = s.pos, s.first, s.next, s.counts, s.items, s.full
	if moved {
		c.holding = false
		c.say.say(moveText(s.pos), speech.Important)
	}
	if c.holding && (s.pos.Version != c.holdVersion || s.next > c.holdAt) {
		c.holding = false
		if s.pos.Version == c.holdVersion {
			c.ph.Seek(c.holdAt, byConsole) // something newer arrived: pause for real
		}
	}
	c.scanMessages()
	c.checkFloods()
	now := c.now()
	if t := c.trace.check(now); t != "" {
		c.say.showKind(speech.KindResult, t)
	}
	if !c.started {
		c.sum.start, c.sum.from, c.sum.fromSeq, c.sum.evSeen = now, s.counts, s.next, s.next
		c.started = true
		return true
	}
	c.trafficLines(now)
	return true
}

// trafficLines gives what verbosity asks for: packet lines (accessible
// mode) and summaries.
func (c *core) trafficLines(now time.Time) {
	l := &c.list
	lines := c.accessible && c.verbosity == VerbosityPackets
	if lines && l.pos.Live {
		for _, t := range c.sum.lines(&c.rd, l.first, l.next, &c.find.filter, now) {
			c.say.show(noteEvent, t)
		}
	} else {
		c.sum.evSeen = l.next
		c.sum.unsaid = true
	}
	if c.verbosity == VerbosityAlerts {
		c.sum.start, c.sum.from, c.sum.fromSeq = now, l.counts, l.next
		return
	}
	if t := c.sum.due(&c.rd, now, l.next, &l.counts, c.msgs.skipped, lines); t != "" {
		c.msgs.skipped = 0
		c.say.summary(t)
	}
}

// scanMessages gives new messages a line each (a few a second; the rest
// wait in the history), and turns a trace's reports into one outcome line.
func (c *core) scanMessages() {
	l := &c.list
	c.msgs.scan(&c.rd, l.first, l.next, &l.counts, func(seq uint64, ev *event.Event) {
		if !c.started {
			c.msgs.add(seq, ev, true)
			return
		}
		now := c.now()
		if isAlert(ev) {
			c.lastAlert = now
			c.sum.alerts++
		}
		if consumed, outcome := c.trace.observe(ev); consumed {
			c.msgs.add(seq, ev, true) // in the history; the outcome is the line
			if outcome != "" {
				c.say.showKind(speech.KindResult, outcome)
			}
			return
		}
		if !c.msgs.budget(now) {
			c.msgs.add(seq, ev, false)
			return
		}
		c.msgs.add(seq, ev, true)
		c.say.message(Describe(ev), ev.Kind == event.KindAlert && c.msgs.bell(now))
	})
}

// isAlert reports Packter's own alerts and the agents' (a flood or IDS
// alert arrives as PACKTERMSG and PACKTERVOICE).
func isAlert(ev *event.Event) bool {
	switch ev.Kind {
	case event.KindAlert:
		return true
	case event.KindVoice, event.KindMessage:
		return speech.ClassifyVoice(plainText(ev)) == speech.KindAlert
	}
	return false
}

// checkFloods announces flood records, at most once per floodQuiet, and not
// when an agent's alert has just said it (one flood is heard once).
func (c *core) checkFloods() {
	n := c.list.counts.Flood
	if !c.started || n == c.floods {
		c.floods = n
		return
	}
	now := c.now()
	if !c.lastFlood.IsZero() && now.Sub(c.lastFlood) < floodQuiet {
		return
	}
	d := n - c.floods
	c.floods, c.lastFlood = n, now
	if !c.lastAlert.IsZero() && now.Sub(c.lastAlert) < floodQuiet {
		c.sum.floodSaid = true
		return // the agent's alert line already said it
	}
	// The bell rings, but the words go at Progress: progress is dropped while
	// anything else speaks.
	c.say.sayBell("Flood: "+strconv.FormatUint(d, 10)+" flood records", speech.Progress, true)
	c.sum.floodSaid = true
}

// key answers one key press, taking a new snapshot when the key changed what
// the list shows (other keys leave new data to the next tick). It may return
// a trace to send.
func (c *core) key(k keyPress) *traceJob {
	before := c.view()
	job := c.answer(k)
	if c.view() != before {
		c.refresh()
	}
	return job
}

// viewKey is what the list depends on besides new data.
type viewKey struct {
	version uint64
	filter  string
	rows    int
	hold    bool
}

func (c *core) view() viewKey {
	return viewKey{c.ph.Position().Version, c.find.filter.text, c.list.rows, c.holding}
}

func (c *core) answer(k keyPress) *traceJob {
	if c.find.prompt != promptNone {
		p, text, cancelled := c.find.key(k)
		switch {
		case cancelled:
			c.say.say("Cancelled", speech.Progress)
		case p != promptNone:
			c.applyPrompt(p, text)
		}
		return nil
	}
	km := &c.keys
	if (c.showHelp || c.showHistory) && k.name == "esc" {
		c.showHelp, c.showHistory = false, false
		return nil
	}
	switch {
	case key.Matches(k, km.Quit):
		c.quit = true
	case key.Matches(k, km.Help):
		c.help()
	case key.Matches(k, km.History):
		c.history()
	case key.Matches(k, km.Verbosity):
		c.nextVerbosity()
	case key.Matches(k, km.Trace):
		return c.startTrace()
	default:
		_ = c.selectionKeys(k) || c.positionKeys(k) || c.soundKeys(k) || c.otherKeys(k)
	}
	return nil
}
