package console

import (
	"testing"

	"github.com/packter/packter/console/consoletest"
	"github.com/packter/packter/speech"
)

// kindSpeech records SayKind and SayParts as the speech queue offers them.
type kindSpeech struct {
	consoletest.Speech
	kinds []speech.Kind
	parts [][]string
}

func (k *kindSpeech) SayKind(kind speech.Kind, text string) {
	k.kinds = append(k.kinds, kind)
	k.Say(text, kind.Priority())
}
func (k *kindSpeech) SayParts(kind speech.Kind, parts ...string) {
	k.kinds = append(k.kinds, kind)
	k.parts = append(k.parts, parts)
}

// TestEverySelectionSaid: with a queue that knows kinds, each of six moves is
// said as a selection (the queue replaces the older with the newer), and
// help goes as parts, essentials first.
func TestEverySelectionSaid(t *testing.T) {
	r := newRig(t, 20, false)
	ks := &kindSpeech{}
	r.c.say.speech = ks
	r.press("j", "j", "j", "j", "j", "j")
	said := ks.Said()
	if len(said) != 6 || said[5].Text != "ICMP from 10.0.0.15 type 8 to 127.0.0.1 code 0, sample 14; number 6, 6 seconds ago" {
		t.Fatalf("said %+v", said)
	}
	for _, k := range ks.kinds {
		if k != speech.KindSelection {
			t.Errorf("a move said as %v", k)
		}
	}
	r.press("?")
	if len(ks.parts) != 1 || ks.parts[0][0] != "Keys: T trace, s stop, r repeat, q quit" {
		t.Errorf("help parts %q", ks.parts)
	}
}
