package speech

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// A user's answer is always spoken: never deduplicated, never rate limited.
func TestAnswerAlwaysSpoken(t *testing.T) {
	q, f, _ := newTestQueue(t, Config{ChatterPerMinute: 1, UrgentPerMinute: 1})
	for i := 0; i < 5; i++ {
		q.SayKind(KindAnswer, "Nothing selected")
		if u := recv(t, f.started, "answer"); u.Text != "Nothing selected" || u.Priority != Important {
			t.Fatalf("answer %d: %+v", i, u)
		}
		f.release <- struct{}{}
		waitIdle(q)
	}
	if s := q.Stats(); s.Coalesced != 0 || s.RateLimited != 0 || s.Spoken != 5 {
		t.Errorf("stats %+v", s)
	}
}

// Ten volume presses while the first is being said: the older ones are
// replaced, playing or queued, and only the newest is heard to its end.
func TestVolumeReplacesOlder(t *testing.T) {
	q, f, _ := newTestQueue(t, Config{})
	q.SayKind(KindVolume, "Volume 10 percent")
	recv(t, f.started, "first volume")
	for v := 20; v <= 100; v += 10 {
		q.SayKind(KindVolume, fmt.Sprintf("Volume %d percent", v))
	}
	for {
		u := recv(t, f.started, "volume")
		if u.Text == "Volume 100 percent" {
			break
		}
	}
	f.release <- struct{}{}
	waitIdle(q)
	if s := q.Stats(); s.Replaced != 9 {
		t.Errorf("Replaced = %d, want 9 (%+v)", s.Replaced, s)
	}
	if q.Last() != "Volume 100 percent" {
		t.Errorf("Last = %q", q.Last())
	}
}

// A key press cuts Packter's progress speech and a selection short; a
// network message is interrupted and said again after the answer.
func TestKeyPressCutsAndResumes(t *testing.T) {
	q, f, _ := newTestQueue(t, Config{})
	q.SayKind(KindProgress, "Newest packet")
	recv(t, f.started, "progress")
	q.SayKind(KindStatus, "Live, 12 packets")
	if u := recv(t, f.stopped, "progress cut"); u.Text != "Newest packet" {
		t.Fatalf("cut %q", u.Text)
	}
	if u := recv(t, f.started, "status"); u.Text != "Live, 12 packets" {
		t.Fatalf("started %q", u.Text)
	}
	f.release <- struct{}{}
	waitIdle(q)

	q.SayKind(KindMessage, "Backup finished on host seven")
	recv(t, f.started, "message")
	q.SayKind(KindSelection, "TCP SYN from 10.0.0.1")
	recv(t, f.stopped, "message interrupted")
	recv(t, f.started, "selection")
	q.SayKind(KindSelection, "UDP from 10.0.0.2") // replaces the playing selection
	if u := recv(t, f.stopped, "old selection"); !strings.HasPrefix(u.Text, "TCP SYN") {
		t.Fatalf("stopped %q", u.Text)
	}
	if u := recv(t, f.started, "new selection"); !strings.HasPrefix(u.Text, "UDP from") {
		t.Fatalf("started %q", u.Text)
	}
	q.KeyPress() // a key with no spoken answer still cuts the selection
	recv(t, f.stopped, "selection cut by key")
	if u := recv(t, f.started, "resumed message"); u.Text != "Backup finished on host seven" {
		t.Fatalf("resumed %q", u.Text)
	}
	f.release <- struct{}{}
	waitIdle(q)
	none(t, f.started, "anything more")
	if s := q.Stats(); s.Resumed != 1 || s.Replaced != 3 {
		t.Errorf("stats %+v, want 1 resumed, 3 replaced", s)
	}
}

// Help is said whole, part by part, and any key press cuts the rest.
func TestHelpInParts(t *testing.T) {
	q, f, _ := newTestQueue(t, Config{MaxChars: 60})
	parts := []string{"T trace, s stop, r repeat, q quit.", "up, k: select the next newer packet.", "m: mute or unmute all sound."}
	q.SayParts(KindHelp, parts...)
	for _, p := range parts {
		if u := recv(t, f.started, "help part"); u.Text != p {
			t.Fatalf("help part %q, want %q", u.Text, p)
		}
		f.release <- struct{}{}
	}
	waitIdle(q)
	if q.Last() != strings.Join(parts, " ") {
		t.Errorf("Last = %q", q.Last())
	}
	q.SayParts(KindHelp, parts...)
	recv(t, f.started, "help again")
	q.SayKind(KindAnswer, "Paused")
	recv(t, f.stopped, "help cut")
	if u := recv(t, f.started, "answer"); u.Text != "Paused" {
		t.Fatalf("after the key, %q", u.Text)
	}
	f.release <- struct{}{}
	waitIdle(q)
	none(t, f.started, "rest of the help")
}

