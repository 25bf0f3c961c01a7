package xvfbtest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/journal"
	"github.com/packter/packter/protocol"
	"github.com/packter/packter/visual"
)

const W, H = 1024, 640

var board string // the built binary

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "packter-board-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	board = filepath.Join(dir, "packter-board")
	out, err := exec.Command("go", "build", "-o", board, "github.com/packter/packter/cmd/packter-board").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building packter-board: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// env returns the environment without any display.
func env(display string) []string {
	var e []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DISPLAY=") && !strings.HasPrefix(kv, "WAYLAND_DISPLAY=") {
			e = append(e, kv)
		}
	}
	if display != "" {
		e = append(e, "DISPLAY="+display)
	}
	return e
}

// xvfb starts a private X server and returns its DISPLAY. Xvfb writes the
// display number on -displayfd once it accepts connections.
func xvfb(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		t.Skip("Xvfb is not installed (scripts/setup.sh test installs it)")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x1024x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(r).ReadString('\n')
	r.Close()
	if err != nil {
		t.Fatalf("Xvfb did not start: %v", err)
	}
	return ":" + strings.TrimSpace(line)
}

func TestNoDisplayIsOneSentence(t *testing.T) {
	for _, c := range []struct{ name, display string }{{"unset", ""}, {"dead", ":31999"}} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(board, "--stdin")
			cmd.Env = env(c.display)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
				t.Fatalf("exit %v, want 1", err)
			}
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], "no display") || strings.Contains(stderr.String(), "panic") {
				t.Errorf("stderr %q, want one sentence about the display", stderr.String())
			}
		})
	}
	cmd := exec.Command(board, "--help")
	cmd.Env = env("")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("--help without a display: %v", err)
	}
	for _, f := range []string{"--listen", "--stdin", "--assets", "--screenshot", "--frames", "--wait-records", "--synthetic", "--measure", "--budget", "--readout", "-d "} {
		if !bytes.Contains(out, []byte(f)) {
			t.Errorf("help does not mention %s", f)
		}
	}
}

// TestBadFlag: a bad flag is one line and exit 2, with a display or without
// (the flags are checked before the display is opened), and nothing from the
// X library.
func TestBadFlag(t *testing.T) {
	for _, display := range []string{xvfb(t), ""} {
		cmd := exec.Command(board, "--size", "huge")
		cmd.Env = env(display)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Fatalf("DISPLAY=%q: exit %v, want 2", display, err)
		}
		if lines := strings.Split(strings.TrimSpace(stderr.String()), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "--size") {
			t.Errorf("DISPLAY=%q: stderr %q, want one line naming --size", display, stderr.String())
		}
	}
}

// TestFlagsBeforeEbiten: the flags are checked in an init that runs before
// Ebiten's UI package opens the display (Go's init order, which an import
// added to package needdisplay could change).
func TestFlagsBeforeEbiten(t *testing.T) {
	cmd := exec.Command(board, "--size", "huge")
	cmd.Env = append(env(xvfb(t)), "GODEBUG=inittrace=1")
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), "init github.com/jezek/xgb ") {
		t.Skipf("no init trace to judge by:\n%s", out)
	}
	if strings.Contains(string(out), "ebiten/v2/internal/ui ") {
		t.Errorf("Ebiten's UI package was initialised before the flags were checked:\n%s", out)
	}
}

// TestStatusLinesAndReadout: the board's stderr holds only its own status
// lines (no X library noise), and --readout prints the frame rate and the
// balls in flight once a second.
func TestStatusLinesAndReadout(t *testing.T) {
	d := xvfb(t)
	shot := filepath.Join(t.TempDir(), "frame.png")
	cmd := exec.Command(board, "--synthetic", "2000", "--readout", "--screenshot", shot, "--frames", "150", "--size", fmt.Sprintf("%dx%d", W, H))
	cmd.Env = env(d)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("board: %v\n%s", err, stderr.String())
	}
	readouts := 0
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		if !strings.HasPrefix(line, "status: ") {
			t.Errorf("stderr line %q is not a status line", line)
		}
		if strings.Contains(line, "fps=") && strings.Contains(line, "in_flight=") {
			readouts++
		}
	}
	if readouts == 0 {
		t.Errorf("no readout in %q", stderr.String())
	}
}

func rec(src string, sport uint32, dst string, dport uint32, flag int, model string) event.Event {
	return event.Event{
		Time: time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC), Kind: event.KindPacket,
		Src: protocol.AddrFrom(netip.MustParseAddr(src)), Dst: protocol.AddrFrom(netip.MustParseAddr(dst)),
		SPort: protocol.PortFrom(sport), DPort: protocol.PortFrom(dport), Flag: flag, Model: event.CleanText(model, event.MaxText), Desc: event.CleanText("test", event.MaxText),
	}
}

// records lie apart from each other and from the labels.
func records() []event.Event {
	return []event.Event{
		rec("100.0.0.1", 40000, "20.0.0.1", 50000, 1, ""),                 // blue
		rec("150.0.0.1", 20000, "90.0.0.1", 10000, 2, ""),                 // red
		rec("2001:db8::1", 50000, "2001:db8::2", 30000, 18, ""),           // IPv6 UDP: light green
		rec("200.0.0.1", 12000, "180.0.0.1", 45000, 10, ""),               // pink (flag+base 10)
		rec("60.0.0.1", 28000, "60.0.0.2", 20000, 0, protocol.FloodModel), // missile
	}
}

