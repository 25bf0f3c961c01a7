package console

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/packter/packter/console/consoletest"
	"github.com/packter/packter/event"
	"github.com/packter/packter/protocol"
	"github.com/packter/packter/speech"
	"github.com/packter/packter/timeline"
)

// rig is a core on a real timeline holding n synthetic events one second
// apart, with a clock that stands still unless a test moves it.
type rig struct {
	tl     *timeline.Timeline
	c      *core
	clock  time.Time
	sound  *consoletest.Sound
	speech *consoletest.Speech
	tracer *consoletest.Tracer
	n      int
}

func newRig(t *testing.T, n int, accessible bool) *rig {
	t.Helper()
	r := &rig{tl: timeline.New(1 << 16), sound: consoletest.NewSound(), speech: &consoletest.Speech{}}
	r.clock = consoletest.Base.Add(time.Duration(n) * time.Second)
	r.tracer = &consoletest.Tracer{TL: r.tl, Now: func() time.Time { return r.clock }}
	r.add(n)
	r.c = newCore(Config{Timeline: r.tl, Sound: r.sound, Speech: r.speech, Tracer: r.tracer,
		Accessible: accessible, Now: func() time.Time { return r.clock }})
	r.c.refresh()
	r.c.takeNotes()
	return r
}

// add appends synthetic events continuing the sequence.
func (r *rig) add(k int) {
	for i := 0; i < k; i++ {
		ev := consoletest.Synthetic(r.n, consoletest.Base.Add(time.Duration(r.n)*time.Second))
		r.tl.Append(&ev)
		r.n++
	}
}

func keyOf(s string) keyPress {
	switch s {
	case "space", " ":
		return keyPress{name: "space", text: " "}
	case "up", "down", "left", "right", "enter", "esc", "backspace":
		return keyPress{name: s}
	}
	return keyPress{name: s, text: s}
}

// press sends keys (and typed text, one rune each) and returns the notes.
func (r *rig) press(keys ...string) ([]note, *traceJob) {
	var job *traceJob
	for _, k := range keys {
		if j := r.c.key(keyOf(k)); j != nil {
			job = j
		}
		r.c.refresh()
	}
	return r.c.takeNotes(), job
}

func (r *rig) typeText(s string) {
	for _, ru := range s {
		r.c.key(keyPress{name: string(ru), text: string(ru)})
	}
}

func lastOf(notes []note, k noteKind) string {
	for i := len(notes) - 1; i >= 0; i-- {
		if notes[i].kind == k {
			return notes[i].text
		}
	}
	return ""
}

// textsOf is the text of every note of kind k, in order.
func textsOf(notes []note, k noteKind) []string {
	var out []string
	for _, n := range notes {
		if n.kind == k {
			out = append(out, n.text)
		}
	}
	return out
}

func TestSelectionMoves(t *testing.T) {
	r := newRig(t, 20, true)
	notes, _ := r.press("j")
	if got := lastOf(notes, noteSelect); !strings.HasPrefix(got, "ICMPv6 from 2001:db8::14 type 8") || !strings.Contains(got, "number 1") {
		t.Fatalf("first j selects the newest, got %q", got)
	}
	notes, _ = r.press("down", "j")
	if got := lastOf(notes, noteSelect); !strings.HasPrefix(got, "IPv6 TCP FIN or RST from 2001:db8::12") || !strings.Contains(got, "number 3") {
		t.Fatalf("two more down select the third newest, got %q", got)
	}
	notes, _ = r.press("k")
	if got := lastOf(notes, noteSelect); !strings.Contains(got, "number 2") {
		t.Fatalf("k moves to newer, got %q", got)
	}
	notes, _ = r.press("7")
	if got := lastOf(notes, noteSelect); !strings.HasPrefix(got, "UDP from 10.0.0.14 port 40013") || !strings.Contains(got, "7 seconds ago") {
		t.Fatalf("7 selects the seventh newest, got %q", got)
	}
	if r.c.list.sel.seq != 13 {
		t.Errorf("selected seq %d, want 13", r.c.list.sel.seq)
	}
	// Accessible mode prints selections; speech is the screen reader's job there.
	for _, u := range r.speech.Said() {
		if u.Priority == speech.Progress {
			t.Errorf("accessible mode spoke a selection: %q", u.Text)
		}
	}
}

