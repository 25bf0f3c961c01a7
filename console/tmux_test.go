package console_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/packter/packter/console/internal/app"
)

// The terminal tests run this test binary itself as the console program
// under tmux: with PACKTER_CONSOLE_APP set it is the test app, not the tests.
func TestMain(m *testing.M) {
	if os.Getenv("PACKTER_CONSOLE_APP") == "1" {
		ctx := context.Background()
		if err := app.App(ctx, os.Args[1:], os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// tmuxSession is a detached tmux server of its own with one fixed-size pane
// running a shell.
type tmuxSession struct {
	t      *testing.T
	socket string
}

func newTmux(t *testing.T, width, height int) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (scripts/setup.sh installs it)")
	}
	s := &tmuxSession{t: t, socket: fmt.Sprintf("packter-console-%d-%d", os.Getpid(), time.Now().UnixNano())}
	// A clean shell with a known prompt; the pane's TERM is tmux's own.
	s.run("-f", "/dev/null", "new-session", "-d", "-x", fmt.Sprint(width), "-y", fmt.Sprint(height),
		"env", "-i", "PATH="+os.Getenv("PATH"), "HOME="+t.TempDir(), "PS1=READY$ ", "TERM=xterm-256color", "sh")
	t.Cleanup(func() { exec.Command("tmux", "-L", s.socket, "kill-server").Run() })
	s.waitFor("the shell prompt", func(p string) bool { return strings.Contains(p, "READY$") })
	return s
}

func (s *tmuxSession) run(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// pane is the screen, wrapped lines joined (-J) as the program wrote them.
func (s *tmuxSession) pane() string { return s.run("capture-pane", "-p", "-J") }

// keys sends keys one at a time, as a person types.
func (s *tmuxSession) keys(keys ...string) {
	for _, k := range keys {
		s.run("send-keys", k)
	}
}

// waitFor polls the pane until cond holds, failing at a deadline.
func (s *tmuxSession) waitFor(what string, cond func(pane string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		p := s.pane()
		if cond(p) {
			return p
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("timed out waiting for %s; pane:\n%s", what, p)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *tmuxSession) format(f string) string {
	return strings.TrimSpace(s.run("display-message", "-p", f))
}

func (s *tmuxSession) startApp(args string) {
	exe, err := os.Executable()
	if err != nil {
		s.t.Fatal(err)
	}
	s.run("send-keys", fmt.Sprintf("PACKTER_CONSOLE_APP=1 %s %s; echo EXITED $?", exe, args), "Enter")
}

// cooked checks that the terminal is back in line mode with echo after the
// console exits: stty prints "icanon echo" (not "-icanon -echo").
func (s *tmuxSession) cooked() {
	s.t.Helper()
	s.run("send-keys", "stty -a | tr ' ' '\\n' | grep -x -e icanon -e echo -e -icanon -e -echo | tr '\\n' ' '; echo", "Enter")
	s.waitFor("stty's answer", func(p string) bool {
		for _, l := range strings.Split(p, "\n") {
			if strings.TrimSpace(l) == "icanon echo" {
				return true
			}
		}
		return false
	})
}

func TestTerminalFullScreen(t *testing.T) {
	s := newTmux(t, 110, 32)
	s.startApp("-fixed-clock")

	p := s.waitFor("the packet list", func(p string) bool {
		return strings.Contains(p, "Packter console │ LIVE │ 20 events") && strings.Contains(p, "sample 19")
	})
	if !strings.Contains(p, "10.0.0.13:40012") || !strings.Contains(p, "TCP FIN/RST") {
		t.Errorf("list lacks packets:\n%s", p)
	}
	if s.format("#{alternate_on}") != "1" {
		t.Error("full-screen mode is not on the alternate screen")
	}

	s.keys("j")
	s.waitFor("the newest selected", func(p string) bool {
		return strings.Contains(p, "> 1  12:00:19 ICMP6") && strings.Contains(p, "Selected: ICMPv6 from 2001:db8::14")
	})
	s.keys("Down")
	s.waitFor("the selection moved down", func(p string) bool {
		return strings.Contains(p, "> 2  12:00:18 UDP6") && strings.Contains(p, "Selected: IPv6 UDP from 2001:db8::13")
	})

	s.keys("T")
	s.waitFor("the trace launched and its outcome", func(p string) bool {
		// Full-screen lines are cut to the width: the outcome's start shows.
		return strings.Contains(p, "» Trace of IPv6 UDP from 2001:db8::13 port 40018 succeeded: the packet came") &&
			strings.Contains(p, "Trace: Trace of IPv6 UDP from 2001:db8::13 port 40018 succeeded: the packet ca") &&
			strings.Contains(p, "Message: Launched IP traceback process hash …0012")
	})

	s.keys("j", "T")
	s.waitFor("why no trace", func(p string) bool {
		return strings.Contains(p, "» No trace possible: this packet's description holds no traceback hash")
	})

	s.keys("?")
	p = s.waitFor("help", func(p string) bool { return strings.Contains(p, "Keys (? or esc closes)") })
	for _, want := range []string{"T: trace the selected packet", "m: mute traffic sound (not speech)", "q: quit", "/: search", "L, end: back to live", "i: say counts", "r: repeat", "s, esc: stop talking", "?: help"} {
		if !strings.Contains(p, want) {
			t.Errorf("help lacks %q:\n%s", want, p)
		}
	}
	s.keys("?")
	s.waitFor("help closed", func(p string) bool { return strings.Contains(p, "DESCRIPTION") })

	s.keys("q")
	p = s.waitFor("the program to exit", func(p string) bool { return strings.Contains(p, "EXITED 0") })
	if strings.Contains(p, "Packter console") {
		t.Errorf("the console's screen is left behind:\n%s", p)
	}
	if s.format("#{alternate_on}") != "0" || s.format("#{cursor_flag}") != "1" {
		t.Errorf("terminal not restored: alternate %s, cursor %s", s.format("#{alternate_on}"), s.format("#{cursor_flag}"))
	}
	// The terminal is back in cooked mode with echo: the shell's line shows.
	s.cooked()
}

func TestTerminalAccessible(t *testing.T) {
	s := newTmux(t, 120, 40)
	s.startApp("-fixed-clock -accessible")
	s.waitFor("the greeting", func(p string) bool {
		return strings.Contains(p, "Packter console, accessible mode: 20 packets in all")
	})
	if s.format("#{alternate_on}") != "0" {
		t.Error("accessible mode switched to the alternate screen")
	}
	s.keys("j")
	s.waitFor("a selection line", func(p string) bool {
		return strings.Contains(p, "ICMPv6 from 2001:db8::14 type 8 to 2001:db8::80 code 0, sample 19; number 1, 1 second ago; selected")
	})
	s.keys("Down", "T")
	s.waitFor("the trace outcome", func(p string) bool {
		return strings.Contains(p, "Tracing the selected packet\nTrace of IPv6 UDP from 2001:db8::13 port 40018 succeeded: the packet came from AS 64501 or from beyond it, through AS 64500")
	})
	s.keys("f", "u", "d", "p", "Enter")
	s.waitFor("the filter", func(p string) bool { return strings.Contains(p, "Filter: udp\nFilter udp: 4 shown") })
	s.keys("q")
	s.waitFor("the program to exit", func(p string) bool { return strings.Contains(p, "Console closed.\nEXITED 0") })
	s.cooked()
}

// TestTerminalUnderLoad drives the console while 100,000 events per second
// arrive: the list moves, pause freezes it, keys still answer, and live
// resumes.
func TestTerminalUnderLoad(t *testing.T) {
	s := newTmux(t, 110, 32)
	s.startApp("-rate 100000")
	first := s.waitFor("a growing list", func(p string) bool { return strings.Contains(p, "│ LIVE │") && eventsShown(p) > 1000 })
	s.waitFor("new events", func(p string) bool { return eventsShown(p) > eventsShown(first)+1000 })
	s.keys("Space")
	paused := s.waitFor("pause", func(p string) bool { return strings.Contains(p, "│ PAUSED at ") })
	s.keys("j")
	s.waitFor("a selection while paused", func(p string) bool { return strings.Contains(p, "\n> 1 ") })
	s.keys("L")
	s.waitFor("live again", func(p string) bool {
		return strings.Contains(p, "│ LIVE │") && strings.Contains(p, "» Live; ") && eventsShown(p) > eventsShown(paused)
	})
	s.keys("q")
	s.waitFor("the program to exit", func(p string) bool { return strings.Contains(p, "EXITED 0") })
}

// eventsShown reads the title's event count.
func eventsShown(pane string) int {
	i := strings.Index(pane, "│ ")
	for i >= 0 {
		var n int
		if _, err := fmt.Sscanf(pane[i:], "│ %d events", &n); err == nil {
			return n
		}
		j := strings.Index(pane[i+1:], "│ ")
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return -1
}
