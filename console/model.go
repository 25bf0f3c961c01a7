package console

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/term"
)

// model is the one update loop of both modes: bubbletea reads and parses
// the keys, times the snapshots and suspends; core answers; the full-screen
// mode draws View, and accessible mode prints each note as a plain line.
type model struct {
	c      *core
	ctx    context.Context
	st     styles
	tick   time.Duration
	width  int
	height int
	status string // last announcement shown on the bottom line
	snapRd *reader

	lines     *lineOut // accessible mode; nil in full-screen mode
	lineInput bool     // keys come as lines from a pipe or file
	lineKeys  bool     // the current input line held a key
	fresh     bool     // a prompt opened on this line and nothing typed yet
	held      []note   // lines kept back while a prompt is open
	raw       rawTerm  // accessible mode on a terminal: single keys, no echo
}

type tickMsg struct{}

// snapMsg carries a snapshot taken off the UI goroutine.
type snapMsg snapshot

// moveMsg says the playhead moved.
type moveMsg struct{}

func newModel(ctx context.Context, c *core, st styles, tick time.Duration) *model {
	m := &model{c: c, ctx: ctx, st: st, tick: tick, width: 100, height: 30, snapRd: &reader{tl: c.tl}}
	if !c.accessible {
		m.resize()
	}
	return m
}

func (m *model) Init() tea.Cmd {
	m.c.refresh()
	notes := m.c.takeNotes() // what arrived before the console (FromStart): after the banner
	if m.lines != nil {
		m.lines.printf("Packter console, accessible mode: %s. Press ? for the keys, q to quit.", m.c.statusText())
	}
	m.show(notes)
	return tea.Batch(m.nextTick(), m.watch())
}

// nextTick re-arms the snapshot timer: data enters the UI at most once per tick.
func (m *model) nextTick() tea.Cmd {
	return tea.Tick(m.tick, func(time.Time) tea.Msg { return tickMsg{} })
}

// watch waits for another view to move the playhead.
func (m *model) watch() tea.Cmd {
	ch, ctx := m.c.ph.Changed(), m.ctx
	return func() tea.Msg {
		select {
		case <-ch:
			return moveMsg{}
		case <-ctx.Done():
			return nil
		}
	}
}

func (m *model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		if m.lines != nil {
			break // accessible mode's list does not depend on the window
		}
		m.width, m.height = msg.Width, msg.Height
		m.resize()
		m.c.refresh()
	case tickMsg:
		// The snapshot is taken in a command's goroutine, so a key pressed
		// meanwhile is answered at once; the next tick is armed when it is
		// applied, so at most one is in flight.
		q, rd, ph := m.c.query(), m.snapRd, m.c.ph
		cmd = func() tea.Msg { return snapMsg(q.take(rd, ph)) }
	case snapMsg:
		m.c.apply(snapshot(msg)) // dropped if a key changed the view meanwhile
		cmd = m.nextTick()
	case moveMsg:
		m.c.refresh()
		cmd = m.watch()
	case tea.KeyPressMsg:
		cmd = m.keys(msg)
	case tea.PasteMsg:
		if m.c.find.prompt != promptNone {
			m.c.key(keyPress{text: msg.Content})
		}
	case tea.ResumeMsg:
		m.raw.enter() // the shell took the terminal back while we were stopped
		if m.lines != nil {
			// Said once the keys are ours again: a listener knows the
			// console is back, and keys from now on are not echoed.
			m.lines.printf("Console resumed. Press ? for the keys.")
		}
	case traceDoneMsg:
		m.c.traceDone(msg)
	case loadDoneMsg:
		m.c.loadDone(msg)
	}
	m.show(m.c.takeNotes())
	if m.c.quit {
		if m.lines != nil {
			m.lines.printf("Console closed.")
		}
		return m, tea.Quit
	}
	return m, cmd
}

// show puts notes on the status line (full-screen) or prints them.
func (m *model) show(notes []note) {
	if m.lines == nil {
		for _, n := range notes {
			switch n.kind {
			case noteAnnounce, noteSelect, noteSummary:
				m.status = n.text
			case noteMessage:
				if n.bell {
					m.status = n.text
				}
			}
		}
		return
	}
	// While a prompt is open its line stays whole: other lines wait.
	inPrompt := m.c.find.prompt != promptNone
	for _, n := range notes {
		if inPrompt && n.kind != notePrompt {
			if len(m.held) < maxHeld {
				m.held = append(m.held, n)
			}
			continue
		}
		m.lines.note(n)
	}
	if !inPrompt {
		for _, n := range m.held {
			m.lines.note(n)
		}
		m.held = m.held[:0]
	}
	m.lines.flush()
}

// maxHeld bounds the lines kept back while a prompt is open.
const maxHeld = 1000

// keys answers a key press. Several runes typed faster than they are read
// are each a key of their own.
func (m *model) keys(msg tea.KeyPressMsg) tea.Cmd {
	if msg.String() == "ctrl+z" {
		m.raw.leave()
		return tea.Suspend
	}
	var cmds []tea.Cmd
	ks := []keyPress{{name: msg.String(), text: msg.Text}}
	if len([]rune(msg.Text)) > 1 && m.c.find.prompt == promptNone {
		ks = ks[:0]
		for _, r := range msg.Text {
			ks = append(ks, keyPress{name: string(r), text: string(r)})
		}
	}
	for _, k := range ks {
		if m.lineInput && m.lineKey(k) {
			continue
		}
		wasPrompt := m.c.find.prompt != promptNone
		job := m.c.key(k)
		m.echo(wasPrompt, k)
		if job != nil && m.c.tracer != nil {
			t, ctx := m.c.tracer, m.ctx
			cmds = append(cmds, func() tea.Msg { return job.run(ctx, t) })
		}
		for _, l := range m.c.takeLoads() {
			ctx := m.ctx
			cmds = append(cmds, func() tea.Msg { return l.run(ctx) })
		}
		if m.c.quit {
			break
		}
	}
	return tea.Batch(cmds...)
}

