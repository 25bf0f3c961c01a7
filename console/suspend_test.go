package console_test

import (
	"strings"
	"testing"
)

// Ctrl+Z gives the terminal back as the shell left it (line mode, echo), and
// fg brings the console back whole: the screen redrawn, keys answered, not
// echoed.
func TestTerminalSuspendResume(t *testing.T) {
	for _, mode := range []struct{ name, args, ready, afterKey string }{
		{"full-screen", "-fixed-clock", "Packter console │ LIVE", "> 2 "},
		{"accessible", "-fixed-clock -accessible", "Packter console, accessible mode", "packets in all"},
	} {
		t.Run(mode.name, func(t *testing.T) {
			s := newTmux(t, 110, 32)
			s.startApp(mode.args)
			s.waitFor("the console", func(p string) bool { return strings.Contains(p, mode.ready) })
			s.keys("C-z")
			s.waitFor("the shell after ctrl+z", func(p string) bool {
				return strings.Count(p, "READY$") >= 2 || strings.Contains(strings.ToLower(p), "stopped")
			})
			s.cooked() // the terminal is the shell's again while the console sleeps
			s.run("send-keys", "clear; fg", "Enter")
			back := mode.ready // full-screen: redrawn whole
			if mode.name == "accessible" {
				back = "Console resumed." // a line once the keys are the console's again
			}
			s.waitFor("the console back after fg", func(p string) bool { return strings.Contains(p, back) })
			key := "2"
			if mode.name == "accessible" {
				key = "i"
			}
			s.keys(key)
			p := s.waitFor("the key answered after fg", func(p string) bool { return strings.Contains(p, mode.afterKey) })
			for _, l := range strings.Split(p, "\n") {
				if strings.TrimSpace(l) == key {
					t.Errorf("the key %q was echoed after fg:\n%s", key, p)
				}
			}
			s.keys("q")
			// After a stop the shell has dropped the rest of the command line
			// ("; echo EXITED"): the console's exit shows as the prompt.
			s.waitFor("the console's exit", func(p string) bool {
				return strings.HasSuffix(strings.TrimSpace(p), "READY$") && !strings.Contains(p, mode.ready)
			})
			s.cooked()
		})
	}
}
