package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/packter/packter/event"
)

// PACKTER's flag colours (the 2.5 viewer's textures), class 0..9. The flag
// name is always written too: colour never carries meaning alone.
var classColors = [10]string{
	"#FFA3B1", "#0000FF", "#FF0000", "#8000FF", "#008000",
	"#00FFFF", "#FFFF00", "#FFFFFF", "#00FF00", "#FF8040",
}

type styles struct {
	title, dim, sel, alert, header, prompt lipgloss.Style
	class                                  [10]lipgloss.Style
}

func newStyles(r *lipgloss.Renderer) styles {
	s := styles{
		title:  r.NewStyle().Bold(true),
		dim:    r.NewStyle().Faint(true),
		sel:    r.NewStyle().Reverse(true),
		alert:  r.NewStyle().Bold(true).Foreground(lipgloss.Color("#FF0000")),
		header: r.NewStyle().Underline(true),
		prompt: r.NewStyle().Bold(true),
	}
	for i, col := range classColors {
		s.class[i] = r.NewStyle().Foreground(lipgloss.Color(col))
	}
	return s
}

// model is the full-screen bubbletea shell around core.
type model struct {
	c      *core
	ctx    context.Context
	st     styles
	tick   time.Duration
	width  int
	height int
	status string // last announcement or note shown on the bottom line
	snapRd *reader
}

type tickMsg struct{}

// snapMsg carries a snapshot taken off the UI goroutine.
type snapMsg snapshot

func newModel(ctx context.Context, c *core, r *lipgloss.Renderer, tick time.Duration) *model {
	m := &model{c: c, ctx: ctx, st: newStyles(r), tick: tick, width: 100, height: 30, snapRd: &reader{tl: c.tl}}
	m.resize()
	return m
}

func (m *model) Init() tea.Cmd {
	m.c.refresh()
	m.c.takeNotes()
	return m.nextTick()
}

// nextTick re-arms the snapshot timer: data enters the UI at most once per tick.
func (m *model) nextTick() tea.Cmd {
	return tea.Tick(m.tick, func(time.Time) tea.Msg { return tickMsg{} })
}

func (m *model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.resize()
		m.c.refresh()
	case tickMsg:
		// The snapshot is taken in a command's goroutine, so a key pressed
		// meanwhile is answered at once; the next tick is armed when it is
		// applied, so at most one is in flight.
		q, rd := m.c.query(), m.snapRd
		cmd = func() tea.Msg { return snapMsg(q.take(rd)) }
	case snapMsg:
		m.c.apply(snapshot(msg)) // dropped if a key changed the view meanwhile
		cmd = m.nextTick()
	case tea.KeyMsg:
		cmd = m.keys(msg)
	case traceDoneMsg:
		m.c.traceDone(msg)
	}
	for _, n := range m.c.takeNotes() {
		switch n.kind {
		case noteAnnounce, noteSelect:
			m.status = n.text
		case noteMessage:
			if n.bell {
				m.status = n.text
			}
		}
	}
	if m.c.quit {
		return m, tea.Quit
	}
	return m, cmd
}

// keys answers a key press. Keys typed faster than the terminal is read
// arrive as one message with several runes: each is a key of its own.
func (m *model) keys(msg tea.KeyMsg) tea.Cmd {
	var cmds []tea.Cmd
	one := func(k tea.KeyMsg) {
		job := m.c.key(k)
		if job != nil && m.c.tracer != nil {
			t, ctx := m.c.tracer, m.ctx
			cmds = append(cmds, func() tea.Msg { return job.run(ctx, t) })
		}
	}
	if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste && m.c.prompt == promptNone {
		for _, r := range msg.Runes {
			one(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt})
			if m.c.quit {
				break
			}
		}
	} else {
		one(msg)
	}
	return tea.Batch(cmds...)
}

// fixed lines around the list: title, counts, sound, header, selected, trace,
// messages title, status.
const fixedLines = 8

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
	rows := m.height - fixedLines - m.msgLines()
	if rows < 1 {
		rows = 1
	}
	m.c.rows = rows
}