func TestSelectionSpokenInFullScreen(t *testing.T) {
	r := newRig(t, 5, false)
	r.press("1")
	said := r.speech.Said()
	if len(said) != 1 || !strings.HasPrefix(said[0].Text, "ICMP from 10.0.0.5") || said[0].Priority != speech.Message {
		t.Fatalf("said %+v", said)
	}
}

func TestSelectionScrollsAndPauses(t *testing.T) {
	r := newRig(t, 40, true)
	r.c.list.rows = 5
	r.c.refresh()
	r.press("5")
	if !r.c.list.pos.Live {
		t.Fatal("selecting within the list must not pause")
	}
	notes, _ := r.press("j")
	if !!r.c.list.pos.Live || !r.c.list.contains(r.c.list.sel.seq) {
		t.Fatalf("moving past the bottom pauses and keeps the selection in view (paused %v)", !r.c.list.pos.Live)
	}
	if !strings.Contains(lastOf(notes, noteAnnounce), "List paused") {
		t.Errorf("notes %+v", notes)
	}
	if r.c.list.sel.seq != 34 {
		t.Errorf("selected seq %d, want 34", r.c.list.sel.seq)
	}
}

func TestTrace(t *testing.T) {
	r := newRig(t, 20, false)
	r.press("1") // seq 19: "sample 19", not traceable
	notes, job := r.press("T")
	if job != nil || !strings.HasPrefix(lastOf(notes, noteAnnounce), "No trace possible: this packet's description holds no traceback hash") {
		t.Fatalf("untraceable: job %v notes %+v", job, notes)
	}
	said := r.speech.Said()
	if last := said[len(said)-1]; !strings.HasPrefix(last.Text, "No trace possible") || last.Priority != speech.Important {
		t.Errorf("why no trace must be spoken, said %+v", last)
	}

	notes, job = r.press("2", "T") // seq 18: traceable
	if job == nil {
		t.Fatalf("no trace launched: %+v", notes)
	}
	if want := "Tracing the selected packet"; lastOf(notes, noteAnnounce) != want {
		t.Errorf("announced %q, want %q", lastOf(notes, noteAnnounce), want)
	}
	if res := job.run(context.Background(), r.tracer); res.err != nil {
		t.Fatal(res.err)
	}
	if calls := r.tracer.Calls(); len(calls) != 1 || calls[0].Desc.String() != "00000000000000000000000000000012-tc.example" {
		t.Fatalf("tracer calls %+v", calls)
	}
	r.c.refresh()
	notes = r.c.takeNotes()
	// One line per outcome, with the AS path and no hash; the client's
	// launched message and hash stay in the history.
	if len(notes) != 1 || notes[0].text != "Trace of IPv6 UDP from 2001:db8::13 port 40018 succeeded: the packet came from AS 64501 or from beyond it, through AS 64500" {
		t.Errorf("outcome lines: %+v", notes)
	}
	if len(r.c.msgs.items) != 3 {
		t.Errorf("history holds %d messages, want the client's 3", len(r.c.msgs.items))
	}
	if !strings.Contains(r.c.trace.status, "succeeded") {
		t.Errorf("trace status %q", r.c.trace.status)
	}

	r.tracer.Err = errors.New("network unreachable")
	_, job = r.press("T")
	r.c.traceDone(job.run(context.Background(), r.tracer))
	if got := lastOf(r.c.takeNotes(), noteAnnounce); got != "Trace of IPv6 UDP from 2001:db8::13 port 40018 failed: could not send to the traceback client at tc.example: network unreachable" {
		t.Errorf("send failure announced as %q", got)
	}
}

