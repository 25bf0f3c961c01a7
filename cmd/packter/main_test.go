package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/packter/packter/internal/syncbuf"
)

// The tests drive the real binary, as users and scripts do.
var packterBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "packter-bin")
	if err != nil {
		panic(err)
	}
	packterBin = filepath.Join(dir, "packter")
	if out, err := exec.Command("go", "build", "-o", packterBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building packter: %v\n%s", err, out)
		os.Exit(1)
	}
	// The monitor finds packter-board beside itself.
	if out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "packter-board"), "../packter-board").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building packter-board: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func packter(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(packterBin, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), 0
}

func TestCLIContract(t *testing.T) {
	for _, c := range commands() {
		out, _, code := packter(t, c.name, "--help")
		if code != 0 || !strings.Contains(out, "usage: packter "+c.name) {
			t.Errorf("%s --help: exit %d, output %q", c.name, code, out)
		}
		_, errOut, code := packter(t, c.name, "--no-such-flag")
		if code != 2 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, "no-such-flag") {
			t.Errorf("%s with a bad flag: exit %d, stderr %q (want 2 and one line)", c.name, code, errOut)
		}
	}
	if _, _, code := packter(t, "nonsense"); code != 2 {
		t.Errorf("unknown command: exit %d", code)
	}
	if out, _, code := packter(t, "--help"); code != 0 || !strings.Contains(out, "monitor") {
		t.Errorf("--help: exit %d %q", code, out)
	}
}

var listeningLine = regexp.MustCompile(`packter \w+: listening on UDP (\S+)`)

// startMonitor runs `packter monitor` in accessible mode on a port the
// monitor picks itself (no free-port race) and waits until it says where it
// listens and its console has started (its first line on stdout).
func startMonitor(t *testing.T, extra ...string) (addr string, cmd *exec.Cmd, stderr *syncbuf.Buffer, out *os.File) {
	t.Helper()
	args := append([]string{"monitor", "--accessible", "--no-audio", "--voice", "none", "--listen", "127.0.0.1:0"}, extra...)
	cmd = exec.Command(packterBin, args...)
	stderr = &syncbuf.Buffer{}
	cmd.Stderr = stderr
	f, err := os.Create(filepath.Join(t.TempDir(), "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = f
	stdin, _ := cmd.StdinPipe() // keys: none; kept open so the console waits
	t.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := listeningLine.FindStringSubmatch(stderr.String()); m != nil && addr == "" {
			addr = m[1]
		}
		if b, _ := os.ReadFile(f.Name()); len(b) > 0 && addr != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("monitor did not start: %s", stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return addr, cmd, stderr, f
}

var statsLine = regexp.MustCompile(`packter monitor: (\d+) datagrams, (\d+) events, (\d+) malformed, (\d+) bad lines, (\d+) unauthorized, (\d+) replayed, (\d+) dropped`)

func stop(t *testing.T, cmd *exec.Cmd, sig syscall.Signal) {
	t.Helper()
	cmd.Process.Signal(sig)
	done := make(chan error)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("monitor exited with %v after %v", err, sig)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("monitor did not end on %v", sig)
	}
}

// rxQueue is how many bytes wait in the kernel for the UDP socket bound to addr.
func rxQueue(t *testing.T, addr string) int {
	_, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	want := fmt.Sprintf(":%04X", p)
	b, err := os.ReadFile("/proc/net/udp")
	if err != nil {
		t.Skip("no /proc/net/udp to watch the socket queue")
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) > 4 && strings.HasSuffix(f[1], want) {
			_, rx, _ := strings.Cut(f[4], ":")
			n, _ := strconv.ParseInt(rx, 16, 64)
			return int(n)
		}
	}
	return 0
}

func peakRSS(t *testing.T, pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			f := strings.Fields(l)
			kb, _ := strconv.Atoi(f[1])
			return kb
		}
	}
	return -1
}

// TestGarbageFlood: a million datagrams, a tenth of them malformed, as fast as
// the sender can: the monitor stays up, memory stays bounded, and every
// datagram is accounted for (handled, malformed, or counted as dropped).
func TestGarbageFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("sends a million datagrams")
	}
	addr, cmd, stderr, _ := startMonitor(t, "--timeline", "200000")
	out, errOut, code := packter(t, "send", "-v", addr, "--pps", "0", "--duration", "0", "--count", "900000", "--garbage", "10")
	if code != 0 {
		t.Fatalf("send: %d %s", code, errOut)
	}
	m := regexp.MustCompile(`in (\d+) datagrams \((\d+) malformed`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("send output %q", out)
	}
	sent, _ := strconv.Atoi(m[1])
	garbage, _ := strconv.Atoi(m[2])
	if sent < 999_000 || garbage < 99_000 {
		t.Fatalf("sent %d datagrams with %d malformed", sent, garbage)
	}
	// Let the monitor read what the kernel still holds for it before stopping it.
	waitFor(t, func() bool { return rxQueue(t, addr) == 0 }, stderr)
	rss := peakRSS(t, cmd.Process.Pid)
	stop(t, cmd, syscall.SIGTERM)
	s := statsLine.FindStringSubmatch(stderr.String())
	if s == nil {
		t.Fatalf("no stats line in %q", stderr.String())
	}
	n := func(i int) int { v, _ := strconv.Atoi(s[i]); return v }
	handled, malformed, dropped := n(1), n(3), n(7)
	if handled+dropped != sent {
		t.Errorf("handled %d + dropped %d != sent %d", handled, dropped, sent)
	}
	if handled > 0 && (malformed == 0 || float64(malformed)/float64(handled) > 0.2) {
		t.Errorf("malformed %d of %d handled", malformed, handled)
	}
	if rss > 600_000 {
		t.Errorf("peak RSS %d kB: not bounded", rss)
	}
	t.Logf("sent %d, handled %d (%d malformed), dropped %d, peak RSS %d kB", sent, handled, malformed, dropped, rss)
}

