package console

import "net/netip"

type promptKind uint8

const (
	promptNone promptKind = iota
	promptSearch
	promptFilter
	promptGoTo
)

// finder is the search and filter concern: the active filter, the search
// terms, and the prompt they are typed into.
type finder struct {
	filter Filter
	search Filter
	prompt promptKind
	input  []rune
}

func (f *finder) open(p promptKind) string {
	f.prompt = p
	f.input = f.input[:0]
	return p.label()
}

func (p promptKind) label() string {
	switch p {
	case promptSearch:
		return "Search: "
	case promptGoTo:
		return "Go to (14:05, 14:05:30 or 10m back): "
	}
	return "Filter: "
}

// key edits the prompt's text; it reports the prompt submitted (with its
// text) or cancelled.
func (f *finder) key(k keyPress) (submitted promptKind, text string, cancelled bool) {
	switch {
	case k.isEnter():
		p := f.prompt
		f.prompt = promptNone
		return p, string(f.input), false
	case k.name == "esc" || k.name == "ctrl+c":
		f.prompt = promptNone
		return promptNone, "", true
	case k.name == "backspace" || k.name == "delete":
		if len(f.input) > 0 {
			f.input = f.input[:len(f.input)-1]
		}
	case k.text != "":
		if len(f.input) < 200 {
			f.input = append(f.input, []rune(k.text)...)
		}
	}
	return promptNone, "", false
}

// both is the search narrowed by the active filter: a match must pass both.
func (f *finder) both() Filter {
	a, b := f.search, f.filter
	both := a
	cl := a.classes
	if b.classes != 0 {
		if cl == 0 {
			cl = b.classes
		} else if cl &= b.classes; cl == 0 {
			cl = 1 << 15 // no class can match
		}
	}
	both.classes = cl
	both.words = append(append([]string(nil), a.words...), b.words...)
	both.prefixes = append(append([]netip.Prefix(nil), a.prefixes...), b.prefixes...)
	both.ports = append(append([]uint32(nil), a.ports...), b.ports...)
	both.flood = a.flood || b.flood
	both.incident = a.incident || b.incident
	both.traceable = a.traceable || b.traceable
	return both
}