// An alert interrupts help; the help goes on from the part that was cut.
func TestAlertResumesHelpWhereCut(t *testing.T) {
	q, f, _ := newTestQueue(t, Config{})
	q.SayParts(KindHelp, "one", "two", "three")
	recv(t, f.started, "one")
	f.release <- struct{}{}
	recv(t, f.started, "two")
	q.SayKind(KindAlert, "SYN flood toward 10.1.2.3")
	recv(t, f.stopped, "two cut")
	recv(t, f.started, "alert")
	f.release <- struct{}{}
	for _, want := range []string{"two", "three"} {
		if u := recv(t, f.started, "rest"); u.Text != want {
			t.Fatalf("resumed with %q, want %q", u.Text, want)
		}
		f.release <- struct{}{}
	}
}

// Packter's own long answers are split into parts, not cut: the last words
// are heard. Network text is still cut to MaxChars.
func TestLongAnswerSaidWhole(t *testing.T) {
	q, f, _ := newTestQueue(t, Config{MaxChars: 50})
	long := strings.Repeat("counts and mode and filter, ", 10) + "quit with q"
	q.SayKind(KindStatus, long)
	var got []string
	for {
		u := recv(t, f.started, "part")
		if n := utf8.RuneCountInString(u.Text); n > 50 {
			t.Fatalf("part of %d runes", n)
		}
		got = append(got, u.Text)
		f.release <- struct{}{}
		if strings.HasSuffix(u.Text, "quit with q") {
			break
		}
	}
	if strings.Join(strings.Fields(strings.Join(got, " ")), " ") != strings.Join(strings.Fields(long), " ") {
		t.Errorf("parts %q do not make up the text", got)
	}
	waitIdle(q)
	q.SayKind(KindMessage, long)
	if u := recv(t, f.started, "message"); strings.Contains(u.Text, "quit") || utf8.RuneCountInString(u.Text) > 50 {
		t.Errorf("network text not cut: %q", u.Text)
	}
	f.release <- struct{}{}
}

// Alerts are deduplicated only against the identical alert.
func TestAlertDedupeOnlyIdentical(t *testing.T) {
	q, f, c := newTestQueue(t, Config{})
	for _, text := range []string{"SYN flood toward 10.1.2.3", "SYN flood toward 10.1.2.4", "SYN flood toward 10.1.2.3"} {
		q.SayKind(KindAlert, text)
		c.add(time.Second)
	}
	for _, want := range []string{"ten dot one dot two dot three", "ten dot one dot two dot four"} {
		if u := recv(t, f.started, "alert"); !strings.HasSuffix(u.Text, want) {
			t.Fatalf("alert %q, want …%s", u.Text, want)
		}
		f.release <- struct{}{}
	}
	waitIdle(q)
	if s := q.Stats(); s.Coalesced != 1 {
		t.Errorf("Coalesced = %d, want 1", s.Coalesced)
	}
}

// Trace results are never deduplicated, even through SayKeyed with the key
// the monitor builds (the words before the first comma, the same for every
// trace from one origin AS).
func TestTraceResultsNeverDeduped(t *testing.T) {
	q, f, _ := newTestQueue(t, Config{})
	for _, text := range []string{
		"Launched IP traceback process",
		"Traceback succeeded: the packet came from AS 64540, through AS 64510",
		"Launched IP traceback process",
		"Traceback succeeded: the packet came from AS 64540, through AS 64520",
	} {
		key, _, _ := strings.Cut(text, ",")
		q.SayKeyed(key, text, "", Alert)
		u := recv(t, f.started, "result")
		if u.Text != Speakable(text) || u.Priority != Important {
			t.Fatalf("said %+v for %q", u, text)
		}
		f.release <- struct{}{}
		waitIdle(q)
	}
}

func TestClassifyVoice(t *testing.T) {
	for _, tc := range []struct {
		text string
		want Kind
	}{
		{"Launched IP traceback process", KindResult},
		{"Traceback failed", KindResult},
		{"SYN flood toward 10.1.2.3, 12000 packets per second", KindAlert},
		{"Incident: ET SCAN from 10.0.0.5", KindAlert},
		{"Good morning", KindMessage},
	} {
		if got := ClassifyVoice(tc.text); got != tc.want {
			t.Errorf("ClassifyVoice(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}

// The speech volume reaches the backend with every utterance.
func TestSpeechVolume(t *testing.T) {
	q, f, _ := newTestQueue(t, Config{})
	if q.Volume() != 1 {
		t.Fatalf("default volume %v", q.Volume())
	}
	q.SetVolume(0.25)
	q.SayKind(KindAnswer, "Speech volume 25 percent")
	if u := recv(t, f.started, "answer"); u.gain() != 0.25 {
		t.Errorf("gain %v, want 0.25", u.gain())
	}
	f.release <- struct{}{}
	q.SetVolume(7)
	if q.Volume() != 1 {
		t.Errorf("volume not clamped: %v", q.Volume())
	}
}
