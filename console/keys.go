package console

import (
	"strings"

	"charm.land/bubbles/v2/key"
)

// keyPress is one key as the console sees it, apart from the terminal
// library: name is the key's name as bindings list it ("j", "N", "enter",
// "up", "space", "ctrl+c"), text what it types into a prompt.
type keyPress struct {
	name string
	text string
}

func (k keyPress) String() string { return k.name }

// isEnter: a terminal sends CR for Enter, a pipe LF (which reads as ctrl+j).
func (k keyPress) isEnter() bool { return k.name == "enter" || k.name == "ctrl+j" }

// KeyMap is every key the console answers to. One table drives the key
// handling of both modes, the help screen and the spoken help, so they cannot
// disagree.
type KeyMap struct {
	Up, Down    key.Binding // selection: newer / older
	Pick        key.Binding // 1..9: the Nth most recent item
	Say         key.Binding // say the selected item in full
	Pause       key.Binding
	Search      key.Binding
	NextMatch   key.Binding
	PrevMatch   key.Binding
	Filter      key.Binding
	Trace       key.Binding
	VolumeUp    key.Binding
	VolumeDown  key.Binding
	SpeechUp    key.Binding
	SpeechDown  key.Binding
	Mute        key.Binding
	MuteClass   key.Binding
	Solo        key.Binding
	Theme       key.Binding
	Rewind      key.Binding
	Forward     key.Binding
	Live        key.Binding
	GoTo        key.Binding // a time typed; before the timeline, from the stream
	Status      key.Binding
	Repeat      key.Binding
	StopTalking key.Binding
	Help        key.Binding
	Quit        key.Binding
	History     key.Binding // list the messages received
	Verbosity   key.Binding // alerts, summary, packets
	Suspend     key.Binding // ctrl+z: back to the shell; fg resumes
}

// DefaultKeyMap returns the console's keys. Descriptions are short so that
// the help fits two columns of an 80×24 terminal.
func DefaultKeyMap() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Trace:       b("T", "trace the selected packet", "T", "t"),
		StopTalking: b("s, esc", "stop talking", "s", "esc"),
		Repeat:      b("r", "repeat the last announcement", "r"),
		Quit:        b("q", "quit", "q", "ctrl+c"),
		Help:        b("?", "help: list the keys", "?"),
		Up:          b("up, k", "select a newer packet", "up", "k"),
		Down:        b("down, j", "select an older packet", "down", "j"),
		Pick:        b("1 to 9", "select the Nth newest", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
		Say:         b("enter", "say the selection in full", "enter"),
		Status:      b("i", "say counts, position, sound", "i"),
		History:     b("h", "list the messages received", "h"),
		Verbosity:   b("v", "verbosity: alerts, summary, packets", "v"),
		Pause:       b("space, p", "pause or resume the list", "space", "p"),
		Live:        b("L, end", "back to live", "L", "end", "home"),
		Rewind:      b("left, <", "rewind 10 seconds", "left", "<", ","),
		Forward:     b("right, >", "forward 10 seconds", "right", ">", "."),
		GoTo:        b("g", "go to a time: 14:05 or 10m back", "g"),
		Search:      b("/", "search, then n and N", "/"),
		NextMatch:   b("n", "next older match", "n"),
		PrevMatch:   b("N", "next newer match", "N"),
		Filter:      b("f", "filter: tcp syn, port:80, 10.0.0.0/8", "f"),
		VolumeUp:    b("+", "volume up", "+", "="),
		VolumeDown:  b("-", "volume down", "-", "_"),
		SpeechUp:    b("]", "speech louder", "]"),
		SpeechDown:  b("[", "speech quieter", "["),
		Mute:        b("m", "mute traffic sound (not speech)", "m"),
		MuteClass:   b("M", "mute the selection's class", "M"),
		Solo:        b("o", "solo the selection's class", "o"),
		Theme:       b("c", "change the sound theme", "c"),
		Suspend:     b("ctrl+z", "suspend; fg resumes", "ctrl+z"),
	}
}

// Bindings lists the keys in help order, essentials first: a listener who
// stops the help early has heard how to trace, stop, repeat and quit.
func (k KeyMap) Bindings() []key.Binding {
	return []key.Binding{
		k.Trace, k.StopTalking, k.Repeat, k.Quit, k.Help,
		k.Up, k.Down, k.Pick, k.Say, k.Status, k.History, k.Verbosity,
		k.Pause, k.Live, k.Rewind, k.Forward, k.GoTo,
		k.Search, k.NextMatch, k.PrevMatch, k.Filter,
		k.VolumeUp, k.VolumeDown, k.SpeechUp, k.SpeechDown, k.Mute, k.MuteClass, k.Solo, k.Theme, k.Suspend,
	}
}

// HelpLines is the help screen and the spoken help: one "key: what it does"
// line per binding.
func (k KeyMap) HelpLines() []string {
	bs := k.Bindings()
	lines := make([]string, 0, len(bs))
	for _, b := range bs {
		h := b.Help()
		lines = append(lines, h.Key+": "+h.Desc)
	}
	return lines
}

// maxUtterance keeps each spoken piece of help well under the speech queue's
// cut (400 characters), so the help is heard whole.
const maxUtterance = 300

// SpokenHelp is the help as short utterances, essentials first:
// "Keys: T trace, s stop, r repeat, q quit", then the rest in groups.
func (k KeyMap) SpokenHelp() []string {
	out := []string{"Keys: T trace, s stop, r repeat, q quit"}
	var b strings.Builder
	for _, l := range k.HelpLines()[5:] {
		if b.Len() > 0 && b.Len()+len(l)+2 > maxUtterance {
			out = append(out, b.String())
			b.Reset()
		}
		if b.Len() > 0 {
			b.WriteString(". ")
		}
		b.WriteString(l)
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}
