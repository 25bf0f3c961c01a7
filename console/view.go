package console

import (
	"fmt"
	"image/color"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/packter/packter/event"
	"github.com/packter/packter/protocol"
)

// styles are the full-screen mode's; with plain set they add nothing, so
// that NO_COLOR output holds no escape codes at all. The flag name is always
// written too: colour never carries meaning alone.
type styles struct {
	plain                                  bool
	title, dim, sel, alert, header, prompt lipgloss.Style
	class                                  [10]lipgloss.Style
}

func newStyles(plain bool) styles {
	s := styles{
		plain:  plain,
		title:  lipgloss.NewStyle().Bold(true),
		dim:    lipgloss.NewStyle().Faint(true),
		sel:    lipgloss.NewStyle().Reverse(true),
		alert:  lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#FF0000")),
		header: lipgloss.NewStyle().Underline(true),
		prompt: lipgloss.NewStyle().Bold(true),
	}
	for i, c := range protocol.ClassColors {
		s.class[i] = lipgloss.NewStyle().Foreground(color.RGBA{c.R, c.G, c.B, 0xff})
	}
	return s
}

func (s *styles) render(st lipgloss.Style, text string) string {
	if s.plain {
		return text
	}
	return st.Render(text)
}

// fixed lines around the list: title, counts, sound, header, selected, trace,
// messages title, status.
const fixedLines = 8

// listTop is the screen row of the list's first packet.
const listTop = 4

func (m *model) msgLines() int {
	switch {
	case m.height >= 30:
		return 5
	case m.height >= 20:
		return 3
	}
	return 1
}

func (m *model) resize() {
	m.c.list.rows = max(1, m.height-fixedLines-m.msgLines())
}

func (m *model) View() tea.View {
	if m.lines != nil {
		return tea.View{} // accessible mode prints lines instead
	}
	c := m.c
	var lines []string
	add := func(s string) { lines = append(lines, ansi.Truncate(s, m.width, "…")) }

	mode := "LIVE"
	if !c.list.pos.Live {
		pt := positionText(c.list.pos) // "paused at …": the state word in capitals
		verb, rest, _ := strings.Cut(pt, " ")
		mode = strings.ToUpper(verb) + " " + rest
	}
	title := fmt.Sprintf("Packter console │ %s │ %d events", mode, c.list.next)
	if !c.find.filter.Empty() {
		title += " │ filter: " + c.find.filter.String()
	}
	if !c.find.search.Empty() {
		title += " │ search: " + c.find.search.String()
	}
	add(m.st.render(m.st.title, title) + m.st.render(m.st.dim, " │ ? help  q quit"))
	add(m.countsLine())
	status := "Sound: " + c.sound.text() + " │ verbosity " + string(c.verbosity)
	if c.extra != nil {
		if x := c.extra(); x != "" {
			status += " │ " + x
		}
	}
	add(status)
	body := m.height - listTop - 1
	cursorY := len(lines) + body // the status line, unless a row is selected
	switch {
	case c.showHelp:
		m.helpLines(add, body)
	case c.showHistory:
		m.historyLines(add, body)
	default:
		if i := c.list.index(); i >= 0 {
			cursorY = listTop + i
		}
		m.listLines(add)
		m.footLines(add)
	}
	cursorX := 0
	switch c.find.prompt {
	case promptSearch, promptFilter, promptGoTo:
		label := c.find.prompt.label()
		add(m.st.render(m.st.prompt, label) + string(c.find.input))
		cursorY, cursorX = len(lines)-1, ansi.StringWidth(label+string(c.find.input))
	default:
		add("» " + m.status)
	}
	v := tea.NewView(strings.Join(lines, "\n"))
	v.AltScreen = true
	// The cursor sits on the selected row, so a screen reader's review
	// follows the selection.
	v.Cursor = tea.NewCursor(min(cursorX, m.width-1), min(cursorY, len(lines)-1))
	return v
}

// helpLines shows the keys in two columns, so that all fit 80×24.
func (m *model) helpLines(add func(string), n int) {
	add(m.st.render(m.st.header, "Keys (? or esc closes)"))
	help := m.c.keys.HelpLines()
	n--
	colW := m.width / 2
	perCol := (len(help) + 1) / 2
	if colW < 30 {
		colW, perCol = m.width, len(help) // too narrow for two: one column
	}
	for i := 0; i < n; i++ {
		if i >= perCol {
			add("")
			continue
		}
		left := help[i]
		if colW == m.width || i+perCol >= len(help) {
			add(" " + left)
			continue
		}
		left = ansi.Truncate(left, colW-2, "…")
		add(fmt.Sprintf(" %-*s %s", colW-2, left, help[i+perCol]))
	}
}