// lineKey applies the rules for keys read as lines from a pipe or file: a
// newline ends a line of keys and is not a key itself; an empty line is
// Enter; a prompt key ends with its line only when text followed it on the
// line ("/10.0.0.1"), else the next line is its text. It reports whether
// the key is used up.
func (m *model) lineKey(k keyPress) bool {
	inPrompt := m.c.find.prompt != promptNone
	if k.isEnter() {
		had := m.lineKeys
		m.lineKeys = false
		if inPrompt && m.fresh {
			m.fresh = false // "/" alone on its line: the next line is the search
			return true
		}
		return had && !inPrompt
	}
	m.lineKeys = true
	if inPrompt {
		m.fresh = false
	} else {
		m.fresh = true // set for prompt keys; harmless for others
	}
	return false
}

// echo shows what is typed into a prompt on a terminal in accessible mode,
// where the terminal's own echo is off; backspace is not drawn (no cursor
// movement).
func (m *model) echo(wasPrompt bool, k keyPress) {
	if m.lines == nil || !wasPrompt || m.lineInput {
		return
	}
	if k.isEnter() || k.name == "esc" {
		m.lines.w.WriteString(m.lines.nl)
		m.lines.mid = false
	} else if k.text != "" {
		m.lines.w.WriteString(k.text)
	}
}

// lineOut writes accessible mode's lines.
type lineOut struct {
	w    *bufio.Writer
	nl   string // "\r\n" on a terminal in raw mode
	bell bool
	mid  bool // a prompt's line is open
}

func (o *lineOut) printf(format string, a ...any) {
	fmt.Fprintf(o.w, format, a...)
	o.w.WriteString(o.nl)
	o.w.Flush()
}

func (o *lineOut) note(n note) {
	if o.bell && n.bell {
		o.w.WriteByte('\a')
	}
	if o.mid && n.kind != notePrompt {
		o.w.WriteString(o.nl) // the prompt's line ends before the next
		o.mid = false
	}
	switch n.kind {
	case noteSelect:
		o.w.WriteString(n.text)
		o.w.WriteString("; selected")
	case noteSummary:
		o.w.WriteString("Summary: ")
		o.w.WriteString(n.text)
	case notePrompt:
		o.w.WriteString(n.text) // the typed text follows on this line
		o.mid = true
		return
	default:
		o.w.WriteString(n.text)
	}
	o.w.WriteString(o.nl)
}

func (o *lineOut) flush() { o.w.Flush() }

// rawTerm holds a terminal in single-key mode for accessible mode (the
// full-screen renderer does this itself), and lets go of it for a suspend.
type rawTerm struct {
	fd    uintptr
	on    bool
	state *term.State
}

func (r *rawTerm) enter() {
	if !r.on || r.state != nil {
		return
	}
	if st, err := term.MakeRaw(r.fd); err == nil {
		r.state = st
	}
}

func (r *rawTerm) leave() {
	if r.state != nil {
		_ = term.Restore(r.fd, r.state)
		r.state = nil
	}
}

// run drives either mode with one bubbletea program.
func run(ctx context.Context, cfg Config) error {
	c := newCore(cfg)
	m := newModel(ctx, c, newStyles(cfg.NoColor), cfg.Tick)
	in := cfg.In
	if !isTerminal(in) {
		// A file that is not a terminal (/dev/null, a pipe) cannot be polled
		// the way bubbletea polls terminals: hide its Fd so it is read plainly.
		in = struct{ io.Reader }{in}
	}
	opts := []tea.ProgramOption{
		tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(cfg.Out),
		tea.WithoutSignalHandler(),
		tea.WithFPS(60),
	}
	if cfg.NoColor {
		opts = append(opts, tea.WithColorProfile(colorprofile.Ascii))
	}
	if !isTerminal(cfg.Out) {
		opts = append(opts, tea.WithWindowSize(m.width, m.height)) // nothing to ask
	}
	if cfg.Accessible {
		// No renderer: no cursor movement, no queries; lines are ours.
		m.lines = &lineOut{w: bufio.NewWriter(cfg.Out), nl: "\n", bell: cfg.Bell}
		m.lineInput = !isTerminal(cfg.In)
		if f, ok := cfg.In.(interface{ Fd() uintptr }); ok && !m.lineInput {
			m.raw.fd, m.raw.on = f.Fd(), true
			m.raw.enter()
			if m.raw.state == nil {
				return errors.New("console: could not set the terminal for single keys")
			}
			defer m.raw.leave()
			if isTerminal(cfg.Out) {
				m.lines.nl = "\r\n" // raw mode turns off the terminal's own CR
			}
		}
		opts = append(opts, tea.WithoutRenderer())
	}
	_, err := tea.NewProgram(m, opts...).Run()
	if m.lines != nil {
		m.lines.flush()
	}
	if err != nil && ctx.Err() != nil && errors.Is(err, tea.ErrProgramKilled) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	return nil
}
