package console

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/packter/packter/console/consoletest"
	"github.com/packter/packter/event"
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

func keyOf(s string) tea.KeyMsg {
	switch s {
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "left":
		return tea.KeyMsg{Type: tea.KeyLeft}
	case "right":
		return tea.KeyMsg{Type: tea.KeyRight}
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "space":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
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
		r.c.key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{ru}})
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
	if r.c.sel.seq != 13 {
		t.Errorf("selected seq %d, want 13", r.c.sel.seq)
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
	if len(said) != 1 || !strings.HasPrefix(said[0].Text, "ICMP from 10.0.0.5") || said[0].Priority != speech.Progress {
		t.Fatalf("said %+v", said)
	}
}

func TestSelectionScrollsAndPauses(t *testing.T) {
	r := newRig(t, 40, true)
	r.c.rows = 5
	r.c.refresh()
	r.press("5")
	if r.c.paused {
		t.Fatal("selecting within the list must not pause")
	}
	notes, _ := r.press("j")
	if !r.c.paused || !r.c.inList(r.c.sel.seq) {
		t.Fatalf("moving past the bottom pauses and keeps the selection in view (paused %v)", r.c.paused)
	}
	if !strings.Contains(lastOf(notes, noteAnnounce), "List paused") {
		t.Errorf("notes %+v", notes)
	}
	if r.c.sel.seq != 34 {
		t.Errorf("selected seq %d, want 34", r.c.sel.seq)
	}
}