// historyLines shows the newest messages received that fit.
func (m *model) historyLines(add func(string), n int) {
	add(m.st.render(m.st.header, fmt.Sprintf("Messages received: %d (h or esc closes)", len(m.c.msgs.items))))
	items := m.c.msgs.recent(n - 1)
	for i := 0; i < n-1; i++ {
		if i < len(items) {
			add(historyLine(&items[len(items)-1-i].ev))
		} else {
			add("")
		}
	}
}

func (m *model) footLines(add func(string)) {
	c := m.c
	if c.list.hasSel {
		ev := &c.list.sel.ev
		add("Selected: " + Describe(ev) + " (at " + ev.Time.Format("15:04:05") + ", " + coarseAge(c.now().Sub(ev.Time)) + " ago)")
	} else {
		add("Selected: nothing (arrows, j/k or 1 to 9 select)")
	}
	tr := c.trace.status
	if tr == "" {
		tr = "none (T traces the selected packet)"
	}
	add("Trace: " + tr)
	add(m.st.render(m.st.header, "Messages (h lists them all)"))
	k := m.msgLines()
	msgs := c.msgs.recent(k)
	for i := 0; i < k; i++ {
		if i >= len(msgs) {
			add("")
			continue
		}
		line := historyLine(&msgs[i].ev)
		if msgs[i].ev.Kind == event.KindAlert {
			line = m.st.render(m.st.alert, line)
		}
		add(line)
	}
}

func (m *model) countsLine() string {
	k := &m.c.list.counts
	var b strings.Builder
	for i := 0; i < 10; i++ {
		if i == 5 {
			b.WriteString("│ ")
		}
		b.WriteString(m.st.render(m.st.class[i], protocol.ShortClassNames[i]))
		fmt.Fprintf(&b, " %d  ", k.Class[i])
	}
	fmt.Fprintf(&b, "│ flood %d  incident %d", k.Flood, k.Incident)
	return b.String()
}

// listLines draws the packets with their arrival time, which (unlike an
// age) stays still, so an idle or paused screen is not redrawn.
func (m *model) listLines(add func(string)) {
	c := m.c
	const flagW, endW = 12, 24
	add(m.st.render(m.st.header, fmt.Sprintf("  %-2s %-8s %-*s %-*s %-*s %s", "#", "TIME", flagW, "FLAG", endW, "FROM", endW, "TO", "DESCRIPTION")))
	for i := 0; i < c.list.rows; i++ {
		if i >= len(c.list.items) {
			switch {
			case i == 0 && c.list.full:
				add("  (no match in the last events examined)")
			case i == 0 && c.find.filter.Empty():
				add("  (no packets yet)")
			case i == 0:
				add("  (no packets match the filter)")
			default:
				add("")
			}
			continue
		}
		it := &c.list.items[i]
		ev := &it.ev
		mark := "  "
		selected := c.list.hasSel && it.seq == c.list.sel.seq
		if selected {
			mark = "> "
		}
		num := "  "
		if i < 9 {
			num = fmt.Sprintf("%-2d", i+1)
		}
		flag := fmt.Sprintf("%-*s", flagW, ansi.Truncate(shortFlagName(ev), flagW, "…"))
		from := fmt.Sprintf("%-*s", endW, ansi.Truncate(endText(ev, true), endW, "…"))
		to := fmt.Sprintf("%-*s", endW, ansi.Truncate(endText(ev, false), endW, "…"))
		desc := oneLine(ev.Desc.String())
		if _, host, ok := ev.Traceable(); ok {
			desc = "traceable via " + host
		} else if ev.Kind == event.KindEarth {
			desc = Describe(ev)
		}
		if cl := ev.Class(); cl >= 0 && cl < 10 && !selected {
			flag = m.st.render(m.st.class[cl], flag)
		}
		line := fmt.Sprintf("%s%s %-8s %s %s %s %s", mark, num, ev.Time.Format("15:04:05"), flag, from, to, desc)
		if selected {
			line = m.st.render(m.st.sel, ansi.Truncate(line, m.width, "…"))
		}
		add(line)
	}
}

// endText is one end of a packet for the list: "10.0.0.1:80", "[2001:db8::1]:80",
// ICMP "10.0.0.1 type 8".
func endText(ev *event.Event, src bool) string {
	a, p := ev.Src, ev.SPort
	if !src {
		a, p = ev.Dst, ev.DPort
	}
	s := a.String()
	if p.IsNorm {
		return s + " " + fmtFloat(p.Norm)
	}
	if isICMP(ev) {
		if src {
			return fmt.Sprintf("%s type %d", s, p.Value/256)
		}
		return fmt.Sprintf("%s code %d", s, p.Value/256)
	}
	if a.IsIP() && a.IP.Is6() {
		return fmt.Sprintf("[%s]:%d", s, p.Value)
	}
	return fmt.Sprintf("%s:%d", s, p.Value)
}
