package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"
)

// runAccessible is the linear mode: append-only plain lines, most important
// words first, no cursor movement, box drawing or colour; the same keys.
func runAccessible(ctx context.Context, cfg Config) error {
	c := newCore(cfg)
	c.accessible = true
	w := bufio.NewWriter(cfg.Out)
	echo := false
	if f, ok := cfg.In.(fdFile); ok && isTerminal(cfg.In) {
		restore, err := keyMode(f.Fd())
		if err != nil {
			return fmt.Errorf("console: set terminal for single keys: %w", err)
		}
		defer restore()
		echo = true
	}

	keys := make(chan tea.KeyMsg, 64)
	// The reader goroutine ends when In does; it may outlive Run while blocked
	// in a read of a terminal, which is harmless: nothing reads its channel.
	go readKeys(cfg.In, !echo, keys)

	traces := make(chan traceDoneMsg, 4)
	ticker := time.NewTicker(cfg.Tick)
	defer ticker.Stop()

	c.refresh()
	c.takeNotes()
	fmt.Fprintf(w, "Packter console, accessible mode: %s. Press ? for the keys, q to quit.\n", c.statusText())
	w.Flush()

	inPrompt := false
	var held []note
	for {
		select {
		case <-ctx.Done():
			w.Flush()
			return nil
		case k, ok := <-keys:
			if !ok {
				keys = nil // input ended: keep showing events until ctx ends
				continue
			}
			wasPrompt := c.prompt != promptNone
			job := c.key(k)
			if wasPrompt && echo {
				// Keys typed into a prompt are echoed, since the terminal's own
				// echo is off; backspace is not drawn (no cursor movement).
				switch k.Type {
				case tea.KeyRunes, tea.KeySpace:
					w.WriteString(string(k.Runes))
				case tea.KeyEnter, tea.KeyEsc:
					w.WriteString("\n")
				}
			}
			if job != nil {
				go func() { traces <- job.run(ctx, c.tracer) }()
			}
		case m := <-traces:
			c.traceDone(m)
		case <-ticker.C:
			c.refresh()
		}
		if inPrompt && c.prompt == promptNone && !echo {
			w.WriteString("\n")
		}
		inPrompt = c.prompt != promptNone
		// While a prompt is open its line stays whole: other lines wait.
		for _, n := range c.takeNotes() {
			if inPrompt && n.kind != notePrompt {
				if len(held) < maxHeld {
					held = append(held, n)
				}
				continue
			}
			writeNote(w, n, cfg.Bell)
		}
		if !inPrompt {
			for _, n := range held {
				writeNote(w, n, cfg.Bell)
			}
			held = held[:0]
		}
		w.Flush()
		if c.quit {
			fmt.Fprintln(w, "Console closed.")
			return w.Flush()
		}
	}
}

// maxHeld bounds the lines kept back while a prompt is open.
const maxHeld = 1000

type fdFile interface{ Fd() uintptr }

func writeNote(w *bufio.Writer, n note, bell bool) {
	if bell && n.bell {
		w.WriteByte('\a')
	}
	switch n.kind {
	case noteSelect:
		w.WriteString(n.text)
		w.WriteString("; selected\n")
	case noteSummary:
		w.WriteString("Summary: ")
		w.WriteString(n.text)
		w.WriteByte('\n')
	case notePrompt:
		// Prompts stay on their line for the typed text.
		w.WriteString(n.text)
	default:
		w.WriteString(n.text)
		w.WriteByte('\n')
	}
}

// readKeys turns bytes from in into key messages: printable characters,
// Enter, Backspace, Escape and the arrow, Home and End sequences. With
// lineInput (In is not a terminal) a newline is Enter only on an empty line or
// in a prompt, so "j\n" is the key j.
func readKeys(in io.Reader, lineInput bool, out chan<- tea.KeyMsg) {
	defer close(out)
	r := bufio.NewReader(in)
	lineHasKey := false
	for {
		b, err := r.ReadByte()
		if err != nil {
			return
		}
		var k tea.KeyMsg
		switch {
		case b == 0x1b:
			k = escKey(r)
		case b == '\r' || b == '\n':
			if lineInput && b == '\r' {
				continue
			}
			had := lineHasKey
			lineHasKey = false
			if lineInput && had {
				// A line of keys ends; the newline is not a key, but in a
				// prompt it submits (the mode drops it otherwise).
				out <- tea.KeyMsg{Type: tea.KeyEnter, Alt: true}
				continue
			}
			k = tea.KeyMsg{Type: tea.KeyEnter}
		case b == 0x7f || b == 0x08:
			k = tea.KeyMsg{Type: tea.KeyBackspace}
		case b == 0x03:
			k = tea.KeyMsg{Type: tea.KeyCtrlC}
		case b == ' ':
			k = tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
		case b < 0x20:
			continue
		default:
			var buf [utf8.UTFMax]byte
			buf[0] = b
			n := 1
			for !utf8.FullRune(buf[:n]) && n < utf8.UTFMax {
				nb, err := r.ReadByte()
				if err != nil {
					return
				}
				buf[n] = nb
				n++
			}
			ru, _ := utf8.DecodeRune(buf[:n])
			k = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{ru}}
		}
		lineHasKey = true
		out <- k
	}
}

// escKey reads the rest of an escape sequence that arrived with the ESC; a
// lone ESC is the Escape key.
func escKey(r *bufio.Reader) tea.KeyMsg {
	if r.Buffered() == 0 {
		return tea.KeyMsg{Type: tea.KeyEsc}
	}
	b, _ := r.ReadByte()
	if b != '[' && b != 'O' {
		return tea.KeyMsg{Type: tea.KeyEsc}
	}
	var seq strings.Builder
	for r.Buffered() > 0 {
		c, _ := r.ReadByte()
		seq.WriteByte(c)
		if c >= 0x40 && c <= 0x7e {
			break
		}
	}
	switch seq.String() {
	case "A":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "B":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "C":
		return tea.KeyMsg{Type: tea.KeyRight}
	case "D":
		return tea.KeyMsg{Type: tea.KeyLeft}
	case "H", "1~", "7~":
		return tea.KeyMsg{Type: tea.KeyHome}
	case "F", "4~", "8~":
		return tea.KeyMsg{Type: tea.KeyEnd}
	}
	return tea.KeyMsg{} // unknown sequence: ignored
}
