package speech

import (
	"testing"

	"github.com/packter/packter/event"
)

func TestVoicesOutput(t *testing.T) {
	q, f, _ := newTestQueue(t, Config{})
	v := Voices{Q: q, SkipResults: true}
	v.Event(&event.Event{Kind: event.KindMessage, Text: "not a voice"})
	v.Event(&event.Event{Kind: event.KindVoice, Text: "Traceback succeeded: the packet came from AS 64540"})
	v.Event(&event.Event{Kind: event.KindVoice, Text: "SYN flood toward 192.0.2.7"})
	if u := recv(t, f.started, "the alert"); u.Text != "SYN flood toward one ninety-two dot zero dot two dot seven" || u.Priority != Alert {
		t.Fatalf("first said %+v, want the flood alert (the trace result is the console's)", u)
	}
	f.release <- struct{}{}
	none(t, f.started, "utterance")
	v.SkipResults = false
	v.Event(&event.Event{Kind: event.KindVoice, Text: "Traceback succeeded: the packet came from AS 64540"})
	if u := recv(t, f.started, "the result"); u.Text != "Traceback succeeded: the packet came from A S 64540" {
		t.Fatalf("said %q", u.Text)
	}
}
