package console

import (
	"fmt"
	"math"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"

	"github.com/packter/packter/event"
	"github.com/packter/packter/speech"
	"github.com/packter/packter/timeline"
)

// selectionKeys answers the keys that move or say the selection.
func (c *core) selectionKeys(k keyPress) bool {
	km := &c.keys
	switch {
	case key.Matches(k, km.Up):
		c.move(+1)
	case key.Matches(k, km.Down):
		c.move(-1)
	case key.Matches(k, km.Pick):
		c.pick(int(k.name[0] - '0'))
	case key.Matches(k, km.Say):
		c.saySelected()
	case key.Matches(k, km.Search):
		c.say.show(notePrompt, c.find.open(promptSearch))
	case key.Matches(k, km.NextMatch):
		c.findMatch(-1)
	case key.Matches(k, km.PrevMatch):
		c.findMatch(+1)
	case key.Matches(k, km.Filter):
		c.say.show(notePrompt, c.find.open(promptFilter))
	default:
		return false
	}
	return true
}

// positionKeys answer the keys that move the playhead.
func (c *core) positionKeys(k keyPress) bool {
	km := &c.keys
	switch {
	case key.Matches(k, km.Pause):
		c.togglePause()
	case key.Matches(k, km.Rewind):
		c.shift(-rewindStep)
	case key.Matches(k, km.Forward):
		c.shift(rewindStep)
	case key.Matches(k, km.Live):
		c.goLive()
	case key.Matches(k, km.GoTo):
		c.say.show(notePrompt, c.find.open(promptGoTo))
	default:
		return false
	}
	return true
}

func (c *core) soundKeys(k keyPress) bool {
	km := &c.keys
	var text string
	switch {
	case key.Matches(k, km.VolumeUp):
		text = c.sound.volume(+volumeStep)
	case key.Matches(k, km.VolumeDown):
		text = c.sound.volume(-volumeStep)
	case key.Matches(k, km.SpeechUp):
		text = c.speechVolume(+volumeStep)
	case key.Matches(k, km.SpeechDown):
		text = c.speechVolume(-volumeStep)
	case key.Matches(k, km.Mute):
		text = c.sound.mute()
	case key.Matches(k, km.Theme):
		text = c.sound.nextTheme()
	case key.Matches(k, km.MuteClass), key.Matches(k, km.Solo):
		cl, ok := c.selClass()
		if !ok {
			return true
		}
		if key.Matches(k, km.Solo) {
			text = c.sound.soloClass(cl)
		} else {
			text = c.sound.muteClass(cl)
		}
	default:
		return false
	}
	if strings.HasPrefix(text, "Volume ") || strings.HasPrefix(text, "Speech volume ") {
		c.say.showKind(speech.KindVolume, text) // a newer volume replaces an older one
		return true
	}
	c.say.say(text, speech.Important)
	return true
}

// speechVolumer is a speaker with a volume of its own (*speech.Queue):
// speech stays independent of the traffic sound's volume and mute.
type speechVolumer interface {
	SetVolume(v float64)
	Volume() float64
}

// speechVolume steps the speech volume and says the new one (at the new level).
func (c *core) speechVolume(step float64) string {
	sv, ok := c.say.speech.(speechVolumer)
	if !ok {
		return "Speech volume cannot be changed here"
	}
	v := min(1, max(0.1, sv.Volume()+step)) // never to silence: the answer must be heard
	sv.SetVolume(v)
	return fmt.Sprintf("Speech volume %d percent", int(math.Round(v*100)))
}

func (c *core) otherKeys(k keyPress) bool {
	km := &c.keys
	switch {
	case key.Matches(k, km.Status):
		c.say.showKind(speech.KindStatus, c.statusText())
	case key.Matches(k, km.Repeat):
		c.say.repeat()
	case key.Matches(k, km.StopTalking):
		c.say.stop()
		c.showHelp, c.showHistory = false, false
	default:
		return false
	}
	return true
}

// help lists the keys. In accessible mode every ? prints them; full-screen
// ? opens and closes the help screen.
func (c *core) help() {
	if !c.accessible {
		c.showHelp = !c.showHelp
		c.showHistory = false
		if !c.showHelp {
			return
		}
	}
	c.say.help(c.keys.HelpLines(), c.keys.SpokenHelp())
}

func (c *core) history() {
	lines := c.msgs.historyLines()
	if !c.accessible {
		c.showHistory = !c.showHistory
		c.showHelp = false
		if !c.showHistory {
			return
		}
	}
	for _, l := range lines {
		c.say.show(noteHistory, l)
	}
	c.say.last = strings.Join(lines, ". ")
}