func (m *model) View() string {
	c := m.c
	w := m.width
	var lines []string
	add := func(s string) { lines = append(lines, ansi.Truncate(s, w, "…")) }

	mode := "LIVE"
	if c.paused {
		mode = "PAUSED at " + c.timeAt(c.end)
	}
	title := fmt.Sprintf("Packter console │ %s │ %d events", mode, c.next)
	if !c.filter.Empty() {
		title += " │ filter: " + c.filter.String()
	}
	if !c.search.Empty() {
		title += " │ search: " + c.search.String()
	}
	add(m.st.title.Render(title) + m.st.dim.Render(" │ ? help  q quit"))
	add(m.countsLine())
	add("Sound: " + c.soundText())

	if c.showHelp {
		add(m.st.header.Render("Keys (? or esc closes)"))
		help := c.keys.HelpLines()
		n := c.rows + 3 + m.msgLines()
		if len(help) > n {
			// Too short a window: show what fits and say so; the spoken
			// help and accessible mode list every key.
			more := len(help) - (n - 1)
			help = append(help[:n-1:n-1], fmt.Sprintf("… %d more keys: make the window taller; r repeats the spoken help", more))
		}
		for i := 0; i < n; i++ {
			if i < len(help) {
				add("  " + help[i])
			} else {
				add("")
			}
		}
	} else {
		m.listLines(add)
		if c.hasSel {
			add("Selected: " + Describe(&c.sel.ev) + " (" + Age(c.now().Sub(c.sel.ev.Time)) + " ago)")
		} else {
			add("Selected: nothing (arrows, j/k or 1 to 9 select)")
		}
		tr := c.trace
		if tr == "" {
			tr = "none (T traces the selected packet)"
		}
		add("Trace: " + tr)
		add(m.st.header.Render("Messages"))
		k := m.msgLines()
		msgs := c.msgs
		if len(msgs) > k {
			msgs = msgs[len(msgs)-k:]
		}
		for i := 0; i < k; i++ {
			if i >= len(msgs) {
				add("")
				continue
			}
			ev := &msgs[i].ev
			line := ev.Time.Format("15:04:05") + " " + Describe(ev)
			if ev.Kind == event.KindAlert {
				line = m.st.alert.Render(line)
			}
			add(line)
		}
	}
	switch c.prompt {
	case promptSearch:
		add(m.st.prompt.Render("Search: ") + string(c.input) + "█")
	case promptFilter:
		add(m.st.prompt.Render("Filter: ") + string(c.input) + "█")
	default:
		add("» " + m.status)
	}
	return strings.Join(lines, "\n")
}

func (m *model) countsLine() string {
	k := &m.c.counts
	var b strings.Builder
	for i := 0; i < 10; i++ {
		if i == 5 {
			b.WriteString("│ ")
		}
		b.WriteString(m.st.class[i].Render(shortClassNames[i]))
		fmt.Fprintf(&b, " %d  ", k.Class[i])
	}
	fmt.Fprintf(&b, "│ flood %d  incident %d", k.Flood, k.Incident)
	return b.String()
}

func (m *model) listLines(add func(string)) {
	c := m.c
	const flagW, endW = 12, 24
	add(m.st.header.Render(fmt.Sprintf("  %-2s %-5s %-*s %-*s %-*s %s", "#", "AGE", flagW, "FLAG", endW, "FROM", endW, "TO", "DESCRIPTION")))
	now := c.now()
	for i := 0; i < c.rows; i++ {
		if i >= len(c.list) {
			switch {
			case i == 0 && c.full:
				add("  (no match in the last events examined)")
			case i == 0 && c.filter.Empty():
				add("  (no packets yet)")
			case i == 0:
				add("  (no packets match the filter)")
			default:
				add("")
			}
			continue
		}
		it := &c.list[i]
		ev := &it.ev
		mark := "  "
		selected := c.hasSel && it.seq == c.sel.seq
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
		desc := oneLine(ev.Desc)
		if _, host, ok := ev.Traceable(); ok {
			desc = "traceable via " + host
		} else if ev.Kind == event.KindEarth {
			desc = Describe(ev)
		}
		if cl := ev.Class(); cl >= 0 && cl < 10 && !selected {
			flag = m.st.class[cl].Render(flag)
		}
		line := fmt.Sprintf("%s%s %-5s %s %s %s %s", mark, num, Age(now.Sub(ev.Time)), flag, from, to, desc)
		if selected {
			line = m.st.sel.Render(ansi.Truncate(line, m.width, "…"))
		}
		add(line)
	}
}

// endText is one end of a packet for the list: "10.0.0.1:80", "[2001:db8::1]:80",
// ICMP "10.0.0.1 t8".
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

// newRenderer makes the lipgloss renderer for out, without colour when asked.
func newRenderer(cfg Config) *lipgloss.Renderer {
	r := lipgloss.NewRenderer(cfg.Out, termenv.WithEnvironment(envFunc(cfg.Getenv)))
	if cfg.NoColor {
		r.SetColorProfile(termenv.Ascii)
	}
	return r
}

type envFunc func(string) string

func (e envFunc) Getenv(k string) string { return e(k) }
func (e envFunc) Environ() []string      { return nil }

func runFullScreen(ctx context.Context, cfg Config) error {
	c := newCore(cfg)
	m := newModel(ctx, c, newRenderer(cfg), cfg.Tick)
	in := cfg.In
	if !isTerminal(in) {
		// A file that is not a terminal (/dev/null, a pipe) cannot be polled
		// the way bubbletea polls terminals: hide its Fd so it is read plainly.
		in = struct{ io.Reader }{in}
	}
	p := tea.NewProgram(m,
		tea.WithContext(ctx),
		tea.WithInput(in),
		tea.WithOutput(cfg.Out),
		tea.WithAltScreen(),
		tea.WithoutSignalHandler(),
		tea.WithFPS(120), // the frame timer adds up to one frame to every key's answer
	)
	_, err := p.Run()
	if err != nil && (ctx.Err() != nil && errors.Is(err, tea.ErrProgramKilled)) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	return nil
}
