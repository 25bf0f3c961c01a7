package console

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/packter/packter/event"
	"github.com/packter/packter/speech"
	"github.com/packter/packter/timeline"
)

// Bounds on work per snapshot or key press, so that the console answers
// quickly at any packet rate and with any filter.
const (
	maxListScan = 20_000  // events examined to fill the list
	maxMoveScan = 200_000 // events examined to find the next match
	maxMsgScan  = 200_000 // events examined for new messages per snapshot
	maxMessages = 100     // messages kept for the messages pane
	lineBudget  = 3       // accessible mode: event lines per second before summarising
	msgBudget   = 5       // message lines per second before counting them instead
	maxLineScan = 64      // accessible mode: most new events examined for per-event lines
	rewindStep  = 10 * time.Second
	floodQuiet  = 10 * time.Second
	volumeStep  = 0.1
	defaultRows = 10
)

type noteKind uint8

const (
	noteAnnounce noteKind = iota // the console's own announcement (also spoken)
	noteSelect                   // the selection changed
	noteEvent                    // accessible mode: one incoming packet
	noteSummary                  // accessible mode: a second's packets in one line
	noteMessage                  // a message, alert or trace outcome received
	noteHelp                     // one help line
	notePrompt                   // a prompt opened
)

// note is one line of output for the modes to show.
type note struct {
	kind noteKind
	text string
	bell bool
}

type item struct {
	seq uint64
	ev  event.Event
}

type promptKind uint8

const (
	promptNone promptKind = iota
	promptSearch
	promptFilter
)

// traceJob is a trace to send off the UI goroutine.
type traceJob struct {
	ev   event.Event
	host string
}

// traceDoneMsg reports a trace's send.
type traceDoneMsg struct {
	host string
	err  error
}

func (j *traceJob) run(ctx context.Context, t Tracer) traceDoneMsg {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return traceDoneMsg{host: j.host, err: t.Trace(ctx, &j.ev)}
}

// core is the console's state and logic, shared by both modes: it reads
// snapshots of the timeline, answers keys and queues notes for the mode to
// show. It is used from one goroutine.
type core struct {
	tl     Timeline
	sound  Sound
	speech Speaker
	tracer Tracer
	keys   KeyMap
	now    func() time.Time

	accessible bool
	rows       int // list length wanted

	// The list shows matching packets with seq < end: the newest when live.
	paused bool
	end    uint64
	first  uint64
	next   uint64
	list   []item // newest first
	full   bool   // the scan limit ended the list before it was full
	counts timeline.Counts

	sel    item
	hasSel bool

	filter Filter
	search Filter

	prompt promptKind
	input  []rune

	msgs     []item // oldest first
	msgCount uint64
	msgSeen  uint64
	started  bool

	trace     string // traceback status
	traceHost string
	traceAt   time.Time

	last      string // last announcement
	showHelp  bool
	quit      bool
	notes     []note
	lastFlood time.Time
	floods    uint64

	classMuted [10]bool
	solo       int

	rd reader // the UI goroutine's

	// accessible mode's per-second line budget
	evSeen    uint64
	winStart  time.Time
	winLines  int
	winOver   bool
	summing   bool // the last second was too fast to read: summaries only
	winMsgs   int  // message lines this second
	msgSkip   int  // messages not given a line this second
	lastBell  time.Time
	winCounts timeline.Counts
}

func newCore(cfg Config) *core {
	return &core{
		tl:         cfg.Timeline,
		sound:      cfg.Sound,
		speech:     cfg.Speech,
		tracer:     cfg.Tracer,
		keys:       DefaultKeyMap(),
		now:        cfg.Now,
		accessible: cfg.Accessible,
		rows:       defaultRows,
		rd:         reader{tl: cfg.Timeline},
		solo:       -1,
	}
}

func (c *core) note(k noteKind, text string) {
	c.notes = append(c.notes, note{kind: k, text: text})
}