func (c *core) nextVerbosity() {
	for i, v := range Verbosities {
		if v == c.verbosity {
			c.verbosity = Verbosities[(i+1)%len(Verbosities)]
			break
		}
	}
	what := map[Verbosity]string{
		VerbosityAlerts:  "messages, alerts and traces only",
		VerbositySummary: "also a summary every " + spokenDuration(c.sum.every),
		VerbosityPackets: "also a summary every " + spokenDuration(c.sum.every),
	}[c.verbosity]
	if c.accessible && c.verbosity == VerbosityPackets {
		what = "also a line per packet while there are few, and a summary every " + spokenDuration(c.sum.every)
	}
	c.say.say(fmt.Sprintf("Verbosity %s: %s", c.verbosity, what), speech.Important)
}

// move selects the next matching packet newer (dir > 0) or older (dir < 0)
// than the selection, moving the playhead when it leaves the list.
func (c *core) move(dir int) {
	l := &c.list
	if !l.hasSel {
		if len(l.items) == 0 {
			c.say.say("No packets to select", speech.Progress)
			return
		}
		c.selectItem(l.items[0])
		return
	}
	it, ok := l.scan(&c.rd, l.sel.seq, dir, &c.find.filter)
	if !ok {
		if dir > 0 {
			c.say.say("Newest packet", speech.Progress)
		} else {
			c.say.say("Oldest packet", speech.Progress)
		}
		return
	}
	c.selectItem(it)
}

func (c *core) selectItem(it item) {
	l := &c.list
	l.sel, l.hasSel = it, true
	if !l.contains(it.seq) {
		if l.pos.Live {
			c.say.show(noteAnnounce, "List paused to show the selection; L returns to live")
		}
		c.holding = false
		c.ph.Seek(it.seq+1, byConsole)
		c.refresh()
	}
	c.say.selection(c.selText())
}

func (c *core) selText() string {
	pos := ""
	if i := c.list.index(); i >= 0 {
		pos = fmt.Sprintf("number %d, ", i+1)
	}
	return Describe(&c.list.sel.ev) + "; " + pos + spokenAge(c.now().Sub(c.list.sel.ev.Time))
}

func (c *core) pick(n int) {
	if n < 1 || n > len(c.list.items) {
		c.say.say(fmt.Sprintf("No packet number %d; %d shown", n, len(c.list.items)), speech.Progress)
		return
	}
	c.selectItem(c.list.items[n-1])
}

func (c *core) saySelected() {
	if !c.list.hasSel {
		c.say.say("Nothing selected", speech.Important)
		return
	}
	ev := &c.list.sel.ev
	var b strings.Builder
	b.WriteString(Describe(ev))
	b.WriteString("; ")
	b.WriteString(spokenAge(c.now().Sub(ev.Time)))
	b.WriteString(", at ")
	b.WriteString(ev.Time.Format("15:04:05"))
	if ev.Kind == event.KindEarth {
		// Asked for in full: the coordinates too, which lines never read out.
		b.WriteString(", ")
		b.WriteString(EarthCoordinates(ev))
	}
	if _, host, ok := ev.Traceable(); ok {
		b.WriteString(", traceable through the traceback client at ")
		b.WriteString(host)
	} else if !ev.Desc.Empty() {
		b.WriteString(", description ")
		b.WriteString(oneLine(ev.Desc.String()))
	}
	if !ev.Agent.Empty() {
		b.WriteString(", agent ")
		b.WriteString(oneLine(ev.Agent.String()))
		if ev.Authed {
			b.WriteString(" authenticated")
		}
	}
	c.say.say(b.String(), speech.Important)
}

func (c *core) togglePause() {
	if !c.list.pos.Live {
		c.goLive()
		return
	}
	next := c.list.next
	c.ph.Seek(next, byConsole)
	if pos := c.ph.Position(); pos.Live {
		// Nothing newer than the end yet: hold the pause here (see holding).
		c.holding, c.holdAt, c.holdVersion = true, next, pos.Version
	}
	c.say.say("Paused at "+c.timeAt(next)+"; capture continues", speech.Important)
}

func (c *core) goLive() {
	c.holding = false
	pos := c.ph.Position()
	if pos.Live && !c.holding && c.list.pos.Live {
		c.say.say("Live", speech.Important)
		return
	}
	missed := pos.Behind
	if pos.Live {
		missed = c.list.next - c.list.end()
	}
	c.ph.GoLive(byConsole)
	c.sum.evSeen = c.list.next
	if pos.Past {
		c.say.say("Live, back from the stream's history", speech.Important)
		return
	}
	c.say.say(fmt.Sprintf("Live; %s arrived meanwhile", plural(int(missed), "event")), speech.Important)
}

// timeAt is the arrival time of the event before seq, as the list's end.
func (c *core) timeAt(seq uint64) string {
	var ev event.Event
	if seq > c.list.first && c.tl.Get(seq-1, &ev) {
		return ev.Time.Format("15:04:05")
	}
	return "the start"
}