// TestTraceWithoutVoice: a client that sends its verdict but no voice (as
// PACKTER 2.5's may) is still answered, from the verdict message's AS path,
// once the voice has had a second to come.
func TestTraceWithoutVoice(t *testing.T) {
	r := newRig(t, 20, false)
	r.tracer.Mute = true
	_, job := r.press("2", "T")
	if job == nil {
		t.Fatal("no trace")
	}
	if res := job.run(context.Background(), r.tracer); res.err != nil {
		t.Fatal(res.err)
	}
	r.c.refresh()
	if notes := r.c.takeNotes(); len(notes) != 0 {
		t.Fatalf("outcome before the voice had its chance: %+v", notes)
	}
	r.clock = r.clock.Add(time.Second)
	r.c.refresh()
	want := "Trace of IPv6 UDP from 2001:db8::13 port 40018 succeeded: AS path from here 64500, 64501"
	if notes := r.c.takeNotes(); len(notes) != 1 || notes[0].text != want {
		t.Fatalf("outcome %+v, want %q", notes, want)
	}
}

// TestTraceTimeout: a client that never answers is reported, once.
func TestTraceTimeout(t *testing.T) {
	r := newRig(t, 20, false)
	r.c.trace.timeout = 10 * time.Second
	_, job := r.press("2", "T")
	if job == nil {
		t.Fatal("no trace")
	}
	r.clock = r.clock.Add(9 * time.Second)
	r.c.refresh()
	if got := lastOf(r.c.takeNotes(), noteAnnounce); got != "" {
		t.Fatalf("before the timeout: %q", got)
	}
	r.clock = r.clock.Add(time.Second)
	r.c.refresh()
	want := "No answer from the traceback client at tc.example after 10 seconds"
	if got := lastOf(r.c.takeNotes(), noteAnnounce); got != want {
		t.Fatalf("timeout said %q, want %q", got, want)
	}
	if said := r.speech.Said(); said[len(said)-1].Text != want {
		t.Errorf("timeout not spoken: %+v", said[len(said)-1])
	}
	r.clock = r.clock.Add(time.Minute)
	r.c.refresh()
	if got := lastOf(r.c.takeNotes(), noteAnnounce); got != "" {
		t.Errorf("timeout said twice: %q", got)
	}
}

func TestNoTracerSaysSo(t *testing.T) {
	r := newRig(t, 20, true)
	r.c.tracer = nil
	notes, job := r.press("2", "T")
	if job != nil || !strings.Contains(lastOf(notes, noteAnnounce), "tracing is not available") {
		t.Fatalf("job %v notes %+v", job, notes)
	}
}

func TestPauseRewindLive(t *testing.T) {
	r := newRig(t, 60, true)
	notes, _ := r.press("space")
	if !!r.c.list.pos.Live || lastOf(notes, noteAnnounce) != "Paused at 12:00:59; capture continues" {
		t.Fatalf("pause: %+v", notes)
	}
	r.add(5)
	r.c.refresh()
	if r.c.list.items[0].seq != 59 {
		t.Errorf("paused list moved to seq %d", r.c.list.items[0].seq)
	}
	notes, _ = r.press("left")
	if r.c.list.end() != 50 || !strings.HasPrefix(lastOf(notes, noteAnnounce), "Rewound to 12:00:49, 15 events before live") {
		t.Errorf("rewind: end %d, %+v", r.c.list.end(), notes)
	}
	r.press("<", "<", "<", "<", "<")
	notes, _ = r.press("<")
	if r.c.list.end() != 0 || lastOf(notes, noteAnnounce) != "At the start of the timeline" {
		t.Errorf("rewind to start: end %d, %+v", r.c.list.end(), notes)
	}
	r.press("right")
	if r.c.list.end() != 10 {
		t.Errorf("forward: end %d, want 10", r.c.list.end())
	}
	notes, _ = r.press("L")
	if !r.c.list.pos.Live || r.c.list.items[0].seq != 64 || lastOf(notes, noteAnnounce) != "Live; 55 events arrived meanwhile" {
		t.Errorf("live: paused %v top %d notes %+v", !r.c.list.pos.Live, r.c.list.items[0].seq, notes)
	}
}

