package main

// Hostile datagrams against a real terminal: the monitor runs in a tmux pane
// whose raw output is kept, and the pane must show the words and never the
// escapes.

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The hostile payload: OSC 52 (clipboard) ended by BEL and by ST, OSC 0
// (window title), a CSI that makes xterm report its title back as input, the
// one-byte C1 CSI as a character and as a raw byte, BEL, and bidi overrides.
// The visible words around it must still be shown.
const (
	osc52   = "\x1b]52;c;UFdORUQ=\x07"
	osc52st = "\x1b]52;p;UFdORUQ=\x1b\\"
	osc0    = "\x1b]0;PWNED\x07"
	csi21t  = "\x1b[21t"
	c1CSI   = "\u009b6n"
	bidi    = "\u202eLIVE\u202c\u2066x\u2069"
	payload = " " + osc52 + osc52st + osc0 + csi21t + c1CSI + "\x9b" + "\a" + bidi + " end"
)

// compact is the payload without spaces and commas, for file names; agentID
// fits PACKTERAGENT's 64 bytes.
var compact = strings.NewReplacer(" ", "", ",", "").Replace(payload)

const agentID = "agentvis" + osc52 + "\u202e\u009b" + osc0

// hostileDatagrams carry the payload in every text field the monitor shows
// or logs; each field starts with a visible word the test looks for.
func hostileDatagrams() [][]byte {
	return [][]byte{
		[]byte("PACKTERAGENT " + agentID + "\nPACKTER\n10.0.0.1,10.0.0.2,1000,80,1,descvis" + payload),
		[]byte("PACKTER\n10.0.0.3,10.0.0.4,1000,80,1,0123456789abcdef0123456789abcdef-tracevis.example" + osc0),
		[]byte("PACKTER\n10.0.0.5,10.0.0.6,1000,80,1,Incident: incidentvis" + payload),
		[]byte("PACKTEARTH\n35.6,139.7,51.5,-0.1,3,earthvis" + payload),
		[]byte("PACKTERMSG\npic.png,msgvis" + payload),
		[]byte("PACKTERVOICE\nvoicevis" + payload),
		[]byte("PACKTERSE\nsevis" + compact + ".wav"),
		[]byte("PACKTERSOUND\n3000,soundvis" + compact + ".wav"),
		// Garbage that makes the monitor log.
		[]byte(osc0 + "garbage\x9b" + osc52 + "\u202e"),
	}
}

// unsafeTerminalText names the first thing in b that could act on a
// terminal rather than be shown by it: C1 controls, bidi overrides and
// isolates, invalid UTF-8 (a raw 0x9b is a CSI to 8-bit terminals), and, if
// noControls, any ESC or BEL at all.
func unsafeTerminalText(b []byte, noControls bool) string {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			return fmt.Sprintf("invalid UTF-8 byte %#x at %d: %q", b[i], i, around(b, i))
		case r >= 0x80 && r <= 0x9f:
			return fmt.Sprintf("C1 control U+%04X at %d: %q", r, i, around(b, i))
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return fmt.Sprintf("bidi control U+%04X at %d: %q", r, i, around(b, i))
		case noControls && (r == 0x1b || r == 0x07):
			return fmt.Sprintf("control %q at %d: %q", r, i, around(b, i))
		}
		i += n
	}
	return ""
}

func around(b []byte, i int) []byte { return b[max(0, i-40):min(len(b), i+40)] }

// ptySession is a tmux server of its own with one pane running a shell; all
// the pane's output is appended, raw, to capture (tmux pipe-pane), and tmux
// is set to accept clipboard escapes so that one that got through would show
// as a paste buffer.
type ptySession struct {
	t       *testing.T
	socket  string
	capture string
}

func newPtySession(t *testing.T, width, height int) *ptySession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (scripts/setup.sh installs it)")
	}
	dir := t.TempDir()
	s := &ptySession{t: t, socket: fmt.Sprintf("packter-hostile-%d-%d", os.Getpid(), time.Now().UnixNano()), capture: filepath.Join(dir, "pty.raw")}
	s.tmux("-f", "/dev/null", "new-session", "-d", "-x", fmt.Sprint(width), "-y", fmt.Sprint(height),
		"env", "-i", "PATH="+os.Getenv("PATH"), "HOME="+dir, "PS1=READY$ ", "TERM=xterm-256color", "sh")
	t.Cleanup(func() { exec.Command("tmux", "-L", s.socket, "kill-server").Run() })
	s.tmux("set-option", "-s", "set-clipboard", "on")
	s.tmux("pipe-pane", "-o", "cat >> "+s.capture)
	s.waitPane("the shell prompt", func(p string) bool { return strings.Contains(p, "READY$") })
	return s
}

