package main

// The monitor under attack, as its user lives it: a terminal that hostile
// datagrams cannot take over, memory that a flood cannot exhaust, a journal
// that a kill -9 cannot empty, and a T key that does not send packets to any
// host an attacker names.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
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

func sendDatagrams(t *testing.T, addr string, ds [][]byte) {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, d := range ds {
		if _, err := c.Write(d); err != nil {
			t.Fatalf("sending to the monitor: %v", err)
		}
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
	if !bytes.Contains(s.raw(), []byte("\x1b]52")) {
		t.Error("pipe-pane did not capture the raw escape")
	}
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
			s := newPtySession(t, 220, 50)
			title := s.title()
			dir := t.TempDir()
			errLog := filepath.Join(dir, "stderr")
			line := fmt.Sprintf("%s monitor %s --no-audio --wav %s --voice none --listen 127.0.0.1:0 2>%s",
				packterBin, mode.flags, filepath.Join(dir, "heard.wav"), errLog)
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
			s.keys(mode.keys...)
			shown := []string{"descvis", "tracevis.example", "Incident: incidentvis", "earthvis", "msgvis", "voicevis"}
			s.waitPane("every datagram shown", func(p string) bool {
				for _, w := range shown {
					if !strings.Contains(p, w) {
						return false
					}
				}
				return true
			})
			s.waitPane("the oldest packet opened", func(p string) bool { return strings.Contains(p, mode.opened) })
			if mode.name == "full-screen" {
				s.keys("h")
				s.waitPane("the message list", func(p string) bool { return strings.Contains(p, "Messages received") })
			}
			s.keys("q")
			stats := waitFile(t, errLog, "the closing line", statsLine)
			// The shell's next prompt: the monitor's last output reached the capture.
			for deadline := time.Now().Add(20 * time.Second); bytes.Count(s.raw(), []byte("READY$")) <= prompts; {
				if time.Now().After(deadline) {
					t.Fatalf("no shell prompt in the capture after the monitor quit:\n%q", s.raw())
				}
				time.Sleep(50 * time.Millisecond)
			}
			raw := s.raw()
			for _, seq := range []string{"\x1b]52", "\x1b]0;", csi21t, "\u009b", "\u202e", "\u2066", "PWNED\a"} {
				if i := bytes.Index(raw, []byte(seq)); i >= 0 {
					t.Errorf("the terminal received %q from the wire: %q", seq, around(raw, i))
				}
			}
			if why := unsafeTerminalText(raw, !mode.escapes); why != "" {
				t.Errorf("the terminal received %s", why)
			}
			// The visible words of every field arrived, escapes removed.
			for _, w := range append(shown, "]52;c;UFdORUQ=", "[21t", "LIVE") {
				if !bytes.Contains(raw, []byte(w)) {
					t.Errorf("the terminal never showed %q", w)
				}
			}
			if mode.name == "accessible" && !bytes.Contains(raw, []byte("agent agentvis]52;")) {
				t.Errorf("the agent id was not shown when the packet was opened")
			}
			if got := s.title(); got != title {
				t.Errorf("the pane title changed from %q to %q", title, got)
			}
			if b := s.buffers(); b != "" {
				t.Errorf("a clipboard escape got through: tmux buffers %q", b)
			}
			log, _ := os.ReadFile(errLog)
			if why := unsafeTerminalText(log, true); why != "" {
				t.Errorf("the monitor's log holds %s", why)
			}
			for _, w := range []string{"sevis]52;", "soundvis]52;", "malformed datagram dropped"} {
				if !bytes.Contains(log, []byte(w)) {
					t.Errorf("the log does not mention %q:\n%s", w, log)
				}
			}
			if stats[3] != "1" {
				t.Errorf("%s malformed datagrams counted, want 1 (the garbage): %s", stats[3], stats[0])
			}
		})
	}
}

// journalLines checks a journal: every line is a JSON object, except that
// the last may be cut (no newline) by a kill. It returns the complete lines.
func journalLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	if last := lines[len(lines)-1]; !strings.HasSuffix(last, "\n") {
		if last != "" {
			t.Logf("a partial last line (%d bytes) after the kill", len(last))
		}
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("journal line %d is not JSON (%v): %q", i+1, err, l)
		}
	}
	return lines
}