// announce shows and says one of the console's own announcements.
func (c *core) announce(text string, p speech.Priority) {
	c.announceBell(text, p, p >= speech.Alert)
}

// announceBell is announce with the bell chosen apart from the priority.
func (c *core) announceBell(text string, p speech.Priority, bell bool) {
	c.last = text
	c.notes = append(c.notes, note{kind: noteAnnounce, text: text, bell: bell})
	if c.speech != nil {
		c.speech.Say(text, p)
	}
}

func (c *core) takeNotes() []note {
	n := c.notes
	c.notes = c.notes[:0:0]
	return n
}

// snapshot is the list as a query found it, with the timeline's bounds and
// counts at that moment. Taking one reads only the timeline, so the
// full-screen mode takes them off the UI goroutine.
type snapshot struct {
	view        viewState
	filter      Filter
	end         uint64 // the list's end, clamped to the timeline
	first, next uint64
	counts      timeline.Counts
	list        []item // newest first
	full        bool   // the scan limit ended the list before it was full
}

// query is what the next snapshot should show.
func (c *core) query() snapshot {
	return snapshot{view: c.viewState(), filter: c.filter}
}

// take fills in the snapshot q asks for.
func (q snapshot) take(rd *reader) snapshot {
	s := q
	s.first, s.next = rd.tl.Bounds()
	s.counts = rd.tl.Counts()
	s.end = s.next
	if q.view.paused {
		s.end = min(max(q.view.end, s.first), s.next)
	}
	s.list = make([]item, 0, q.view.rows)
	from := s.first
	if s.end-from > maxListScan {
		from = s.end - maxListScan
	}
	rd.each(from, s.end, true, func(seq uint64, ev *event.Event) bool {
		if s.filter.Match(ev) {
			s.list = append(s.list, item{seq: seq, ev: *ev})
		}
		return len(s.list) < q.view.rows
	})
	s.full = len(s.list) < q.view.rows && from > s.first
	return s
}

// refresh takes a snapshot now and applies it.
func (c *core) refresh() { c.apply(c.query().take(&c.rd)) }

// apply shows a snapshot, then looks for new messages, floods and (in
// accessible mode) lines to print. It reports false, changing nothing, when
// the view changed since the snapshot was asked for.
func (c *core) apply(s snapshot) bool {
	if s.view != c.viewState() {
		return false
	}
	c.roll() // the second ends before this snapshot's news is counted
	c.first, c.next, c.counts = s.first, s.next, s.counts
	if c.paused {
		c.end = s.end
	}
	c.list, c.full = s.list, s.full
	c.scanMessages()
	c.checkFloods()
	if c.accessible {
		c.eventLines()
	}
	if !c.started {
		c.winStart, c.winCounts = c.now(), c.counts
	}
	c.started = true
	return true
}

func isMessage(k event.Kind) bool {
	switch k {
	case event.KindMessage, event.KindHTML, event.KindVoice, event.KindAlert, event.KindTrace:
		return true
	}
	return false
}

func (c *core) messageCount() uint64 {
	k := &c.counts.Kind
	return k[event.KindMessage] + k[event.KindHTML] + k[event.KindVoice] + k[event.KindAlert] + k[event.KindTrace]
}

// scanMessages finds messages that arrived since the last snapshot. The
// timeline's counts say whether there are any, so a packet flood costs nothing.
func (c *core) scanMessages() {
	total := c.messageCount()
	if total == c.msgCount {
		c.msgSeen = c.next
		return
	}
	from := c.msgSeen
	if from < c.first {
		from = c.first
	}
	if c.next > maxMsgScan && from < c.next-maxMsgScan {
		from = c.next - maxMsgScan
	}
	c.rd.each(from, c.next, false, func(seq uint64, ev *event.Event) bool {
		if !isMessage(ev.Kind) {
			return true
		}
		if len(c.msgs) == maxMessages {
			copy(c.msgs, c.msgs[1:])
			c.msgs = c.msgs[:maxMessages-1]
		}
		c.msgs = append(c.msgs, item{seq: seq, ev: *ev})
		if c.traceHost != "" && !ev.Time.Before(c.traceAt) && containsFold(ev.Text, "trace") {
			c.trace = plainText(ev)
		}
		if !c.started {
			return true
		}
		if c.winMsgs == msgBudget {
			c.msgSkip++ // counted in the second's summary
			return true
		}
		c.winMsgs++
		bell := false
		if ev.Kind == event.KindAlert && (c.lastBell.IsZero() || c.now().Sub(c.lastBell) >= time.Second) {
			bell = true // at most one bell a second
			c.lastBell = c.now()
		}
		c.notes = append(c.notes, note{kind: noteMessage, text: Describe(ev), bell: bell})
		return true
	})
	c.msgCount = total
	c.msgSeen = c.next
}

