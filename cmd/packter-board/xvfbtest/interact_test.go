package xvfbtest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/internal/syncbuf"
	"github.com/packter/packter/intertrack"
	"github.com/packter/packter/protocol"
	"github.com/packter/packter/visual"
)

// xdoDisplay is an X display for a test that drives it with xdotool
// (skipped without it).
func xdoDisplay(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("xdotool"); err != nil {
		t.Skip("xdotool is not installed (scripts/setup.sh test installs it)")
	}
	return xvfb(t)
}

// traceClient is a UDP socket standing for the traceback client a record's
// description names, closed at the test's end.
func traceClient(t *testing.T) net.PacketConn {
	t.Helper()
	tc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tc.Close() })
	return tc
}

// xdo runs xdotool on the test's display.
func xdo(t *testing.T, display string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "xdotool", args...)
	cmd.Env = env(display)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("xdotool %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// press holds a key down for 0.15 s and lets go for as long, as
// a person does: the board reads the keyboard once per frame, and a press and
// release (or a release and the next press) inside one frame would go unseen.
func press(t *testing.T, display, key string) {
	xdo(t, display, "keydown", key, "sleep", "0.15", "keyup", key, "sleep", "0.15")
}

// TestClickTraceAndTimeline drives the real board with the mouse and keys:
// a click on a ball selects it, T sends it to the traceback client its
// description names (a UDP socket of this test), and Space, B and L ask the
// monitor's timeline to pause, rewind and go live.
func TestClickTraceAndTimeline(t *testing.T) {
	d := xdoDisplay(t)
	tc := traceClient(t)
	const hash = "0123456789abcdef0123456789abcdef"
	evs := records()[:2]
	evs[0].Desc = event.CleanText(hash+"-"+tc.LocalAddr().String(), event.MaxText)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, board, "--stdin", "--vsync=false", "--fly", "1h", "--size", fmt.Sprintf("%dx%d", W, H))
	cmd.Env = env(d)
	var stderr syncbuf.Buffer
	cmd.Stderr = &stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { in.Close(); cmd.Wait() }() // closing the feed ends the board
	if _, err := in.Write(journalLines(evs)); err != nil {
		t.Fatal(err)
	}
	reqs := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			reqs <- sc.Text()
		}
	}()

	win := xdo(t, d, "search", "--sync", "--onlyvisible", "--name", "Packter board")
	win = strings.Fields(win)[0]
	xdo(t, d, "windowfocus", "--sync", win)

	x, y, _, _ := func() (float32, float32, float32, bool) {
		cam := visual.NewCamera(W, H)
		return cam.Project(visual.SenderPoint(&evs[0]))
	}()
	buf := make([]byte, 2048)
	got := ""
	// The ball appears within a frame or two of the window; click and press
	// T until the trace arrives (each try waits for it for a second).
	for try := 0; try < 10 && got == ""; try++ {
		xdo(t, d, "mousemove", "--window", win, fmt.Sprint(int(x)), fmt.Sprint(int(y)),
			"mousedown", "1", "sleep", "0.15", "mouseup", "1", "sleep", "0.15")
		press(t, d, "t")
		tc.SetReadDeadline(time.Now().Add(time.Second))
		if n, _, err := tc.ReadFrom(buf); err == nil {
			got = string(buf[:n])
		}
	}
	if want := string(intertrack.AppendTraceRecord(nil, &evs[0])); got != want {
		t.Fatalf("traceback client got %q, want %q", got, want)
	}

	for _, c := range []struct{ key, want string }{
		{"space", `{"cmd":"pause"}`},
		{"space", `{"cmd":"resume"}`},
		{"b", `{"cmd":"rewind","seconds":10}`},
		{"l", `{"cmd":"live"}`},
	} {
		press(t, d, c.key)
		select {
		case r := <-reqs:
			if r != c.want {
				t.Errorf("key %s: board asked %s, want %s", c.key, r, c.want)
			}
			if _, err := visual.DecodeRequest([]byte(r)); err != nil {
				t.Errorf("request does not decode: %v", err)
			}
		case <-time.After(10 * time.Second):
			shot := xdo(t, d, "getwindowfocus")
			t.Fatalf("key %s: no request from the board (focus %s, board window %s)\n%s", c.key, shot, win, stderr.String())
		}
	}
}

// TestStandaloneTimeline: the standalone board keeps its own timeline; B
// rewinds it (the readout says REWIND and how far back), Space pauses it
// (PAUSED), L returns to LIVE.
func TestStandaloneTimeline(t *testing.T) {
	d := xdoDisplay(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, board, "--listen", "127.0.0.1:0", "--readout", "--vsync=false", "--fly", "1h", "--size", fmt.Sprintf("%dx%d", W, H))
	cmd.Env = env(d)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	addr := ""
	for l := range lines {
		if a, ok := strings.CutPrefix(l, "packter-board: listening on "); ok {
			addr = a
			break
		}
	}
	if addr == "" {
		t.Fatal("the board never said where it listens")
	}
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	evs := records()[:2]
	recs := make([]protocol.Record, len(evs))
	for i, ev := range evs {
		recs[i] = protocol.Record{Src: ev.Src, Dst: ev.Dst, SPort: ev.SPort, DPort: ev.DPort, Flag: ev.Flag, Desc: []byte("x")}
	}
	// Steady traffic, so a rewind has a past to play back that live keeps
	// ahead of.
	dgram := protocol.AppendPacket(nil, recs...)
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				c.Write(dgram)
			}
		}
	}()
	// waitFor reads readout lines until one says want (and has the records).
	waitFor := func(want string) {
		t.Helper()
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("the board exited before saying %s", want)
				}
				if strings.Contains(l, "readout "+want) && strings.Contains(l, "received=") && !strings.Contains(l, "received=0 ") {
					return
				}
			case <-ctx.Done():
				t.Fatalf("no readout saying %s", want)
			}
		}
	}
	waitFor("LIVE")
	win := strings.Fields(xdo(t, d, "search", "--sync", "--onlyvisible", "--name", "Packter board"))[0]
	xdo(t, d, "windowfocus", "--sync", win)
	for _, c := range []struct{ key, want string }{{"b", "REWIND −0:"}, {"space", "PAUSED −0:"}, {"l", "LIVE"}} {
		press(t, d, c.key)
		waitFor(c.want)
	}
}