// shift moves the playhead along the timeline by d.
func (c *core) shift(d time.Duration) {
	l := &c.list
	end := l.end()
	var ev event.Event
	var at time.Time // the newest time the list shows
	switch {
	case end > l.first && c.tl.Get(end-1, &ev):
		at = ev.Time
	case l.first < l.next && c.tl.Get(l.first, &ev):
		at = ev.Time.Add(-1) // at the start: just before the oldest event
	default:
		c.say.say("Nothing to rewind: the timeline is empty", speech.Important)
		return
	}
	if d > 0 && l.pos.Live {
		c.say.say("Already live", speech.Important)
		return
	}
	if a := c.archive(); d < 0 && a != nil {
		if old, ok := c.oldest(); ok && at.Add(d).Before(old) {
			c.loadBefore(a, at.Add(d))
			return
		}
	}
	if d < 0 && end <= l.first {
		c.say.say("At the start of the timeline", speech.Important)
		return
	}
	to := c.tl.Search(at.Add(d + 1)) // the list shows events up to at+d
	if d < 0 && to >= end && end > l.first {
		to = end - 1 // always move back at least one event
	}
	if to >= l.next {
		c.goLive()
		return
	}
	c.holding = false
	to = max(to, l.first)
	c.ph.Seek(to, byConsole)
	if to <= l.first {
		c.say.say("At the start of the timeline", speech.Important)
		return
	}
	c.say.say(fmt.Sprintf("Rewound to %s, %s before live", c.timeAt(to), plural(int(l.next-to), "event")), speech.Important)
}

func (c *core) applyPrompt(p promptKind, text string) {
	if p == promptGoTo {
		c.goTo(text)
		return
	}
	f, err := ParseFilter(text)
	if err != nil {
		c.say.say("Not understood: "+err.Error(), speech.Important)
		return
	}
	if p == promptFilter {
		c.find.filter = f
		c.refresh()
		if f.Empty() {
			c.say.say("Filter cleared", speech.Important)
			return
		}
		c.say.say(fmt.Sprintf("Filter %s: %d shown", f, len(c.list.items)), speech.Important)
		return
	}
	if f.Empty() {
		c.find.search = Filter{}
		c.say.say("Search cleared", speech.Important)
		return
	}
	c.find.search = f
	c.findMatch(-1)
}

// findMatch selects the next search match older (dir < 0) or newer than the
// selection (or than the list's end when nothing is selected).
func (c *core) findMatch(dir int) {
	if c.find.search.Empty() {
		c.say.say("No search; press / to search", speech.Important)
		return
	}
	from := c.list.end()
	if c.list.hasSel {
		from = c.list.sel.seq
	} else if dir > 0 {
		c.say.say("Select a packet first", speech.Important)
		return
	}
	both := c.find.both()
	it, ok := c.list.scan(&c.rd, from, dir, &both)
	if !ok {
		c.say.say("No match for "+c.find.search.String(), speech.Important)
		return
	}
	c.selectItem(it)
}

func (c *core) startTrace() *traceJob {
	if !c.list.hasSel {
		c.say.say("Nothing selected to trace; select a packet with the arrows or 1 to 9", speech.Important)
		return nil
	}
	ev := &c.list.sel.ev
	if ev.Kind != event.KindPacket {
		c.say.say("No trace possible: only packets can be traced", speech.Important)
		return nil
	}
	_, host, ok := ev.Traceable()
	if !ok {
		c.say.say("No trace possible: this packet's description holds no traceback hash; the agent must run with -T SERVER", speech.Important)
		return nil
	}
	if c.tracer == nil {
		c.say.say("No trace possible: tracing is not available in this monitor", speech.Important)
		return nil
	}
	c.say.say(c.trace.start(ev, host, c.now()), speech.Important)
	return &traceJob{ev: *ev, host: host}
}

func (c *core) traceDone(m traceDoneMsg) {
	if t := c.trace.sendFailed(m); t != "" {
		c.say.say(t, speech.Important)
	}
}

func (c *core) selClass() (int, bool) {
	l := &c.list
	if !l.hasSel || l.sel.ev.Kind != event.KindPacket {
		c.say.say("Select a packet first", speech.Important)
		return 0, false
	}
	cl := l.sel.ev.Class()
	if cl < 0 || cl > 9 {
		c.say.say("This packet has no flag class", speech.Important)
		return 0, false
	}
	if c.sound.s == nil {
		c.say.say(soundOff, speech.Important)
		return 0, false
	}
	return cl, true
}

// statusText is the spoken summary: counts, position, filter, sound, trace.
func (c *core) statusText() string {
	var b strings.Builder
	var zero timeline.Counts
	b.WriteString(summary(&zero, &c.list.counts, "in all"))
	b.WriteString(". ")
	pt := positionText(c.list.pos)
	b.WriteString(strings.ToUpper(pt[:1]) + pt[1:])
	if !c.find.filter.Empty() {
		b.WriteString(", filter " + c.find.filter.String())
	}
	b.WriteString(". Verbosity " + string(c.verbosity))
	b.WriteString(". ")
	b.WriteString(c.sound.text())
	if c.trace.status != "" {
		b.WriteString(". Trace " + c.trace.status)
	}
	if c.extra != nil {
		if x := c.extra(); x != "" {
			b.WriteString(". " + x)
		}
	}
	return b.String()
}