func TestFilterAndSearchKeys(t *testing.T) {
	r := newRig(t, 30, true)
	r.press("f")
	if r.c.find.prompt != promptFilter {
		t.Fatal("f opens the filter prompt")
	}
	r.typeText("udp v4")
	notes, _ := r.press("enter")
	if got := lastOf(notes, noteAnnounce); got != "Filter udp v4: 3 shown" {
		t.Errorf("filter announced %q", got)
	}
	for _, it := range r.c.list.items {
		if it.ev.Class() != 3 {
			t.Errorf("filtered list holds %s", Describe(&it.ev))
		}
	}
	r.press("/")
	r.typeText("10.0.0.14")
	notes, _ = r.press("enter")
	if got := lastOf(notes, noteSelect); !strings.HasPrefix(got, "UDP from 10.0.0.14 port 40013") {
		t.Errorf("search selected %q", got)
	}
	notes, _ = r.press("n")
	if got := lastOf(notes, noteAnnounce); got != "No match for 10.0.0.14" {
		t.Errorf("no further match: %q", got)
	}
	r.press("f")
	r.typeText("flag:x")
	notes, _ = r.press("enter")
	if got := lastOf(notes, noteAnnounce); !strings.HasPrefix(got, "Not understood: flag") {
		t.Errorf("bad filter: %q", got)
	}
	r.press("f", "esc")
	if r.c.find.prompt != promptNone || r.c.find.filter.String() != "udp v4" {
		t.Errorf("esc cancels, keeping the filter %q", r.c.find.filter.String())
	}
	r.press("f", "enter")
	if !r.c.find.filter.Empty() || len(r.c.list.items) != 10 {
		t.Errorf("empty filter clears: %q, %d rows", r.c.find.filter.String(), len(r.c.list.items))
	}
}

func TestSoundKeys(t *testing.T) {
	r := newRig(t, 20, false)
	steps := []struct {
		key, want string
		check     func() bool
	}{
		{"+", "Volume 90 percent", func() bool { return r.sound.Volume() == 0.9 }},
		{"-", "Volume 80 percent", func() bool { return r.sound.Volume() == 0.8 }},
		{"m", "Sound muted", func() bool { return r.sound.Muted() }},
		{"m", "Sound on", func() bool { return !r.sound.Muted() }},
		{"c", "Theme calm", func() bool { return r.sound.Theme() == "calm" }},
		{"c", "Theme classic", func() bool { return r.sound.Theme() == "classic" }},
		{"M", "Select a packet first", func() bool { return !r.sound.ClassMuted(9) }},
		{"1", "", nil},
		{"M", "ICMPv6 muted", func() bool { return r.sound.ClassMuted(9) }},
		{"o", "Solo ICMPv6", func() bool { return r.sound.SoloClass() == 9 }},
		{"o", "Solo cleared", func() bool { return r.sound.SoloClass() == -1 }},
		// Speech has its own volume: the traffic's mute and volume leave it be.
		{"[", "Speech volume 90 percent", func() bool { return math.Abs(r.speech.Volume()-0.9) < 1e-9 && r.sound.Volume() == 0.8 }},
		{"m", "Sound muted", func() bool { return r.sound.Muted() && r.speech.Volume() > 0.89 }},
		{"]", "Speech volume 100 percent", func() bool { return r.speech.Volume() == 1 }},
		{"m", "Sound on", func() bool { return !r.sound.Muted() }},
	}
	for _, s := range steps {
		notes, _ := r.press(s.key)
		if s.check == nil {
			continue
		}
		if got := lastOf(notes, noteAnnounce); got != s.want || !s.check() {
			t.Errorf("key %s: announced %q (want %q), state ok %v", s.key, got, s.want, s.check())
		}
		said := r.speech.Said()
		if said[len(said)-1].Text != s.want {
			t.Errorf("key %s: spoke %q", s.key, said[len(said)-1].Text)
		}
	}
	for i := 0; i < 5; i++ {
		r.press("+")
	}
	if r.sound.Volume() != 1 {
		t.Errorf("volume beyond 1: %v", r.sound.Volume())
	}
}