// checkFloods announces flood records, at most once per floodQuiet.
func (c *core) checkFloods() {
	n := c.counts.Flood
	if !c.started {
		c.floods = n
		return
	}
	if n == c.floods {
		return
	}
	now := c.now()
	if !c.lastFlood.IsZero() && now.Sub(c.lastFlood) < floodQuiet {
		return
	}
	// The bell rings, but the words go at Progress: an agent's flood alert is
	// already spoken by the monitor, and progress is dropped while it speaks,
	// so one flood is not heard twice.
	c.announceBell(fmt.Sprintf("Flood: %s flood records", strconv.FormatUint(n-c.floods, 10)), speech.Progress, true)
	c.floods = n
	c.lastFlood = now
}

func packetTotal(k *timeline.Counts) uint64 {
	var n uint64
	for _, v := range k.Class {
		n += v
	}
	return n + k.Flood
}

// eventLines gives accessible mode one line per new packet while a person can
// read them, and one summary line per second when they come faster.
func (c *core) eventLines() {
	if !c.started || c.paused {
		c.evSeen = c.next
		return
	}
	if c.evSeen < c.first {
		c.evSeen = c.first
	}
	if c.summing {
		c.winOver = true // still fast: this second gets a summary, no lines
	}
	if !c.winOver {
		if c.next-c.evSeen > maxLineScan {
			c.winOver = true
		} else {
			c.rd.each(c.evSeen, c.next, false, func(_ uint64, ev *event.Event) bool {
				if !c.filter.Match(ev) {
					return true
				}
				if c.winLines == lineBudget {
					c.winOver = true
					return false
				}
				c.winLines++
				c.note(noteEvent, Describe(ev))
				return true
			})
		}
	}
	c.evSeen = c.next
}

// roll ends the current second: the summary of what had no line of its own,
// then fresh budgets.
func (c *core) roll() {
	now := c.now()
	if !c.started || now.Sub(c.winStart) < time.Second {
		return
	}
	if packetTotal(&c.counts) == packetTotal(&c.winCounts) {
		c.winOver = false // nothing went unsaid
	}
	switch {
	case c.winOver && c.msgSkip > 0:
		c.note(noteSummary, fmt.Sprintf("%s; %d more messages", summary(&c.winCounts, &c.counts, "in the last second"), c.msgSkip))
	case c.winOver:
		c.note(noteSummary, summary(&c.winCounts, &c.counts, "in the last second"))
	case c.msgSkip > 0:
		c.note(noteSummary, fmt.Sprintf("%d more messages in the last second", c.msgSkip))
	}
	// Lines come back only after a second a person could have read.
	c.summing = c.winOver && packetTotal(&c.counts)-packetTotal(&c.winCounts) > lineBudget
	c.winStart = now
	c.winLines = 0
	c.winOver = false
	c.winMsgs, c.msgSkip = 0, 0
	c.winCounts = c.counts
}

