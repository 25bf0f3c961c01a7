package console

import "github.com/charmbracelet/bubbles/key"

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
	Mute        key.Binding
	MuteClass   key.Binding
	Solo        key.Binding
	Theme       key.Binding
	Rewind      key.Binding
	Forward     key.Binding
	Live        key.Binding
	Status      key.Binding
	Repeat      key.Binding
	StopTalking key.Binding
	Help        key.Binding
	Quit        key.Binding
}

// DefaultKeyMap returns the console's keys.
func DefaultKeyMap() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Up:          b("up, k", "select the next newer item", "up", "k"),
		Down:        b("down, j", "select the next older item", "down", "j"),
		Pick:        b("1 to 9", "select the most recent items, 1 is the newest", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
		Say:         b("enter", "say the selected item in full", "enter"),
		Pause:       b("space, p", "pause or resume the list; capture continues", " ", "p"),
		Search:      b("/", "search: select the next older match", "/"),
		NextMatch:   b("n", "next older search match", "n"),
		PrevMatch:   b("N", "next newer search match", "N"),
		Filter:      b("f", "filter by protocol, flag or address, for example: tcp syn, flag:3, 10.0.0.0/8, port:80", "f"),
		Trace:       b("T", "trace the selected packet back to its source", "T", "t"),
		VolumeUp:    b("+", "volume up", "+", "="),
		VolumeDown:  b("-", "volume down", "-", "_"),
		Mute:        b("m", "mute or unmute all sound", "m"),
		MuteClass:   b("M", "mute or unmute the selected packet's flag class", "M"),
		Solo:        b("o", "solo the selected packet's flag class, again to clear", "o"),
		Theme:       b("c", "change the sound theme", "c"),
		Rewind:      b("left, <", "rewind the timeline by 10 seconds", "left", "<", ","),
		Forward:     b("right, >", "forward the timeline by 10 seconds", "right", ">", "."),
		Live:        b("L, end", "jump back to live", "L", "end", "home"),
		Status:      b("i", "say counts and sound status", "i"),
		Repeat:      b("r", "repeat the last announcement", "r"),
		StopTalking: b("s, esc", "stop talking", "s", "esc"),
		Help:        b("?", "help: list the keys", "?", "h"),
		Quit:        b("q", "quit", "q", "ctrl+c"),
	}
}

// Bindings lists the keys in help order.
func (k KeyMap) Bindings() []key.Binding {
	return []key.Binding{
		k.Up, k.Down, k.Pick, k.Say, k.Pause, k.Search, k.NextMatch, k.PrevMatch,
		k.Filter, k.Trace, k.VolumeUp, k.VolumeDown, k.Mute, k.MuteClass, k.Solo,
		k.Theme, k.Rewind, k.Forward, k.Live, k.Status, k.Repeat, k.StopTalking,
		k.Help, k.Quit,
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