func TestHelpRepeatStop(t *testing.T) {
	r := newRig(t, 3, false)
	notes, _ := r.press("?")
	help := textsOf(notes, noteHelp)
	if len(help) != len(r.c.keys.Bindings()) || help[0] != "T: trace the selected packet" {
		t.Fatalf("help lines %q", help)
	}
	// Spoken whole, essentials first, each piece under the speech queue's cut.
	said := r.speech.Said()
	var spoken []string
	for _, u := range said {
		if len(u.Text) > 400 {
			t.Errorf("help piece of %d characters would be cut: %q", len(u.Text), u.Text)
		}
		spoken = append(spoken, u.Text)
	}
	all := strings.Join(spoken, ". ")
	if spoken[0] != "Keys: T trace, s stop, r repeat, q quit" {
		t.Errorf("help starts %q", spoken[0])
	}
	for _, l := range r.c.keys.HelpLines()[5:] {
		if !strings.Contains(all, l) {
			t.Errorf("spoken help lacks %q", l)
		}
	}
	r.press("?")
	r.press("i")
	status := r.c.say.last
	before := len(r.speech.Said())
	notes, _ = r.press("r")
	said = r.speech.Said()
	if lastOf(notes, noteAnnounce) != status || !strings.HasPrefix(status, "3 packets in all: 1 TCP, 1 TCP SYN, 1 TCP FIN or RST. Live. Verbosity packets. Volume 80 percent") {
		t.Errorf("repeat showed %q, status %q", lastOf(notes, noteAnnounce), status)
	}
	if len(said) != before+1 || said[len(said)-1].Text != status {
		t.Errorf("r must say what it shows: said %+v", said[before:])
	}
	r.press("s")
	if stops, _ := r.speech.Counts(); stops != 1 {
		t.Errorf("stops %d", stops)
	}
	r.press("q")
	if !r.c.quit {
		t.Error("q does not quit")
	}
}

// TestAccessibleHelpEveryPress: ? lists the keys each time, not every other.
func TestAccessibleHelpEveryPress(t *testing.T) {
	r := newRig(t, 3, true)
	for i := 0; i < 3; i++ {
		notes, _ := r.press("?")
		n := 0
		for _, x := range notes {
			if x.kind == noteHelp {
				n++
			}
		}
		if n != len(r.c.keys.Bindings()) {
			t.Fatalf("press %d: %d help lines", i+1, n)
		}
	}
}

// TestAccessibleNotSpokenTwice: what accessible mode prints, the screen
// reader reads; Packter says it only with SpeakPrinted.
func TestAccessibleNotSpokenTwice(t *testing.T) {
	r := newRig(t, 5, true)
	r.press("1", "i", "+")
	if said := r.speech.Said(); len(said) != 0 {
		t.Errorf("accessible mode spoke printed lines: %+v", said)
	}
	r.c.say.speakPrinted = true
	r.press("+")
	if said := r.speech.Said(); len(said) != 1 || said[0].Text != "Volume 100 percent" {
		t.Errorf("with SpeakPrinted: %+v", said)
	}
}