// summary says how many packets of which classes arrived between two counts.
func summary(from, to *timeline.Counts, when string) string {
	type part struct {
		name string
		n    uint64
	}
	var parts []part
	for i := range to.Class {
		if d := to.Class[i] - from.Class[i]; d > 0 {
			parts = append(parts, part{classNames[i], d})
		}
	}
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].n > parts[j].n })
	total := packetTotal(to) - packetTotal(from)
	var b strings.Builder
	fmt.Fprintf(&b, "%d packets %s", total, when)
	for i, p := range parts {
		if i == 4 {
			var rest uint64
			for _, q := range parts[4:] {
				rest += q.n
			}
			fmt.Fprintf(&b, ", %d other", rest)
			break
		}
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d %s", p.n, p.name)
	}
	if d := to.Flood - from.Flood; d > 0 {
		fmt.Fprintf(&b, "; %d flood records", d)
	}
	if d := to.Incident - from.Incident; d > 0 {
		fmt.Fprintf(&b, "; %d incidents", d)
	}
	return b.String()
}

// viewState is what the list depends on besides new data.
type viewState struct {
	paused bool
	end    uint64
	filter string
	rows   int
}

func (c *core) viewState() viewState {
	return viewState{c.paused, c.end, c.filter.text, c.rows}
}

// key answers one key press, taking a new snapshot when the key changed what
// the list shows (other keys leave new data to the next tick). It may return
// a trace to send.
func (c *core) key(k tea.KeyMsg) *traceJob {
	before := c.viewState()
	job := c.answer(k)
	if c.viewState() != before {
		c.refresh()
	}
	return job
}

func (c *core) answer(k tea.KeyMsg) *traceJob {
	if c.prompt != promptNone {
		c.promptKey(k)
		return nil
	}
	km := &c.keys
	switch {
	case key.Matches(k, km.Quit):
		c.quit = true
	case key.Matches(k, km.Help):
		c.help()
	case c.showHelp && k.Type == tea.KeyEsc:
		c.showHelp = false
	case key.Matches(k, km.Up):
		c.move(+1)
	case key.Matches(k, km.Down):
		c.move(-1)
	case key.Matches(k, km.Pick):
		c.pick(int(k.Runes[0] - '0'))
	case key.Matches(k, km.Say):
		c.saySelected()
	case key.Matches(k, km.Pause):
		c.togglePause()
	case key.Matches(k, km.Search):
		c.openPrompt(promptSearch)
	case key.Matches(k, km.NextMatch):
		c.findMatch(-1)
	case key.Matches(k, km.PrevMatch):
		c.findMatch(+1)
	case key.Matches(k, km.Filter):
		c.openPrompt(promptFilter)
	case key.Matches(k, km.Trace):
		return c.startTrace()
	case key.Matches(k, km.VolumeUp):
		c.volume(+volumeStep)
	case key.Matches(k, km.VolumeDown):
		c.volume(-volumeStep)
	case key.Matches(k, km.Mute):
		c.mute()
	case key.Matches(k, km.MuteClass):
		c.muteClass()
	case key.Matches(k, km.Solo):
		c.soloClass()
	case key.Matches(k, km.Theme):
		c.nextTheme()
	case key.Matches(k, km.Rewind):
		c.shift(-rewindStep)
	case key.Matches(k, km.Forward):
		c.shift(rewindStep)
	case key.Matches(k, km.Live):
		c.goLive()
	case key.Matches(k, km.Status):
		c.announce(c.statusText(), speech.Important)
	case key.Matches(k, km.Repeat):
		c.repeat()
	case key.Matches(k, km.StopTalking):
		if c.speech != nil {
			c.speech.Stop()
		}
		c.showHelp = false
	}
	return nil
}

func (c *core) help() {
	c.showHelp = !c.showHelp
	if !c.showHelp {
		return
	}
	lines := c.keys.HelpLines()
	for _, l := range lines {
		c.note(noteHelp, l)
	}
	c.last = "Keys. " + strings.Join(lines, ". ")
	if c.speech != nil {
		c.speech.Say(c.last, speech.Important)
	}
}

