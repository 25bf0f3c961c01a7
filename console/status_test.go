package console

import (
	"strings"
	"testing"

	"github.com/packter/packter/event"
)

// Another input's status (which NATS sites are heard) is in `i` and on screen.
func TestExtraStatus(t *testing.T) {
	r := newRig(t, 3, false)
	r.c.extra = func() string { return "sites: tokyo (2 s ago), osaka (now)" }
	notes, _ := r.press("i")
	if got := lastOf(notes, noteAnnounce); !strings.HasSuffix(got, ". sites: tokyo (2 s ago), osaka (now)") {
		t.Errorf("status %q", got)
	}
}

// A trace launched elsewhere (the board's T) is answered here too: its
// verdict becomes the one outcome line, said once.
func TestTraceLaunchedElsewhere(t *testing.T) {
	r := newRig(t, 3, false)
	at := r.clock
	r.tl.Append(&event.Event{Time: at, Kind: event.KindMessage, Text: event.CleanText("Traceback trial succeeded<br>Depth 0: found AS:64500", event.MaxText)})
	r.tl.Append(&event.Event{Time: at, Kind: event.KindVoice, Text: event.CleanText("Traceback succeeded: the packet came from AS 64540, through AS 64510", event.MaxText)})
	r.c.refresh()
	outcome := textsOf(r.c.takeNotes(), noteAnnounce)
	want := "Trace succeeded: the packet came from AS 64540, through AS 64510"
	if len(outcome) != 1 || outcome[0] != want {
		t.Fatalf("announced %q, want %q", outcome, want)
	}
	said := r.speech.Said()
	if len(said) == 0 || said[len(said)-1].Text != want {
		t.Errorf("not said: %+v", said)
	}
}