func TestAccessibleLinesThenSummary(t *testing.T) {
	r := newRig(t, 5, true)
	r.add(2)
	r.c.refresh()
	notes := r.c.takeNotes()
	if len(notes) != 2 || notes[0].kind != noteEvent || notes[0].text != "IPv6 TCP from 2001:db8::6 port 40005 to 2001:db8::80 port 80, sample 5" {
		t.Fatalf("slow events get a line each: %+v", notes)
	}
	r.add(1000)
	r.c.refresh()
	if notes := r.c.takeNotes(); len(notes) != 0 {
		t.Fatalf("a burst must not print per-event lines: %d notes", len(notes))
	}
	r.clock = r.clock.Add(5 * time.Second)
	r.c.refresh()
	if notes := r.c.takeNotes(); len(notes) != 0 {
		t.Fatalf("no summary before the interval: %+v", notes)
	}
	r.clock = r.clock.Add(5 * time.Second)
	r.c.refresh()
	notes = r.c.takeNotes()
	if len(notes) != 1 || notes[0].kind != noteSummary ||
		notes[0].text != "1002 packets in the last 10 seconds: 101 IPv6 TCP, 101 IPv6 TCP SYN, 100 TCP, 100 TCP SYN, 600 other" {
		t.Fatalf("summary: %+v", notes)
	}
	// A quiet interval, and one whose packets all had lines, need none.
	r.clock = r.clock.Add(10 * time.Second)
	r.c.refresh()
	r.clock = r.clock.Add(2 * time.Second)
	r.add(1)
	r.c.refresh()
	r.clock = r.clock.Add(10 * time.Second)
	r.c.refresh()
	if notes := r.c.takeNotes(); len(notes) != 1 || notes[0].kind != noteEvent {
		t.Errorf("quiet, then one packet with its line: %+v", notes)
	}
}

// TestSummaryLeadsWithWhatMatters: alerts and the top talker come first.
func TestSummaryLeadsWithWhatMatters(t *testing.T) {
	r := newRig(t, 5, true)
	r.c.verbosity = VerbositySummary
	syn := event.Event{Time: r.clock, Kind: event.KindPacket, Flag: 1,
		Src: protocol.AddrFrom(netip.MustParseAddr("192.0.2.7")), Dst: protocol.AddrFrom(netip.MustParseAddr("10.0.0.5")),
		SPort: protocol.PortFrom(40000), DPort: protocol.PortFrom(443)}
	for i := 0; i < 300; i++ {
		r.tl.Append(&syn)
	}
	r.add(10)
	r.tl.Append(&event.Event{Time: r.clock, Kind: event.KindAlert, Text: event.CleanText("SYN flood toward 10.0.0.5", event.MaxText)})
	r.c.refresh()
	r.clock = r.clock.Add(10 * time.Second)
	r.c.refresh()
	want := "1 alert; 310 packets in the last 10 seconds, mostly TCP SYN from 192.0.2.7 to 10.0.0.5 port 443: 301 TCP SYN,"
	if got := lastOf(r.c.takeNotes(), noteSummary); !strings.HasPrefix(got, want) {
		t.Errorf("summary %q, want it to start %q", got, want)
	}
}

// TestVerbosityKey: v steps alerts, summary, packets; alerts prints no
// packet lines and no summaries.
func TestVerbosityKey(t *testing.T) {
	r := newRig(t, 5, true)
	notes, _ := r.press("v")
	if got := lastOf(notes, noteAnnounce); got != "Verbosity alerts: messages, alerts and traces only" {
		t.Fatalf("v said %q", got)
	}
	r.add(2)
	r.clock = r.clock.Add(10 * time.Second)
	r.c.refresh()
	if notes := r.c.takeNotes(); len(notes) != 0 {
		t.Errorf("alerts verbosity printed %+v", notes)
	}
	notes, _ = r.press("v")
	if got := lastOf(notes, noteAnnounce); !strings.HasPrefix(got, "Verbosity summary") {
		t.Errorf("second v said %q", got)
	}
}

