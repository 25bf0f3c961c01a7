package console

import (
	"github.com/packter/packter/speech"
)

type noteKind uint8

const (
	noteAnnounce noteKind = iota // the console's own announcement
	noteSelect                   // the selection changed
	noteEvent                    // accessible mode: one incoming packet
	noteSummary                  // a summary of what had no line of its own
	noteMessage                  // a message, alert or trace outcome received
	noteHelp                     // one help line
	notePrompt                   // a prompt opened
	noteHistory                  // one line of the message history
)

// note is one line of output for the modes to show.
type note struct {
	kind noteKind
	text string
	bell bool
}

// kindSpeaker is a speaker that knows what an utterance is (*speech.Queue):
// a newer selection, volume or status replaces an older one, queued or
// playing, and help is said whole in parts. Speakers without it get Say at
// the kind's priority.
type kindSpeaker interface {
	SayKind(k speech.Kind, text string)
	SayParts(k speech.Kind, parts ...string)
}

// sayKind says text as kind k.
func (a *announcer) sayKind(k speech.Kind, text string) {
	if ks, ok := a.speech.(kindSpeaker); ok {
		ks.SayKind(k, text)
		return
	}
	a.speech.Say(text, k.Priority())
}

// showKind shows and says an announcement of kind k.
func (a *announcer) showKind(k speech.Kind, text string) {
	a.last = text
	a.notes = append(a.notes, note{kind: noteAnnounce, text: text})
	if a.speaks() {
		a.sayKind(k, text)
	}
}

// announcer is the announcements concern: every line the console shows goes
// through it as a note, and it decides what Packter also says. In accessible
// mode the screen reader reads the printed lines, so by default Packter
// does not say them again (speakPrinted has it do both).
type announcer struct {
	speech       Speaker
	accessible   bool
	speakPrinted bool
	last         string // what r repeats: shown and said alike
	notes        []note
}

func (a *announcer) speaks() bool {
	return a.speech != nil && (!a.accessible || a.speakPrinted)
}

func (a *announcer) show(k noteKind, text string) {
	a.notes = append(a.notes, note{kind: k, text: text})
}

// say shows and says one of the console's own announcements.
func (a *announcer) say(text string, p speech.Priority) {
	a.sayBell(text, p, p >= speech.Alert)
}

// sayBell is say with the bell chosen apart from the priority.
func (a *announcer) sayBell(text string, p speech.Priority, bell bool) {
	a.last = text
	a.notes = append(a.notes, note{kind: noteAnnounce, text: text, bell: bell})
	if a.speaks() {
		a.speech.Say(text, p)
	}
}

// message shows a line received from the network; the monitor speaks
// messages itself, so the console only prints them.
func (a *announcer) message(text string, bell bool) {
	a.notes = append(a.notes, note{kind: noteMessage, text: text, bell: bell})
}

// summary shows a summary; in full-screen mode it is also said, at Progress
// so that it never holds up anything else.
func (a *announcer) summary(text string) {
	a.notes = append(a.notes, note{kind: noteSummary, text: text})
	if a.speaks() {
		a.speech.Say(text, speech.Progress)
	}
}

// selection shows the selection and says it: every move is said, the newer
// replacing the older, so the packet landed on is the one heard.
func (a *announcer) selection(text string) {
	a.last = text
	a.notes = append(a.notes, note{kind: noteSelect, text: text})
	if !a.speaks() {
		return
	}
	if _, ok := a.speech.(kindSpeaker); ok {
		a.sayKind(speech.KindSelection, text)
		return
	}
	a.speech.Say(text, speech.Message) // queued, not dropped like Progress
}

// help shows every help line and says the help whole, in short pieces.
func (a *announcer) help(lines, spoken []string) {
	for _, l := range lines {
		a.show(noteHelp, l)
	}
	a.last = spoken[0]
	if !a.speaks() {
		return
	}
	if ks, ok := a.speech.(kindSpeaker); ok {
		ks.SayParts(speech.KindHelp, spoken...)
		return
	}
	for _, s := range spoken {
		a.speech.Say(s, speech.Important)
	}
}

// repeat shows and says again the last announcement: the same words both ways.
func (a *announcer) repeat() {
	if a.last == "" {
		a.show(noteAnnounce, "Nothing to repeat")
		return
	}
	a.notes = append(a.notes, note{kind: noteAnnounce, text: a.last})
	if a.speaks() {
		a.speech.Say(a.last, speech.Important)
	}
}

func (a *announcer) stop() {
	if a.speech != nil {
		a.speech.Stop()
	}
}

func (a *announcer) take() []note {
	n := a.notes
	a.notes = nil
	return n
}