// TestSignalsFlushJournal: SIGINT and SIGTERM end the monitor cleanly with
// every event in the journal.
func TestSignalsFlushJournal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			journal := filepath.Join(t.TempDir(), "j.jsonl")
			addr, cmd, stderr, stdout := startMonitor(t, "--record", journal)
			if _, e, code := packter(t, "send", "-v", addr, "--pps", "0", "--count", "500", "--duration", "0"); code != 0 {
				t.Fatal(e)
			}
			// A voice message after the records: once the console prints it,
			// the monitor has handled every datagram before it (one socket,
			// handled in order), so the signal cannot come before the records.
			c, err := net.Dial("udp", addr)
			if err != nil {
				t.Fatal(err)
			}
			c.Write([]byte("PACKTERVOICE\nend of the records"))
			c.Close()
			waitFor(t, func() bool {
				b, _ := os.ReadFile(stdout.Name())
				return bytes.Contains(b, []byte("end of the records"))
			}, stderr)
			stop(t, cmd, sig)
			b, err := os.ReadFile(journal)
			if err != nil {
				t.Fatal(err)
			}
			s := statsLine.FindStringSubmatch(stderr.String())
			if s == nil {
				t.Fatalf("no stats line: %s", stderr)
			}
			events, _ := strconv.Atoi(s[2])
			if lines := bytes.Count(b, []byte("\n")); lines != events || events < 501 {
				t.Errorf("journal has %d lines for %d events, want 501 or more", lines, events)
			}
		})
	}
}

func waitFor(t *testing.T, cond func() bool, stderr fmt.Stringer) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met: %s", stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestReplay: a journal recorded by one monitor plays back through another.
func TestReplay(t *testing.T) {
	journal := filepath.Join(t.TempDir(), "j.jsonl")
	var lines []string
	for i := 0; i < 20; i++ {
		lines = append(lines, fmt.Sprintf(`{"time":"2026-11-28T12:00:00.%03dZ","kind":"packet","src":"10.0.0.%d","dst":"192.0.2.1","sport":%d,"dport":80,"flag":1,"desc":"d"}`, i*10, i+1, 40000+i))
	}
	lines = append(lines, `{"time":"2026-11-28T12:00:01Z","kind":"voice","text":"replayed voice"}`)
	os.WriteFile(journal, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	out2 := filepath.Join(t.TempDir(), "again.jsonl")
	_, cmd, stderr, stdout := startMonitor(t, "--replay", journal, "--speed", "0", "--record", out2)
	waitFor(t, func() bool {
		b, _ := os.ReadFile(stdout.Name())
		return bytes.Contains(b, []byte("replayed voice"))
	}, stderr)
	stop(t, cmd, syscall.SIGTERM)
	b, _ := os.ReadFile(out2)
	if n := bytes.Count(b, []byte("\n")); n != 21 {
		t.Errorf("re-recorded %d events, want 21", n)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Scan()
	if !strings.Contains(sc.Text(), `"src":"10.0.0.1"`) {
		t.Errorf("first replayed event %s", sc.Text())
	}
}

// espeakLogger puts a wrapper for espeak-ng first on PATH that logs every
// utterance (one per line) to the returned file, then lets the real espeak-ng
// speak it: tests read the words a listener heard.
func espeakLogger(t *testing.T) (path, log string) {
	t.Helper()
	real, err := exec.LookPath("espeak-ng")
	if err != nil {
		t.Skip("espeak-ng is not installed (scripts/setup.sh installs it)")
	}
	dir := t.TempDir()
	log = filepath.Join(dir, "spoken.log")
	script := "#!/bin/sh\ntext=$(cat)\nprintf '%s\\n' \"$text\" >>" + log + "\nprintf '%s' \"$text\" | exec " + real + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "espeak-ng"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir + string(os.PathListSeparator) + os.Getenv("PATH"), log
}

// TestDemoEndToEnd: the main job on the bundled sample, sped up, as a
// screen-reader user drives it: keys come in on stdin (a search selects a
// packet from outside, T traces it), the trace's outcome is printed and
// spoken with exact AS numbers, the flood is announced, and the WAV holds
// what was heard.
func TestDemoEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("plays the sample")
	}
	pathEnv, spokenLog := espeakLogger(t)
	wav := filepath.Join(t.TempDir(), "demo.wav")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, packterBin, "demo", "--accessible", "--no-audio", "--wav", wav, "--speed", "10", "--voice", "espeak-ng", "--speak", "printed")
	cmd.Env = append(os.Environ(), "PATH="+pathEnv)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var e bytes.Buffer
	cmd.Stderr = &e
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	sc := bufio.NewScanner(stdout)
	asked := false
	for sc.Scan() {
		line := sc.Text()
		out.WriteString(line + "\n")
		if !asked && strings.HasPrefix(line, "Summary:") {
			// Find a packet from the example network in AS 64540, trace it.
			io.WriteString(stdin, "/\nfrom 93.184.216.34\nT\n")
			asked = true
		}
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("demo: %v\n%s", err, e.String())
	}
	printed := out.String()
	if !strings.Contains(printed, "SYN flood toward 192.168.1.20") {
		t.Errorf("demo output lacks the flood alert:\n%s", printed)
	}
	// The sample holds web traffic from 93.184.216.34 on ports 80 and 443,
	// and its ping replies: which one the search finds first depends on
	// when the key arrives.
	if !traceOutcome.MatchString(printed) {
		t.Errorf("demo output lacks %q:\n%s", traceOutcome, printed)
	}
	b, _ := os.ReadFile(spokenLog)
	spoken := string(b)
	for _, want := range []string{"Packter demo.", "SYN flood toward", "came from A S 64540, through A S 64510"} {
		if !strings.Contains(spoken, want) {
			t.Errorf("never spoken: %q; spoken:\n%s", want, spoken)
		}
	}
	if strings.Contains(spoken, "65 thousand") {
		t.Errorf("an AS number was rounded when spoken:\n%s", spoken)
	}
	if n := strings.Count(spoken, "came from A S 64540"); n != 1 {
		t.Errorf("the trace outcome was said %d times, want once:\n%s", n, spoken)
	}
	fi, err := os.Stat(wav)
	if err != nil || fi.Size() < 48000*4 {
		t.Fatalf("wav: %v", err)
	}
	b, _ = os.ReadFile(wav)
	var peak int
	for i := 44; i+1 < len(b); i += 2 {
		v := int(int16(uint16(b[i]) | uint16(b[i+1])<<8))
		if v < 0 {
			v = -v
		}
		peak = max(peak, v)
	}
	if peak < 1000 {
		t.Errorf("demo WAV is near silent (peak %d)", peak)
	}
}