// TestJournalSurvivesKill: kill -9 takes at most the last second of events
// from the journal, never the file; a new monitor appends to it.
func TestJournalSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("sends for ten seconds")
	}
	journal := filepath.Join(t.TempDir(), "j.jsonl")
	addr, cmd, stderr, _ := startMonitor(t, "--record", journal)
	if _, e, code := packter(t, "send", "-v", addr, "--pps", "10", "--count", "100", "--duration", "0"); code != 0 {
		t.Fatalf("send: %s", e)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	before := journalLines(t, journal)
	t.Logf("%d of 100 events in the journal after kill -9", len(before))
	if len(before) < 90 {
		t.Errorf("the journal kept %d of 100 events after kill -9, want 90 or more (at most a second lost)\n%s", len(before), stderr)
	}

	addr, cmd, stderr, stdout := startMonitor(t, "--record", journal)
	if _, e, code := packter(t, "send", "-v", addr, "--pps", "0", "--count", "10", "--duration", "0"); code != 0 {
		t.Fatalf("send: %s", e)
	}
	sendDatagrams(t, addr, [][]byte{[]byte("PACKTERVOICE\nafter the restart")})
	waitFor(t, func() bool {
		b, _ := os.ReadFile(stdout.Name())
		return bytes.Contains(b, []byte("after the restart"))
	}, stderr)
	stop(t, cmd, syscall.SIGTERM)
	after := journalLines(t, journal)
	if len(after) < len(before)+11 {
		t.Errorf("after the restart the journal has %d lines, want %d or more", len(after), len(before)+11)
	}
	for i := range before {
		if i >= len(after) || after[i] != before[i] {
			t.Fatalf("line %d changed after the restart: the journal was not appended to", i+1)
		}
	}
}

// memSample is one reading of the monitor's /proc status.
type memSample struct {
	at       time.Duration
	rss, hwm int // kB
}

func readMem(pid int) (rss, hwm int, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var kb int
		if n, _ := fmt.Sscanf(sc.Text(), "VmRSS: %d kB", &kb); n == 1 {
			rss = kb
		}
		if n, _ := fmt.Sscanf(sc.Text(), "VmHWM: %d kB", &kb); n == 1 {
			hwm = kb
		}
	}
	return rss, hwm, hwm > 0
}

// sampleMem reads the monitor's memory every 100 ms until stop is closed.
func sampleMem(pid int, stop <-chan struct{}) <-chan []memSample {
	out := make(chan []memSample, 1)
	go func() {
		var s []memSample
		start := time.Now()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			if rss, hwm, ok := readMem(pid); ok {
				s = append(s, memSample{time.Since(start), rss, hwm})
			}
			select {
			case <-stop:
				out <- s
				return
			case <-tick.C:
			}
		}
	}()
	return out
}

// floodJunk sends 60 KB datagrams of junk until stop is closed and returns
// how many it sent.
func floodJunk(addr string, stop <-chan struct{}) (int, error) {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	junk := make([]byte, 60<<10)
	for i := range junk {
		junk[i] = byte(i*131 + i>>8) // every byte value, escapes included
	}
	n := 0
	for {
		select {
		case <-stop:
			return n, nil
		default:
		}
		junk[0] = byte(n)
		if _, err := c.Write(junk); err == nil {
			n++
		}
	}
}

// TestFloodMemoryBounded: ten seconds of everything at once — single
// records with half garbage, 200-record bulk datagrams, 60 KB junk — from
// three senders; the monitor's peak RSS stays under 512 MiB, and a voice
// message sent after the flood is printed: no backlog hides what comes next.
func TestFloodMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("floods the monitor for ten seconds")
	}
	addr, cmd, stderr, stdout := startMonitor(t)
	pid := cmd.Process.Pid
	stopSampling := make(chan struct{})
	samples := sampleMem(pid, stopSampling)

	var wg sync.WaitGroup
	outs := make([]string, 2)
	for i, extra := range [][]string{{"--garbage", "50"}, {"--bulk", "200"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			args := append([]string{"send", "-v", addr, "--pps", "0", "--duration", "10s", "--seed", fmt.Sprint(i + 1)}, extra...)
			out, e, code := packter(t, args...)
			if code != 0 {
				t.Errorf("send %v: exit %d: %s", extra, code, e)
			}
			outs[i] = strings.TrimSpace(out)
		}()
	}
	stopJunk := make(chan struct{})
	junkSent := make(chan int, 1)
	go func() {
		n, err := floodJunk(addr, stopJunk)
		if err != nil {
			t.Error(err)
		}
		junkSent <- n
	}()
	wg.Wait()
	close(stopJunk)
	junk := <-junkSent

	// UDP may lose the marker while the socket's queue is still full, so it
	// is sent again every 250 ms until it is printed; the time counts from
	// the first.
	sent := time.Now()
	marker := [][]byte{[]byte("PACKTERVOICE\nthe flood is over")}
	tries, recovered := 0, time.Duration(0)
	for deadline := sent.Add(30 * time.Second); recovered == 0; {
		if time.Since(sent) >= time.Duration(tries)*250*time.Millisecond {
			sendDatagrams(t, addr, marker)
			tries++
		}
		b, _ := os.ReadFile(stdout.Name())
		switch {
		case bytes.Contains(b, []byte("the flood is over")):
			recovered = time.Since(sent)
		case time.Now().After(deadline):
			close(stopSampling)
			t.Fatalf("a voice message sent after the flood (%d times) was not printed within 30 s: the monitor did not recover; memory %v\n%s",
				tries, <-samples, stderr)
		default:
			time.Sleep(10 * time.Millisecond)
		}
	}
	close(stopSampling)
	s := <-samples
	stop(t, cmd, syscall.SIGTERM)

	peak := 0
	for _, m := range s {
		peak = max(peak, m.hwm)
	}
	t.Logf("senders: %q; %d junk datagrams of 60 KB", outs, junk)
	t.Logf("peak RSS (VmHWM) %d MiB over %d samples; last RSS %d MiB", peak>>10, len(s), s[len(s)-1].rss>>10)
	t.Logf("the voice message sent after the flood was printed after %v (%d sent)", recovered.Round(time.Millisecond), tries)
	if m := statsLine.FindString(stderr.String()); m != "" {
		t.Logf("%s", m)
	}
	if peak > 512<<10 {
		t.Errorf("peak RSS %d MiB: over the 512 MiB bound", peak>>10)
	}
}

