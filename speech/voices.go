package speech

import "github.com/packter/packter/event"

// Voices is the monitor output that speaks what agents ask to be said
// (PACKTERVOICE): flood and incident alerts interrupt chatter, trace results
// are never dropped as repeats, other messages queue (ClassifyVoice decides).
type Voices struct{ Q *Queue }

// Event speaks voice events and ignores the rest.
func (v Voices) Event(ev *event.Event) {
	if ev.Kind != event.KindVoice || v.Q == nil {
		return
	}
	v.Q.SayKind(ClassifyVoice(ev.Text), ev.Text)
}