func (c *core) repeat() {
	if c.speech != nil {
		c.speech.Repeat()
	}
	if c.last == "" {
		c.note(noteAnnounce, "Nothing to repeat")
		return
	}
	c.note(noteAnnounce, c.last)
}

// listEnd is the seq the list ends before.
func (c *core) listEnd() uint64 {
	if c.paused {
		return c.end
	}
	return c.next
}

// inList reports whether seq is within the span the list shows.
func (c *core) inList(seq uint64) bool {
	if len(c.list) == 0 {
		return false
	}
	return seq < c.listEnd() && seq >= c.list[len(c.list)-1].seq
}

// move selects the next matching packet newer (dir > 0) or older (dir < 0)
// than the selection, scrolling (and so pausing) the list when it leaves it.
func (c *core) move(dir int) {
	if !c.hasSel {
		if len(c.list) == 0 {
			c.announce("No packets to select", speech.Progress)
			return
		}
		c.selectItem(c.list[0])
		return
	}
	it, ok := c.scan(c.sel.seq, dir, &c.filter)
	if !ok {
		if dir > 0 {
			c.announce("Newest packet", speech.Progress)
		} else {
			c.announce("Oldest packet", speech.Progress)
		}
		return
	}
	c.selectItem(it)
}

// scan looks from seq (exclusive) in direction dir for an event f matches.
func (c *core) scan(seq uint64, dir int, f *Filter) (item, bool) {
	var found item
	ok := false
	visit := func(s uint64, ev *event.Event) bool {
		if f.Match(ev) {
			found, ok = item{seq: s, ev: *ev}, true
			return false
		}
		return true
	}
	if dir < 0 {
		from := c.first
		if seq > c.first+maxMoveScan {
			from = seq - maxMoveScan
		}
		c.rd.each(from, seq, true, visit)
	} else {
		to := c.next
		if to > seq+1+maxMoveScan {
			to = seq + 1 + maxMoveScan
		}
		c.rd.each(seq+1, to, false, visit)
	}
	return found, ok
}

// reader reads the timeline in chunks into a buffer of its own; one per
// goroutine.
type reader struct {
	tl  Timeline
	buf []event.Event
}

// readChunk is how many events each reads under one lock of the timeline.
const readChunk = 256

// each calls fn for the events with seq in [from, to), newest first or oldest
// first, until fn returns false. It reads the timeline a chunk at a time: one
// lock per chunk rather than per event keeps the writer (the monitor's
// ingest) and the console out of each other's way.
func (r *reader) each(from, to uint64, newestFirst bool, fn func(seq uint64, ev *event.Event) bool) {
	for from < to {
		lo, hi := from, to
		if newestFirst {
			if hi-lo > readChunk {
				lo = hi - readChunk
			}
		} else if hi-lo > readChunk {
			hi = lo + readChunk
		}
		r.buf = r.tl.Recent(r.buf[:0], hi, int(hi-lo))
		if len(r.buf) == 0 {
			return // evicted meanwhile
		}
		base := hi - uint64(len(r.buf))
		if newestFirst {
			for j := len(r.buf) - 1; j >= 0; j-- {
				if !fn(base+uint64(j), &r.buf[j]) {
					return
				}
			}
			to = base
		} else {
			for j := range r.buf {
				if !fn(base+uint64(j), &r.buf[j]) {
					return
				}
			}
			from = hi
		}
	}
}

func (c *core) selectItem(it item) {
	c.sel = it
	c.hasSel = true
	if !c.inList(it.seq) {
		if !c.paused {
			c.note(noteAnnounce, "List paused to show the selection; L returns to live")
		}
		c.paused = true
		c.end = it.seq + 1
		c.refresh()
	}
	text := c.selText()
	c.note(noteSelect, text)
	if !c.accessible && c.speech != nil {
		// In full-screen mode speech is how a listener hears the selection; in
		// accessible mode the screen reader reads the line.
		c.speech.Say(text, speech.Progress)
	}
}