var traceOutcome = regexp.MustCompile(`from 93\.184\.216\.34 (port (80|443)|type 0) succeeded: the packet came from AS 64540, through AS 64510`)

// TestMonitorFeedsBoard: `packter monitor --board` starts packter-board under a
// real X server (Xvfb), feeds it what arrives, and the board draws it: its
// screenshot shows the flag colours of the records sent.
func TestMonitorFeedsBoard(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Xvfb")
	}
	xvfb, err := exec.LookPath("Xvfb")
	if err != nil {
		t.Skip("Xvfb is not installed (scripts/setup.sh test installs it)")
	}
	// -displayfd: Xvfb picks a free display and says which once it accepts
	// connections, so parallel tests never share or race for one.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	x := exec.Command(xvfb, "-displayfd", "3", "-screen", "0", "1024x768x24", "-nolisten", "tcp")
	x.ExtraFiles = []*os.File{w}
	if err := x.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { x.Process.Kill(); x.Wait() })
	line, err := bufio.NewReader(r).ReadString('\n')
	r.Close()
	if err != nil {
		t.Fatalf("Xvfb did not start: %v", err)
	}
	display := ":" + strings.TrimSpace(line)
	t.Setenv("DISPLAY", display)

	png := filepath.Join(t.TempDir(), "board.png")
	addr, cmd, stderr, _ := startMonitor(t, "--board", "--board-flags", "--vsync=false --wait-records 20 --frames 20 --screenshot "+png)
	// SYN records only (class 1, blue): the screenshot must show that blue.
	if _, e, code := packter(t, "send", "-v", addr, "--pps", "200", "--duration", "3s", "--udp", "0", "--icmp", "0", "--fin", "0", "--ipv6", "0", "--syn", "100"); code != 0 {
		t.Fatal(e)
	}
	waitFor(t, func() bool { fi, err := os.Stat(png); return err == nil && fi.Size() > 0 }, stderr)
	stop(t, cmd, syscall.SIGTERM)
	f, err := os.Open(png)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := decodePNG(f)
	if err != nil {
		t.Fatal(err)
	}
	blue := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 < 40 && g>>8 < 40 && bl>>8 > 200 {
				blue++
			}
		}
	}
	// The legend's own blue dot is a few dozen pixels; balls add hundreds.
	if blue < 500 {
		t.Errorf("the board shows %d blue (SYN) pixels; the records did not reach it", blue)
	}
}

func decodePNG(r io.Reader) (image.Image, error) { return png.Decode(r) }