func (s *ptySession) tmux(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (s *ptySession) pane() string { return s.tmux("capture-pane", "-p", "-J") }

func (s *ptySession) title() string {
	return strings.TrimSpace(s.tmux("display-message", "-p", "#{pane_title}"))
}

func (s *ptySession) buffers() string { return strings.TrimSpace(s.tmux("list-buffers")) }

func (s *ptySession) keys(keys ...string) {
	for _, k := range keys {
		s.tmux("send-keys", k)
	}
}

func (s *ptySession) raw() []byte {
	b, _ := os.ReadFile(s.capture)
	return b
}

func (s *ptySession) waitPane(what string, cond func(pane string) bool) {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		p := s.pane()
		if cond(p) {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("timed out waiting for %s; pane:\n%s", what, p)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitFile waits until the file holds re, with a clear failure after 20 s.
func waitFile(t *testing.T, path, what string, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if m := re.FindStringSubmatch(string(b)); m != nil {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s in %s:\n%s", what, path, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestHostileHarness: the tmux set-up reacts to the payload when it is
// printed raw (a title change, a paste buffer), so the checks in
// TestHostileTerminal would see the payload if the monitor let it through.
func TestHostileHarness(t *testing.T) {
	s := newPtySession(t, 100, 20)
	before := s.title()
	s.tmux("send-keys", `printf '\033]0;PWNED\007\033]52;c;UFdORUQ=\007'; echo; echo printed`, "Enter")
	s.waitPane("the printf", func(p string) bool { return strings.Contains(p, "\nprinted") })
	if got := s.title(); got == before || got != "PWNED" {
		t.Errorf("raw OSC 0 left the pane title %q (was %q): the title check would see nothing", got, before)
	}
	if !strings.Contains(s.buffers(), "PWNED") {
		t.Errorf("raw OSC 52 made no paste buffer (%q): the clipboard check would see nothing", s.buffers())
	}
	waitFile(t, s.capture, "the raw escape (pipe-pane)", regexp.MustCompile("\x1b]52"))
}

// TestHostileTerminal: datagrams whose every text field carries terminal
// escapes are shown, in full-screen and accessible mode, with their visible
// words and without a single escape from the wire reaching the terminal or
// the log.
func TestHostileTerminal(t *testing.T) {
	for _, mode := range []struct {
		name  string
		flags string
		// Keys: select each of the four packets (1 is the newest) and open it.
		keys    []string
		opened  string // shown once Enter opened the oldest packet
		escapes bool   // the console itself writes escape sequences and bells
	}{
		{"full-screen", "", []string{"1", "Enter", "2", "Enter", "3", "Enter", "4", "Enter"}, "» TCP SYN from 10.0.0.1 port 1000", true},
		{"accessible", "--accessible", []string{"4", "Enter", "3", "Enter", "2", "Enter", "1", "Enter"}, "agent agentvis", false},
	} {
		t.Run(mode.name, func(t *testing.T) {
			r := runHostile(t, mode.flags, mode.keys, mode.opened)
			raw, log := r.raw, r.log
			for _, seq := range []string{"\x1b]52", "\x1b]0;", csi21t, "\u009b", "\u202e", "\u2066", "PWNED\a"} {
				if i := bytes.Index(raw, []byte(seq)); i >= 0 {
					t.Errorf("the terminal received %q from the wire: %q", seq, around(raw, i))
				}
			}
			if why := unsafeTerminalText(raw, !mode.escapes); why != "" {
				t.Errorf("the terminal received %s", why)
			}
			// The visible words of every field arrived, escapes removed.
			for _, w := range append(hostileShown, "]52;c;UFdORUQ=", "[21t", "LIVE") {
				if !bytes.Contains(raw, []byte(w)) {
					t.Errorf("the terminal never showed %q", w)
				}
			}
			if mode.name == "accessible" && !bytes.Contains(raw, []byte("agent agentvis]52;")) {
				t.Errorf("the agent id was not shown when the packet was opened")
			}
			// Full-screen shows log lines as alerts: the refused sound files are named.
			if mode.name == "full-screen" && !bytes.Contains(raw, []byte("file=\"sevis]52;")) {
				t.Errorf("the alert for the refused PACKTERSE file was not shown")
			}
			if got := r.s.title(); got != r.title {
				t.Errorf("the pane title changed from %q to %q", r.title, got)
			}
			if b := r.s.buffers(); b != "" {
				t.Errorf("a clipboard escape got through: tmux buffers %q", b)
			}
			if why := unsafeTerminalText(log, true); why != "" {
				t.Errorf("the monitor's log holds %s", why)
			}
			for _, w := range []string{"sevis]52;", "soundvis]52;", "malformed datagram dropped"} {
				if !bytes.Contains(log, []byte(w)) {
					t.Errorf("the log does not mention %q:\n%s", w, log)
				}
			}
			if r.stats[3] != "1" {
				t.Errorf("%s malformed datagrams counted, want 1 (the garbage): %s", r.stats[3], r.stats[0])
			}
		})
	}
}

// hostileShown are the visible words of the hostile datagrams' fields.
var hostileShown = []string{"descvis", "tracevis.example", "Incident: incidentvis", "earthvis", "msgvis", "voicevis"}

// hostileRun is what a run of the monitor under tmux left.
type hostileRun struct {
	s        *ptySession
	title    string   // the pane's title before the monitor started
	raw, log []byte   // the pane's raw output; the monitor's stderr
	stats    []string // the closing line, matched by statsLine
}

// runHostile runs the monitor with flags in a tmux pane, sends the hostile
// datagrams, presses keys, waits until opened is on the screen and every
// datagram was shown, and quits.
func runHostile(t *testing.T, flags string, keys []string, opened string) hostileRun {
	t.Helper()
	s := newPtySession(t, 220, 50)
	r := hostileRun{s: s, title: s.title()}
	dir := t.TempDir()
	errLog := filepath.Join(dir, "stderr")
	line := fmt.Sprintf("%s monitor %s --no-audio --wav %s --voice none --listen 127.0.0.1:0 2>%s",
		packterBin, flags, filepath.Join(dir, "heard.wav"), errLog)
	s.tmux("send-keys", line, "Enter")
	// Prompts so far: counted once the command's echo, after them, is captured.
	waitFile(t, s.capture, "the command's echo", regexp.MustCompile(regexp.QuoteMeta(errLog)))
	prompts := bytes.Count(s.raw(), []byte("READY$"))
	addr := waitFile(t, errLog, "the listening line", listeningLine)[1]
	// The console is up once it has drawn its first screen.
	s.waitPane("the console", func(p string) bool { return strings.Contains(p, "Packter console") })
	sendDatagrams(t, addr, hostileDatagrams())
	// Datagrams are handled in order: once the voice message is
	// shown, the packets before it are in the console's list.
	s.waitPane("the voice message", func(p string) bool { return strings.Contains(p, "voicevis") })
	s.keys(keys...)
	s.waitPane("every datagram shown", func(p string) bool {
		for _, w := range hostileShown {
			if !strings.Contains(p, w) {
				return false
			}
		}
		return true
	})
	s.waitPane("the oldest packet opened", func(p string) bool { return strings.Contains(p, opened) })
	if flags == "" { // full-screen: the message list too
		s.keys("h")
		s.waitPane("the message list with the sound files' alerts", func(p string) bool {
			return strings.Contains(p, "Messages received") && strings.Contains(p, "sevis") && strings.Contains(p, "soundvis")
		})
	}
	s.keys("q")
	r.stats = waitFile(t, errLog, "the closing line", statsLine)
	// The shell's next prompt: the monitor's last output reached the capture.
	for deadline := time.Now().Add(20 * time.Second); bytes.Count(s.raw(), []byte("READY$")) <= prompts; {
		if time.Now().After(deadline) {
			t.Fatalf("no shell prompt in the capture after the monitor quit:\n%q", s.raw())
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.raw = s.raw()
	r.log, _ = os.ReadFile(errLog)
	return r
}