func (c *core) selText() string {
	pos := ""
	for i, it := range c.list {
		if it.seq == c.sel.seq {
			pos = fmt.Sprintf("number %d, ", i+1)
			break
		}
	}
	return Describe(&c.sel.ev) + "; " + pos + spokenAge(c.now().Sub(c.sel.ev.Time))
}

func (c *core) pick(n int) {
	if n < 1 || n > len(c.list) {
		c.announce(fmt.Sprintf("No packet number %d; %d shown", n, len(c.list)), speech.Progress)
		return
	}
	c.selectItem(c.list[n-1])
}

func (c *core) saySelected() {
	if !c.hasSel {
		c.announce("Nothing selected", speech.Important)
		return
	}
	ev := &c.sel.ev
	var b strings.Builder
	b.WriteString(Describe(ev))
	b.WriteString("; ")
	b.WriteString(spokenAge(c.now().Sub(ev.Time)))
	b.WriteString(", at ")
	b.WriteString(ev.Time.Format("15:04:05"))
	if hash, host, ok := ev.Traceable(); ok {
		b.WriteString(", traceback client ")
		b.WriteString(host)
		b.WriteString(", hash ")
		b.WriteString(hash)
	} else if ev.Desc != "" {
		b.WriteString(", description ")
		b.WriteString(oneLine(ev.Desc))
	}
	if ev.Agent != "" {
		b.WriteString(", agent ")
		b.WriteString(oneLine(ev.Agent))
		if ev.Authed {
			b.WriteString(" authenticated")
		}
	}
	c.announce(b.String(), speech.Important)
}

func (c *core) togglePause() {
	if c.paused {
		c.goLive()
		return
	}
	c.paused = true
	c.end = c.next
	c.announce("Paused at "+c.timeAt(c.end)+"; capture continues", speech.Important)
}

func (c *core) goLive() {
	if !c.paused {
		c.announce("Live", speech.Important)
		return
	}
	c.paused = false
	missed := c.next - c.end
	c.evSeen = c.next
	c.announce(fmt.Sprintf("Live; %d events arrived meanwhile", missed), speech.Important)
}

// timeAt is the arrival time of the event before seq, as the list's end.
func (c *core) timeAt(seq uint64) string {
	var ev event.Event
	if seq > c.first && c.tl.Get(seq-1, &ev) {
		return ev.Time.Format("15:04:05")
	}
	return "the start"
}

// shift moves the list's end along the timeline by d.
func (c *core) shift(d time.Duration) {
	end := c.listEnd()
	var ev event.Event
	var at time.Time // the newest time the list shows
	switch {
	case end > c.first && c.tl.Get(end-1, &ev):
		at = ev.Time
	case c.first < c.next && c.tl.Get(c.first, &ev):
		at = ev.Time.Add(-1) // at the start: just before the oldest event
	default:
		c.announce("Nothing to rewind: the timeline is empty", speech.Important)
		return
	}
	if d > 0 && !c.paused {
		c.announce("Already live", speech.Important)
		return
	}
	if d < 0 && end <= c.first {
		c.announce("At the start of the timeline", speech.Important)
		return
	}
	to := c.tl.Search(at.Add(d + 1)) // the list shows events up to at+d
	if d < 0 && to >= end && end > c.first {
		to = end - 1 // always move back at least one event
	}
	if to >= c.next {
		c.goLive()
		return
	}
	c.paused = true
	c.end = to
	if to <= c.first {
		c.end = c.first
		c.announce("At the start of the timeline", speech.Important)
		return
	}
	c.announce(fmt.Sprintf("Rewound to %s, %d events before live", c.timeAt(c.end), c.next-c.end), speech.Important)
}

func (c *core) openPrompt(p promptKind) {
	c.prompt = p
	c.input = c.input[:0]
	if p == promptSearch {
		c.note(notePrompt, "Search: ")
	} else {
		c.note(notePrompt, "Filter: ")
	}
}

