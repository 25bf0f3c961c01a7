package speech

import "github.com/packter/packter/event"

// Voices is the monitor output that speaks what agents ask to be said
// (PACKTERVOICE): flood and incident alerts interrupt chatter, other
// messages queue (ClassifyVoice decides).
type Voices struct {
	Q *Queue
	// SkipResults leaves traceback progress and outcomes to the console,
	// which says one line per trace (naming the packet) in their place.
	SkipResults bool
}

// Event speaks voice events and ignores the rest.
func (v Voices) Event(ev *event.Event) {
	if ev.Kind != event.KindVoice || v.Q == nil {
		return
	}
	k := ClassifyVoice(ev.Text.String())
	if k == KindResult && v.SkipResults {
		return
	}
	v.Q.SayKind(k, ev.Text.String())
}
