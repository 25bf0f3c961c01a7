package console

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/packter/packter/event"
	"github.com/packter/packter/internal/syncbuf"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, got string) {
	t.Helper()
	path := filepath.Join("testdata", t.Name()+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./console -run %s -update)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("view differs from %s:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func asciiRenderer() styles { return newStyles(true) }

// view renders the full-screen model of a rig at a fixed size and clock.
func (r *rig) model(width, height int, rend styles) *model {
	m := newModel(context.Background(), r.c, rend, defaultTick)
	m.Update(tea.WindowSizeMsg{Width: width, Height: height})
	return m
}

func (m *model) press(keys ...string) {
	for _, k := range keys {
		m.Update(teaKey(k))
	}
}

// teaKey is the key message bubbletea sends for a key name.
func teaKey(s string) tea.KeyPressMsg {
	switch s {
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "space", " ":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}

func TestFullScreenView(t *testing.T) {
	cases := []struct {
		name   string
		w, h   int
		keys   []string
		before func(r *rig)
	}{
		{name: "live", w: 100, h: 30},
		{name: "small", w: 60, h: 14},
		{name: "selected", w: 100, h: 30, keys: []string{"j", "j", "j"}},
		{name: "help", w: 100, h: 30, keys: []string{"?"}},
		{name: "help_small", w: 80, h: 24, keys: []string{"?"}},
		{name: "filter_prompt", w: 100, h: 30, keys: []string{"f", "u", "d", "p"}},
		{name: "filtered_paused", w: 100, h: 30, keys: []string{"f", "t", "c", "p", " ", "s", "y", "n", "enter", "space"}},
		{name: "trace_outcome", w: 100, h: 30, keys: []string{"2", "T"}, before: nil},
		{name: "no_trace", w: 100, h: 30, keys: []string{"1", "T"}},
		{name: "alert", w: 100, h: 30, before: func(r *rig) {
			r.tl.Append(&event.Event{Time: r.clock, Kind: event.KindAlert, Text: event.CleanText("SYN flood to 127.0.0.1", event.MaxText)})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, 20, false)
			m := r.model(tc.w, tc.h, asciiRenderer())
			if tc.before != nil {
				tc.before(r)
			}
			for _, k := range tc.keys {
				_, cmd := m.Update(teaKey(k))
				// A trace runs as a command: run it as bubbletea would.
				runCmd(m, cmd)
			}
			_, cmd := m.Update(tickMsg{})
			runCmd(m, cmd)
			golden(t, m.View().Content)
		})
	}
}

// runCmd runs a command's messages back into the model, skipping ticks.
func runCmd(m *model, cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	switch msg := cmd().(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			runCmd(m, c)
		}
	case tickMsg, nil:
	default:
		m.Update(msg)
	}
}

func TestColourNeverAlone(t *testing.T) {
	r := newRig(t, 20, false)
	m := r.model(100, 30, newStyles(false))
	m.press("1")
	if v := m.View().Content; !strings.Contains(v, "\x1b[") {
		t.Fatal("colour styles render no colour")
	}
	plain := r.model(100, 30, asciiRenderer()).View().Content
	if strings.Contains(plain, "\x1b") {
		t.Error("NO_COLOR view holds escape codes")
	}
	// The selection is marked by "> " as well as by reverse video.
	if !strings.Contains(plain, "> 1 ") {
		t.Errorf("selection not marked without colour:\n%s", plain)
	}
}

// waitFor polls until cond holds for the output, or fails at the deadline.
func waitFor(t *testing.T, out *syncbuf.Buffer, what string, cond func(string) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond(out.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; output:\n%q", what, out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestFullScreenProgram runs the bubbletea program on pipes (no terminal),
// writing keys one at a time and waiting for each to show.
func TestFullScreenProgram(t *testing.T) {
	r := newRig(t, 20, false)
	inR, inW := io.Pipe()
	out := &syncbuf.Buffer{}
	cfg := Config{Timeline: r.tl, Sound: r.sound, Speech: r.speech, Tracer: r.tracer,
		In: inR, Out: out, NoColor: true, Tick: defaultTick, Getenv: func(string) string { return "" },
		Now: func() time.Time { return r.clock }}
	done := make(chan error, 1)
	go func() { done <- run(context.Background(), cfg) }()
	waitFor(t, out, "the list", func(s string) bool { return strings.Contains(s, "sample 19") })
	io.WriteString(inW, "2")
	// The renderer writes only the cells that change: look for fragments.
	waitFor(t, out, "the selection", func(s string) bool { return strings.Contains(s, "IPv6 UDP from 2001:db8::13 port 40018") })
	io.WriteString(inW, "T")
	waitFor(t, out, "the trace outcome", func(s string) bool { return strings.Contains(s, "came from AS 64501") })
	io.WriteString(inW, "q")
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("q did not quit")
	}
	if !strings.Contains(out.String(), "\x1b[?1049l") {
		t.Error("alternate screen not left")
	}
}

// TestAccessibleRun drives Run in accessible mode through pipes, as a screen
// reader user at a non-terminal would.
func TestAccessibleRun(t *testing.T) {
	r := newRig(t, 20, false)
	inR, inW := io.Pipe()
	out := &syncbuf.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := Config{Timeline: r.tl, Sound: r.sound, Speech: r.speech, Tracer: r.tracer,
		In: inR, Out: out, Bell: true, Getenv: func(string) string { return "" },
		Now: func() time.Time { return r.clock }}
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()
	waitFor(t, out, "the greeting", func(s string) bool { return strings.Contains(s, "accessible mode: 20 packets in all") })
	io.WriteString(inW, "j\n")
	waitFor(t, out, "a selection line", func(s string) bool {
		return strings.Contains(s, "\nICMPv6 from 2001:db8::14 type 8 to 2001:db8::80 code 0, sample 19; number 1, 1 second ago; selected\n")
	})
	io.WriteString(inW, "jT\n")
	waitFor(t, out, "the trace outcome", func(s string) bool {
		return strings.Contains(s, "\nTracing the selected packet\nTrace of IPv6 UDP from 2001:db8::13 port 40018 succeeded: the packet came from AS 64501 or from beyond it, through AS 64500\n")
	})
	io.WriteString(inW, "/10.0.0.13\n")
	waitFor(t, out, "the search", func(s string) bool {
		return strings.Contains(s, "\nTCP FIN or RST from 10.0.0.13 port 40012 to 127.0.0.1 port 80; number 8, 8 seconds ago; selected\n")
	})
	r.tl.Append(&event.Event{Time: r.clock, Kind: event.KindAlert, Text: event.CleanText("SYN flood to 127.0.0.1", event.MaxText)})
	waitFor(t, out, "the alert with a bell", func(s string) bool { return strings.Contains(s, "\aAlert: SYN flood to 127.0.0.1\n") })
	io.WriteString(inW, "?\n")
	waitFor(t, out, "help", func(s string) bool { return strings.Contains(s, "\nq: quit\n") })
	io.WriteString(inW, "q\n")
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("q did not quit")
	}
	s := out.String()
	if strings.Contains(s, "\x1b") {
		t.Errorf("accessible output holds escape sequences:\n%q", s)
	}
	if strings.ContainsAny(s, "│─█") {
		t.Errorf("accessible output holds box drawing:\n%s", s)
	}
}

func TestAccessibleRunEndsWithContext(t *testing.T) {
	r := newRig(t, 3, false)
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncbuf.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{Timeline: r.tl, In: strings.NewReader(""), Out: out, Getenv: func(string) string { return "" }})
	}()
	waitFor(t, out, "the greeting", func(s string) bool { return strings.Contains(s, "Sound off") })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestFullScreenInputNotATerminal: with keys from a file that is not a
// terminal (/dev/null) the console still runs, until ctx ends.
func TestFullScreenInputNotATerminal(t *testing.T) {
	r := newRig(t, 3, false)
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	out := &syncbuf.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, Config{Timeline: r.tl, In: null, Out: out, NoColor: true, Tick: defaultTick,
			Now: time.Now, Getenv: func(string) string { return "" }})
	}()
	waitFor(t, out, "the list", func(s string) bool { return strings.Contains(s, "sample 2") })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