func (c *core) promptKey(k tea.KeyMsg) {
	switch k.Type {
	case tea.KeyEnter:
		p := c.prompt
		c.prompt = promptNone
		c.applyPrompt(p, string(c.input))
	case tea.KeyEsc, tea.KeyCtrlC:
		c.prompt = promptNone
		c.announce("Cancelled", speech.Progress)
	case tea.KeyBackspace, tea.KeyDelete:
		if len(c.input) > 0 {
			c.input = c.input[:len(c.input)-1]
		}
	case tea.KeyRunes, tea.KeySpace:
		if len(c.input) < 200 {
			c.input = append(c.input, k.Runes...)
		}
	}
}

func (c *core) applyPrompt(p promptKind, text string) {
	f, err := ParseFilter(text)
	if err != nil {
		c.announce("Not understood: "+err.Error(), speech.Important)
		return
	}
	if p == promptFilter {
		c.filter = f
		c.refresh()
		if f.Empty() {
			c.announce("Filter cleared", speech.Important)
			return
		}
		c.announce(fmt.Sprintf("Filter %s: %d shown", f, len(c.list)), speech.Important)
		return
	}
	if f.Empty() {
		c.search = Filter{}
		c.announce("Search cleared", speech.Important)
		return
	}
	c.search = f
	c.findMatch(-1)
}

// findMatch selects the next search match older (dir < 0) or newer than the
// selection (or than the list's end when nothing is selected).
func (c *core) findMatch(dir int) {
	if c.search.Empty() {
		c.announce("No search; press / to search", speech.Important)
		return
	}
	from := c.listEnd()
	if c.hasSel {
		from = c.sel.seq
	} else if dir > 0 {
		c.announce("Select a packet first", speech.Important)
		return
	}
	both := c.search
	both.classes, both.words, both.prefixes, both.ports = merge(c.search, c.filter)
	it, ok := c.scan(from, dir, &both)
	if !ok {
		c.announce("No match for "+c.search.String(), speech.Important)
		return
	}
	c.selectItem(it)
}

// merge combines a search with the active filter: a match must pass both.
func merge(a, b Filter) (uint16, []string, []netip.Prefix, []uint32) {
	cl := a.classes
	if b.classes != 0 {
		if cl == 0 {
			cl = b.classes
		} else if cl &= b.classes; cl == 0 {
			cl = 1 << 15
		}
	}
	return cl, append(append([]string(nil), a.words...), b.words...),
		append(append([]netip.Prefix(nil), a.prefixes...), b.prefixes...),
		append(append([]uint32(nil), a.ports...), b.ports...)
}

func (c *core) startTrace() *traceJob {
	if !c.hasSel {
		c.announce("Nothing selected to trace; select a packet with the arrows or 1 to 9", speech.Important)
		return nil
	}
	ev := &c.sel.ev
	if ev.Kind != event.KindPacket {
		c.announce("No trace possible: only packets can be traced", speech.Important)
		return nil
	}
	hash, host, ok := ev.Traceable()
	if !ok {
		c.announce("No trace possible: this packet's description holds no traceback hash; the agent must run with -T SERVER", speech.Important)
		return nil
	}
	if c.tracer == nil {
		c.announce("No trace possible: tracing is not available in this monitor", speech.Important)
		return nil
	}
	c.traceHost = host
	c.traceAt = c.now()
	c.trace = fmt.Sprintf("launched %s to %s, waiting for the result", c.traceAt.Format("15:04:05"), host)
	c.announce(fmt.Sprintf("Trace launched for %s, hash %s, sent to %s", FlagName(ev), hash[:8], host), speech.Important)
	return &traceJob{ev: *ev, host: host}
}

func (c *core) traceDone(m traceDoneMsg) {
	if m.err == nil {
		return
	}
	c.trace = "could not be sent to " + m.host
	c.announce(fmt.Sprintf("Trace failed: could not send to %s: %v", m.host, m.err), speech.Important)
}