func TestMessagesAndAlerts(t *testing.T) {
	r := newRig(t, 5, true)
	r.tl.Append(&event.Event{Time: r.clock, Kind: event.KindAlert, Text: event.CleanText("SYN flood to 10.0.0.2", event.MaxText)})
	r.add(3)
	r.tl.Append(&event.Event{Time: r.clock, Kind: event.KindVoice, Text: event.CleanText("hello", event.MaxText)})
	r.c.refresh()
	var msgs []note
	for _, n := range r.c.takeNotes() {
		if n.kind == noteMessage {
			msgs = append(msgs, n)
		}
	}
	if len(msgs) != 2 || msgs[0].text != "Alert: SYN flood to 10.0.0.2" || !msgs[0].bell || msgs[1].bell {
		t.Fatalf("messages %+v", msgs)
	}
	if len(r.c.msgs.items) != 2 {
		t.Errorf("messages pane holds %d", len(r.c.msgs.items))
	}
	for _, it := range r.c.list.items {
		if it.ev.Kind != event.KindPacket {
			t.Errorf("list holds a %s", it.ev.Kind)
		}
	}
}

func TestFloodAnnouncedOnce(t *testing.T) {
	r := newRig(t, 5, false)
	flood := consoletest.Synthetic(1, r.clock)
	flood.Model = event.CleanText("missile", event.MaxText)
	for i := 0; i < 3; i++ {
		r.tl.Append(&flood)
	}
	r.c.refresh()
	notes := r.c.takeNotes()
	if got := lastOf(notes, noteAnnounce); got != "Flood: 3 flood records" {
		t.Fatalf("flood: %+v", notes)
	}
	said := r.speech.Said()
	if last := said[len(said)-1]; last.Text != "Flood: 3 flood records" || last.Priority != speech.Progress {
		t.Errorf("flood said as %+v; want Progress, below the monitor's spoken alert", last)
	}
	bell := false
	for _, n := range notes {
		bell = bell || n.bell
	}
	if !bell {
		t.Error("flood note rang no bell")
	}
	r.tl.Append(&flood)
	r.c.refresh()
	if got := lastOf(r.c.takeNotes(), noteAnnounce); got != "" {
		t.Errorf("flood repeated within the quiet time: %q", got)
	}
}

func TestMessageFloodSummarised(t *testing.T) {
	r := newRig(t, 5, true)
	for i := 0; i < 20; i++ {
		r.tl.Append(&event.Event{Time: r.clock, Kind: event.KindAlert, Text: event.CleanText(fmt.Sprintf("alert %d", i), event.MaxText)})
	}
	r.c.refresh()
	notes := r.c.takeNotes()
	bells := 0
	for _, n := range notes {
		if n.bell {
			bells++
		}
	}
	if len(notes) != msgBudget || notes[0].text != "Alert: alert 0" || bells != 1 {
		t.Fatalf("want %d message lines and one bell, got %d lines, %d bells: %+v", msgBudget, len(notes), bells, notes)
	}
	if len(r.c.msgs.items) != 20 {
		t.Errorf("the messages pane keeps all 20, has %d", len(r.c.msgs.items))
	}
	r.clock = r.clock.Add(time.Second)
	r.tl.Append(&event.Event{Time: r.clock, Kind: event.KindAlert, Text: event.CleanText("next second", event.MaxText)})
	r.c.refresh()
	notes = r.c.takeNotes()
	if len(notes) != 1 || notes[0].text != "Alert: next second" || !notes[0].bell {
		t.Fatalf("next second: %+v", notes)
	}
	// None is lost: h lists the 15 that had no line.
	notes, _ = r.press("h")
	if len(notes) != 16 || notes[0].text != "Messages not shown before, 15:" || !strings.HasSuffix(notes[1].text, "Alert: alert 5") {
		t.Fatalf("history: %+v", notes)
	}
	notes, _ = r.press("h")
	if len(notes) != 11 || notes[0].text != "Last messages, 10 of 21 received:" {
		t.Errorf("history again: %+v", notes)
	}
}