func wantColor(ev *event.Event) color.RGBA {
	if ev.Flood() {
		return visual.MissileColor
	}
	return visual.FlagColors[ev.Class()]
}

func shoot(t *testing.T, display string, stdin []byte, args ...string) image.Image {
	t.Helper()
	shot := filepath.Join(t.TempDir(), "frame.png")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, board, append([]string{"--screenshot", shot, "--size", fmt.Sprintf("%dx%d", W, H)}, args...)...)
	cmd.Env = env(display)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if stdin != nil {
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		in.Write(stdin) // kept open: the monitor's feed does not end
		defer in.Close()
		if err := cmd.Wait(); err != nil {
			t.Fatalf("board: %v\n%s", err, stderr.String())
		}
	} else if err := cmd.Run(); err != nil {
		t.Fatalf("board: %v\n%s", err, stderr.String())
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != W || b.Dy() != H {
		t.Fatalf("frame is %v, want %dx%d", b, W, H)
	}
	return img
}

func close8(a, b uint8) bool { return a-b < 8 || b-a < 8 }

// colorAt reports whether the pixel at p, or one next to it, has colour c.
func colorAt(img image.Image, x, y float32, c color.RGBA) bool {
	for _, d := range [][2]int{{0, 0}, {1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
		r, g, b, _ := img.At(int(x)+d[0], int(y)+d[1]).RGBA()
		if close8(uint8(r>>8), c.R) && close8(uint8(g>>8), c.G) && close8(uint8(b>>8), c.B) {
			return true
		}
	}
	return false
}

func journalLines(evs []event.Event) []byte {
	var b []byte
	for i := range evs {
		b = journal.Append(b, &evs[i])
	}
	return b
}

// checkBalls checks every record's colour where its ball should be after
// done of its flight, and its absence at the other end.
func checkBalls(t *testing.T, img image.Image, evs []event.Event, done float32) {
	t.Helper()
	cam := visual.NewCamera(W, H)
	for i := range evs {
		ev := &evs[i]
		a, b := visual.SenderPoint(ev), visual.ReceiverPoint(ev)
		at := a.Add(b.Sub(a).Scale(done))
		x, y, _, ok := cam.Project(at)
		if !ok {
			t.Fatalf("record %d behind the camera", i)
		}
		if !colorAt(img, x, y, wantColor(ev)) {
			r, g, bl, _ := img.At(int(x), int(y)).RGBA()
			t.Errorf("record %d (flag %d %q): pixel (%.0f,%.0f) is #%02x%02x%02x, want %v", i, ev.Flag, ev.Model, x, y, r>>8, g>>8, bl>>8, wantColor(ev))
		}
		away := b
		if done > 0.5 {
			away = a
		}
		if x, y, _, _ := cam.Project(away); colorAt(img, x, y, wantColor(ev)) {
			t.Errorf("record %d also drawn at the other end (%.0f,%.0f)", i, x, y)
		}
	}
}

func TestJournalFeedPixels(t *testing.T) {
	d := xvfb(t)
	evs := records()
	// A flight of an hour: after a few frames every ball is still on the
	// sender board, where its source address and port put it.
	img := shoot(t, d, journalLines(evs), "--stdin", "--fly", "1h", "--wait-records", fmt.Sprint(len(evs)), "--frames", "3")
	checkBalls(t, img, evs, 0)
}

func TestDatagramPixelsMidFlight(t *testing.T) {
	d := xvfb(t)
	evs := records()[:4]
	recs := make([]protocol.Record, len(evs))
	for i, ev := range evs {
		recs[i] = protocol.Record{Src: ev.Src, Dst: ev.Dst, SPort: ev.SPort, DPort: ev.DPort, Flag: ev.Flag, Desc: []byte("x")}
	}
	dgram := protocol.AppendPacket(nil, recs...)

	shot := filepath.Join(t.TempDir(), "frame.png")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Frame 60 at one update per frame is one second after the datagram:
	// half of a two-second flight.
	cmd := exec.CommandContext(ctx, board, "--listen", "127.0.0.1:0", "--fly", "2s", "--screenshot", shot,
		"--size", fmt.Sprintf("%dx%d", W, H), "--wait-records", fmt.Sprint(len(evs)), "--frames", "60")
	cmd.Env = env(d)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	addr := ""
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "packter-board: listening on "); ok {
			addr = a
			break
		}
	}
	if addr == "" {
		cmd.Wait()
		t.Fatal("the board never said where it listens")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(dgram); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("board: %v", err)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	checkBalls(t, img, evs, 0.5)
}

func TestBallsVanishOnArrival(t *testing.T) {
	d := xvfb(t)
	evs := records()
	img := shoot(t, d, journalLines(evs), "--stdin", "--fly", "1s", "--wait-records", fmt.Sprint(len(evs)), "--frames", "70")
	cam := visual.NewCamera(W, H)
	for i := range evs {
		for _, p := range []visual.Vec3{visual.SenderPoint(&evs[i]), visual.ReceiverPoint(&evs[i])} {
			if x, y, _, _ := cam.Project(p); colorAt(img, x, y, wantColor(&evs[i])) {
				t.Errorf("record %d still drawn at (%.0f,%.0f) after its flight", i, x, y)
			}
		}
	}
}