func (c *core) volume(d float64) {
	if c.sound == nil {
		c.announce("Sound is off", speech.Important)
		return
	}
	v := c.sound.Volume() + d
	v = float64(int(v*100+0.5)) / 100
	if v < 0 {
		v = 0
	}
	if v > 1 {
		v = 1
	}
	c.sound.SetVolume(v)
	c.announce(fmt.Sprintf("Volume %d percent", int(c.sound.Volume()*100+0.5)), speech.Important)
}

func (c *core) mute() {
	if c.sound == nil {
		c.announce("Sound is off", speech.Important)
		return
	}
	c.sound.SetMuted(!c.sound.Muted())
	if c.sound.Muted() {
		c.announce("Sound muted", speech.Important)
	} else {
		c.announce("Sound on", speech.Important)
	}
}

func (c *core) selClass() (int, bool) {
	if !c.hasSel || c.sel.ev.Kind != event.KindPacket {
		c.announce("Select a packet first", speech.Important)
		return 0, false
	}
	cl := c.sel.ev.Class()
	if cl < 0 || cl > 9 {
		c.announce("This packet has no flag class", speech.Important)
		return 0, false
	}
	if c.sound == nil {
		c.announce("Sound is off", speech.Important)
		return 0, false
	}
	return cl, true
}

func (c *core) muteClass() {
	cl, ok := c.selClass()
	if !ok {
		return
	}
	c.classMuted[cl] = !c.classMuted[cl]
	c.sound.SetClassMuted(cl, c.classMuted[cl])
	if c.classMuted[cl] {
		c.announce(ClassName(cl)+" muted", speech.Important)
	} else {
		c.announce(ClassName(cl)+" unmuted", speech.Important)
	}
}

func (c *core) soloClass() {
	cl, ok := c.selClass()
	if !ok {
		return
	}
	if c.solo == cl {
		c.solo = -1
		c.sound.Solo(-1)
		c.announce("Solo cleared", speech.Important)
		return
	}
	c.solo = cl
	c.sound.Solo(cl)
	c.announce("Solo "+ClassName(cl), speech.Important)
}

func (c *core) nextTheme() {
	if c.sound == nil {
		c.announce("Sound is off", speech.Important)
		return
	}
	themes := c.sound.Themes()
	if len(themes) == 0 {
		c.announce("No sound themes", speech.Important)
		return
	}
	cur := c.sound.Theme()
	i := 0
	for j, t := range themes {
		if t == cur {
			i = (j + 1) % len(themes)
		}
	}
	if err := c.sound.SetTheme(themes[i]); err != nil {
		c.announce("Theme "+themes[i]+" failed: "+err.Error(), speech.Important)
		return
	}
	c.announce("Theme "+themes[i], speech.Important)
}

// statusText is the spoken summary: counts, mode, filter and sound.
func (c *core) statusText() string {
	var b strings.Builder
	var zero timeline.Counts
	b.WriteString(summary(&zero, &c.counts, "in all"))
	if c.paused {
		b.WriteString(". Paused at " + c.timeAt(c.end))
	} else {
		b.WriteString(". Live")
	}
	if !c.filter.Empty() {
		b.WriteString(", filter " + c.filter.String())
	}
	b.WriteString(". ")
	b.WriteString(c.soundText())
	if c.trace != "" {
		b.WriteString(". Trace " + c.trace)
	}
	return b.String()
}

func (c *core) soundText() string {
	if c.sound == nil {
		return "Sound off"
	}
	// The engine's status already says volume, mute, theme, solo and what it
	// plays; say "percent" so a screen reader reads it as words.
	if s := oneLine(c.sound.Status()); s != "" {
		return strings.ToUpper(s[:1]) + strings.ReplaceAll(s[1:], "%", " percent")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Volume %d percent", int(c.sound.Volume()*100+0.5))
	if c.sound.Muted() {
		b.WriteString(", muted")
	}
	if t := c.sound.Theme(); t != "" {
		b.WriteString(", theme " + t)
	}
	if c.solo >= 0 {
		b.WriteString(", solo " + ClassName(c.solo))
	}
	return b.String()
}