func TestTrace(t *testing.T) {
	r := newRig(t, 20, true)
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
	if want := "Trace launched for IPv6 UDP, hash 00000000, sent to tc.example"; lastOf(notes, noteAnnounce) != want {
		t.Errorf("announced %q, want %q", lastOf(notes, noteAnnounce), want)
	}
	if res := job.run(context.Background(), r.tracer); res.err != nil {
		t.Fatal(res.err)
	}
	if calls := r.tracer.Calls(); len(calls) != 1 || calls[0].Desc != "00000000000000000000000000000012-tc.example" {
		t.Fatalf("tracer calls %+v", calls)
	}
	r.c.refresh()
	notes = r.c.takeNotes()
	if got := lastOf(notes, noteMessage); !strings.Contains(got, "Traceback trial succeeded") {
		t.Errorf("outcome not shown: %+v", notes)
	}
	if !strings.Contains(r.c.trace, "Traceback trial succeeded") {
		t.Errorf("trace status %q", r.c.trace)
	}

	r.tracer.Err = errors.New("network unreachable")
	_, job = r.press("T")
	r.c.traceDone(job.run(context.Background(), r.tracer))
	if got := lastOf(r.c.takeNotes(), noteAnnounce); got != "Trace failed: could not send to tc.example: network unreachable" {
		t.Errorf("send failure announced as %q", got)
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
	if !r.c.paused || lastOf(notes, noteAnnounce) != "Paused at 12:00:59; capture continues" {
		t.Fatalf("pause: %+v", notes)
	}
	r.add(5)
	r.c.refresh()
	if r.c.list[0].seq != 59 {
		t.Errorf("paused list moved to seq %d", r.c.list[0].seq)
	}
	notes, _ = r.press("left")
	if r.c.end != 50 || !strings.HasPrefix(lastOf(notes, noteAnnounce), "Rewound to 12:00:49, 15 events before live") {
		t.Errorf("rewind: end %d, %+v", r.c.end, notes)
	}
	r.press("<", "<", "<", "<", "<")
	notes, _ = r.press("<")
	if r.c.end != 0 || lastOf(notes, noteAnnounce) != "At the start of the timeline" {
		t.Errorf("rewind to start: end %d, %+v", r.c.end, notes)
	}
	r.press("right")
	if r.c.end != 10 {
		t.Errorf("forward: end %d, want 10", r.c.end)
	}
	notes, _ = r.press("L")
	if r.c.paused || r.c.list[0].seq != 64 || lastOf(notes, noteAnnounce) != "Live; 55 events arrived meanwhile" {
		t.Errorf("live: paused %v top %d notes %+v", r.c.paused, r.c.list[0].seq, notes)
	}
}

func TestFilterAndSearchKeys(t *testing.T) {
	r := newRig(t, 30, true)
	r.press("f")
	if r.c.prompt != promptFilter {
		t.Fatal("f opens the filter prompt")
	}
	r.typeText("udp v4")
	notes, _ := r.press("enter")
	if got := lastOf(notes, noteAnnounce); got != "Filter udp v4: 3 shown" {
		t.Errorf("filter announced %q", got)
	}
	for _, it := range r.c.list {
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
	if r.c.prompt != promptNone || r.c.filter.String() != "udp v4" {
		t.Errorf("esc cancels, keeping the filter %q", r.c.filter.String())
	}
	r.press("f", "enter")
	if !r.c.filter.Empty() || len(r.c.list) != 10 {
		t.Errorf("empty filter clears: %q, %d rows", r.c.filter.String(), len(r.c.list))
	}
}

func TestSoundKeys(t *testing.T) {
	r := newRig(t, 20, true)
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
	r := newRig(t, 3, true)
	notes, _ := r.press("?")
	var help []string
	for _, n := range notes {
		if n.kind == noteHelp {
			help = append(help, n.text)
		}
	}
	if len(help) != len(r.c.keys.Bindings()) || help[0] != "up, k: select the next newer item" {
		t.Fatalf("help lines %q", help)
	}
	said := r.speech.Said()
	if !strings.HasPrefix(said[len(said)-1].Text, "Keys. up, k: select the next newer item. ") {
		t.Errorf("help not spoken: %q", said[len(said)-1].Text)
	}
	r.press("?")
	r.press("i")
	status := r.c.last
	notes, _ = r.press("r")
	if lastOf(notes, noteAnnounce) != status || !strings.HasPrefix(status, "3 packets in all: 1 TCP, 1 TCP SYN, 1 TCP FIN or RST. Live. Volume 80 percent") {
		t.Errorf("repeat showed %q, status %q", lastOf(notes, noteAnnounce), status)
	}
	r.press("s")
	if stops, repeats := r.speech.Counts(); stops != 1 || repeats != 1 {
		t.Errorf("stops %d repeats %d", stops, repeats)
	}
	r.press("q")
	if !r.c.quit {
		t.Error("q does not quit")
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
	r.clock = r.clock.Add(time.Second)
	r.c.refresh()
	notes = r.c.takeNotes()
	if len(notes) != 1 || notes[0].kind != noteSummary ||
		notes[0].text != "1002 packets in the last second: 101 IPv6 TCP, 101 IPv6 TCP SYN, 100 TCP, 100 TCP SYN, 600 other" {
		t.Fatalf("summary: %+v", notes)
	}
	// Right after a fast second, a slow one is still summarised rather than
	// read line by line; the next slow second gets lines again.
	r.add(2)
	r.c.refresh()
	if notes := r.c.takeNotes(); len(notes) != 0 {
		t.Fatalf("lines right after a burst: %+v", notes)
	}
	r.clock = r.clock.Add(time.Second)
	r.c.refresh()
	notes = r.c.takeNotes()
	if len(notes) != 1 || notes[0].text != "2 packets in the last second: 1 IPv6 TCP FIN or RST, 1 IPv6 UDP" {
		t.Fatalf("slow second after a burst: %+v", notes)
	}
	r.add(1)
	r.c.refresh()
	if notes := r.c.takeNotes(); len(notes) != 1 || notes[0].kind != noteEvent {
		t.Fatalf("lines resume: %+v", notes)
	}
	r.clock = r.clock.Add(time.Second)
	r.c.refresh()
	if notes := r.c.takeNotes(); len(notes) != 0 {
		t.Errorf("a second read line by line needs no summary: %+v", notes)
	}
	r.clock = r.clock.Add(time.Second)
	r.c.refresh()
	if notes := r.c.takeNotes(); len(notes) != 0 {
		t.Errorf("a quiet second needs no summary: %+v", notes)
	}
}

func TestMessagesAndAlerts(t *testing.T) {
	r := newRig(t, 5, true)
	r.tl.Append(&event.Event{Time: r.clock, Kind: event.KindAlert, Text: "SYN flood to 10.0.0.2"})
	r.add(3)
	r.tl.Append(&event.Event{Time: r.clock, Kind: event.KindVoice, Text: "hello"})
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
	if len(r.c.msgs) != 2 {
		t.Errorf("messages pane holds %d", len(r.c.msgs))
	}
	for _, it := range r.c.list {
		if it.ev.Kind != event.KindPacket {
			t.Errorf("list holds a %s", it.ev.Kind)
		}
	}
}

func TestFloodAnnouncedOnce(t *testing.T) {
	r := newRig(t, 5, true)
	flood := consoletest.Synthetic(1, r.clock)
	flood.Model = "missile"
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
		r.tl.Append(&event.Event{Time: r.clock, Kind: event.KindAlert, Text: fmt.Sprintf("alert %d", i)})
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
	if len(r.c.msgs) != 20 {
		t.Errorf("the messages pane keeps all 20, has %d", len(r.c.msgs))
	}
	r.clock = r.clock.Add(time.Second)
	r.tl.Append(&event.Event{Time: r.clock, Kind: event.KindAlert, Text: "next second"})
	r.c.refresh()
	notes = r.c.takeNotes()
	if len(notes) != 2 || notes[0].kind != noteSummary || notes[0].text != "15 more messages in the last second" ||
		notes[1].text != "Alert: next second" || !notes[1].bell {
		t.Fatalf("next second: %+v", notes)
	}
}