// startMonitorKeys is startMonitor with its standard input given to the
// test: keys are read as lines from a pipe ("1" then "T" is 1, then T).
func startMonitorKeys(t *testing.T, extra ...string) (addr string, keys io.Writer, stderr *syncBuffer, stdout string) {
	t.Helper()
	args := append([]string{"monitor", "--accessible", "--no-audio", "--voice", "none", "--listen", "127.0.0.1:0"}, extra...)
	cmd := exec.Command(packterBin, args...)
	stderr = &syncBuffer{}
	cmd.Stderr = stderr
	stdout = filepath.Join(t.TempDir(), "stdout")
	f, err := os.Create(stdout)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd.Stdout = f
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close(); cmd.Process.Kill(); cmd.Wait() })
	addr = waitFor2(t, "the listening line", func() string {
		if m := listeningLine.FindStringSubmatch(stderr.String()); m != nil {
			return m[1]
		}
		return ""
	}, stderr)
	waitFor2(t, "the console", func() string { b, _ := os.ReadFile(stdout); return string(b) }, stderr)
	return addr, in, stderr, stdout
}

// waitFor2 waits for get to return something, and returns it.
func waitFor2(t *testing.T, what string, get func() string, stderr fmt.Stringer) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if v := get(); v != "" {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; stderr:\n%s", what, stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func fileHas(path, s string) func() string {
	return func() string {
		b, _ := os.ReadFile(path)
		if i := strings.Index(string(b), s); i >= 0 {
			return s
		}
		return ""
	}
}

// TestTraceOnlyToTrustedClients: a description from the network can name
// any host:port as its traceback client; T sends the record there only if
// it is on this machine (or allowed with --trace-client), and otherwise says
// why nothing was sent.
func TestTraceOnlyToTrustedClients(t *testing.T) {
	const hash = "0123456789abcdef0123456789abcdef"
	tc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	addr, keys, stderr, stdout := startMonitorKeys(t)
	sendDatagrams(t, addr, [][]byte{
		[]byte("PACKTER\n10.0.0.1,10.0.0.2,1000,80,1," + hash + "-" + tc.LocalAddr().String()),
		[]byte("PACKTER\n10.0.0.3,10.0.0.4,1000,80,1," + hash + "-203.0.113.9"),
	})
	waitFor2(t, "the packets", fileHas(stdout, "from 10.0.0.3"), stderr)

	io.WriteString(keys, "1\nT\n") // the newest: the far host
	refusal := "not sent: the traceback client 203.0.113.9:11301 is not on this machine; allow it with --trace-client 203.0.113.9"
	waitFor2(t, "the refusal", fileHas(stdout, refusal), stderr)

	io.WriteString(keys, "2\nT\n") // the loopback client
	tc.SetReadDeadline(time.Now().Add(20 * time.Second))
	buf := make([]byte, 2048)
	n, _, err := tc.ReadFrom(buf)
	if err != nil || !bytes.Contains(buf[:n], []byte("10.0.0.1,10.0.0.2,1000,80,1,"+hash)) {
		t.Fatalf("the traceback client on loopback got %q, %v", buf[:n], err)
	}

	help, _, _ := packter(t, "monitor", "--help")
	if !strings.Contains(help, "-trace-client") {
		t.Skip("packter monitor has no --trace-client flag yet (viewer.Options.TraceClients is not wired)")
	}
	// Allowed by name: the record is sent (to a documentation address, so
	// it goes nowhere, or fails to go for want of a route: either way past
	// the check).
	addr, keys, stderr, stdout = startMonitorKeys(t, "--trace-client", "203.0.113.9:9", "--trace-timeout", "1s")
	sendDatagrams(t, addr, [][]byte{[]byte("PACKTER\n10.0.0.3,10.0.0.4,1000,80,1," + hash + "-203.0.113.9:9")})
	waitFor2(t, "the packet", fileHas(stdout, "from 10.0.0.3"), stderr)
	io.WriteString(keys, "1\nT\n")
	// The outcome: sent and no answer, or no route to send it on.
	waitFor2(t, "the trace's outcome", func() string {
		return fileHas(stdout, "No answer from the traceback client")() + fileHas(stdout, "could not send")()
	}, stderr)
	b, _ := os.ReadFile(stdout)
	if bytes.Contains(b, []byte("not on this machine")) {
		t.Errorf("--trace-client 203.0.113.9:9 did not allow it:\n%s", b)
	}
	t.Logf("allowed with --trace-client:\n%s", b)
}
