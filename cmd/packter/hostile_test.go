package main

// The monitor under attack, as its user lives it: memory that a flood cannot
// exhaust, a journal that a kill -9 cannot empty, and a T key that does not
// send packets to any host an attacker names (the terminal that hostile
// datagrams cannot take over is in hostile_terminal_test.go).

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

	"github.com/packter/packter/internal/syncbuf"
)

// sendDatagrams sends each of ds to addr from one socket, in order.
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
	if m := regexp.MustCompile(`packter monitor: \d+ datagrams.*`).FindString(stderr.String()); m != "" {
		t.Logf("%s", m)
	}
	if peak > 512<<10 {
		t.Errorf("peak RSS %d MiB: over the 512 MiB bound", peak>>10)
	}
}

// startMonitorKeys is startMonitor with its standard input given to the
// test: keys are read as lines from a pipe ("1" then "T" is 1, then T).
func startMonitorKeys(t *testing.T, extra ...string) (addr string, keys io.Writer, stderr *syncbuf.Buffer, stdout string) {
	t.Helper()
	args := append([]string{"monitor", "--accessible", "--no-audio", "--voice", "none", "--listen", "127.0.0.1:0"}, extra...)
	cmd := exec.Command(packterBin, args...)
	stderr = &syncbuf.Buffer{}
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
	addr = waitUntil(t, "the listening line", func() string {
		if m := listeningLine.FindStringSubmatch(stderr.String()); m != nil {
			return m[1]
		}
		return ""
	}, stderr)
	waitUntil(t, "the console", func() string { b, _ := os.ReadFile(stdout); return string(b) }, stderr)
	return addr, in, stderr, stdout
}

// waitUntil waits for get to return something, and returns it.
func waitUntil(t *testing.T, what string, get func() string, stderr fmt.Stringer) string {
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
	waitUntil(t, "the packets", fileHas(stdout, "from 10.0.0.3"), stderr)

	io.WriteString(keys, "1\nT\n") // the newest: the far host
	refusal := "not sent: the traceback client 203.0.113.9:11301 is not on this machine; allow it with --trace-client 203.0.113.9"
	waitUntil(t, "the refusal", fileHas(stdout, refusal), stderr)

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
	waitUntil(t, "the packet", fileHas(stdout, "from 10.0.0.3"), stderr)
	io.WriteString(keys, "1\nT\n")
	// The outcome: sent and no answer, or no route to send it on.
	waitUntil(t, "the trace's outcome", func() string {
		return fileHas(stdout, "No answer from the traceback client")() + fileHas(stdout, "could not send")()
	}, stderr)
	b, _ := os.ReadFile(stdout)
	if bytes.Contains(b, []byte("not on this machine")) {
		t.Errorf("--trace-client 203.0.113.9:9 did not allow it:\n%s", b)
	}
	t.Logf("allowed with --trace-client:\n%s", b)
}
