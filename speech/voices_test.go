package speech

import (
	"testing"
	"time"

	"github.com/packter/packter/event"
)

func TestVoicesOutput(t *testing.T) {
	q, f, _ := newTestQueue(t, Config{})
	v := Voices{Q: q, SkipResults: true}
	v.Event(&event.Event{Kind: event.KindMessage, Text: event.CleanText("not a voice", event.MaxText)})
	v.Event(&event.Event{Kind: event.KindVoice, Text: event.CleanText("Traceback succeeded: the packet came from AS 64540", event.MaxText)})
	v.Event(&event.Event{Kind: event.KindVoice, Text: event.CleanText("SYN flood toward 192.0.2.7", event.MaxText)})
	if u := recv(t, f.started, "the alert"); u.Text != "SYN flood toward one ninety-two dot zero dot two dot seven" || u.Priority != Alert {
		t.Fatalf("first said %+v, want the flood alert (the trace result is the console's)", u)
	}
	f.release <- struct{}{}
	none(t, f.started, "utterance")
	v.SkipResults = false
	v.Event(&event.Event{Kind: event.KindVoice, Text: event.CleanText("Traceback succeeded: the packet came from AS 64540", event.MaxText)})
	if u := recv(t, f.started, "the result"); u.Text != "Traceback succeeded: the packet came from A S 64540" {
		t.Fatalf("said %q", u.Text)
	}
}

type duckLog struct{ ds []time.Duration }

func (d *duckLog) DuckFor(x time.Duration) { d.ds = append(d.ds, x) }

// Speech that plays outside Packter (speech-dispatcher) ducks the rest of
// the sound for about as long as the words take to say.
func TestDuckForOutsideSpeech(t *testing.T) {
	var dl duckLog
	q, f, _ := newTestQueue(t, Config{Duck: &dl, Rate: 180})
	q.SayKind(KindAlert, "SYN flood toward the web server, many packets per second now")
	recv(t, f.started, "the alert")
	f.release <- struct{}{}
	q.Close()
	if len(dl.ds) != 1 {
		t.Fatalf("ducked %d times, want once", len(dl.ds))
	}
	// 11 words at 180 a minute: 3.7 s, plus the start.
	if d := dl.ds[0]; d < 3500*time.Millisecond || d > 4500*time.Millisecond {
		t.Errorf("ducked for %v", d)
	}
}
