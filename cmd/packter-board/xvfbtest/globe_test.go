package xvfbtest

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/internal/syncbuf"
	"github.com/packter/packter/intertrack"
	"github.com/packter/packter/visual"
)

func earthRec(lat1, lon1, lat2, lon2 float64, flag int) event.Event {
	return event.Event{Time: time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC), Kind: event.KindEarth,
		Lat1: lat1, Lon1: lon1, Lat2: lat2, Lon2: lon2, Flag: flag, Desc: event.CleanText("test", event.MaxText)}
}

// TestGlobePixels: started on the globe (--globe, as G shows it), earth
// records fed by the monitor are balls in their flag colours at their
// sources on the sphere; one that starts on the far side is hidden by the
// globe; packet records are not drawn there; the sphere itself is drawn.
func TestGlobePixels(t *testing.T) {
	d := xvfb(t)
	evs := []event.Event{
		earthRec(10, -20, 50, 100, 1),    // blue, Atlantic → Asia
		earthRec(35, 25, -30, -60, 2),    // red
		earthRec(-15, 15, 40, -100, 8),   // IPv6 UDP: light green
		earthRec(50, -5, 35.6, 139.7, 4), // ICMP green
	}
	far := earthRec(0, 180, 10, 170, 6) // IPv6 SYN yellow, behind the globe
	feed := append(append([]event.Event{}, evs...), far, rec("100.0.0.1", 40000, "20.0.0.1", 50000, 6, ""))
	img := shoot(t, d, journalLines(feed), "--stdin", "--globe", "--fly", "1h", "--wait-records", fmt.Sprint(len(evs)+1), "--frames", "3")
	cam := visual.NewCamera(W, H)
	for i := range evs {
		ev := &evs[i]
		x, y, _, ok := cam.Project(visual.EarthPoint(ev.Lat1, ev.Lon1))
		if !ok {
			t.Fatalf("record %d behind the camera", i)
		}
		if want := visual.FlagColors[ev.Class()]; !near(img, x, y, want) {
			r, g, b, _ := img.At(int(x), int(y)).RGBA()
			t.Errorf("record %d (flag %d): pixel (%.0f,%.0f) is #%02x%02x%02x, want %v", i, ev.Flag, x, y, r>>8, g>>8, b>>8, want)
		}
	}
	yellow := visual.FlagColors[6]
	if x, y, _, ok := cam.Project(visual.EarthPoint(far.Lat1, far.Lon1)); ok && near(img, x, y, yellow) {
		t.Errorf("the record behind the globe is drawn at (%.0f,%.0f)", x, y)
	}
	// The packet record (also yellow) is not on the globe anywhere, and
	// the sphere covers a disc of about 195 pixels' radius.
	if n := countExact(img, yellow); n > 0 {
		t.Errorf("%d yellow pixels: a packet record or a hidden ball is drawn", n)
	}
	if n := countExact(img, color.RGBA{0x12, 0x2C, 0x50, 0xFF}); n < 60_000 {
		t.Errorf("only %d pixels of the globe's colour", n)
	}
}

// same is colour equality within 8 per channel, without wrapping round
// (close8 takes 0x00 and 0xFF as close, so white would pass for yellow).
func same(img image.Image, x, y int, c color.RGBA) bool {
	r, g, b, _ := img.At(x, y).RGBA()
	d := func(a uint32, b uint8) bool { return max(int(a>>8), int(b))-min(int(a>>8), int(b)) < 8 }
	return d(r, c.R) && d(g, c.G) && d(b, c.B)
}

// near reports whether the pixel at (x, y), or one next to it, is c.
func near(img image.Image, x, y float32, c color.RGBA) bool {
	for _, o := range [][2]int{{0, 0}, {1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
		if same(img, int(x)+o[0], int(y)+o[1], c) {
			return true
		}
	}
	return false
}

// countExact counts the pixels of colour c outside the legend (top left),
// which shows every flag colour.
func countExact(img image.Image, c color.RGBA) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if (x > 160 || y > 200) && same(img, x, y, c) {
				n++
			}
		}
	}
	return n
}

// TestGlobeKeyPickAndTrace: G switches to the globe, where a click on an
// earth record's ball selects it and T sends it to the traceback client its
// description names, as on the boards.
func TestGlobeKeyPickAndTrace(t *testing.T) {
	d := xdoDisplay(t)
	tc := traceClient(t)
	ev := earthRec(20, 10, 50, 100, 1)
	ev.Desc = event.CleanText("0123456789abcdef0123456789abcdef-"+tc.LocalAddr().String(), event.MaxText)

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
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { in.Close(); cmd.Wait() }()
	if _, err := in.Write(journalLines([]event.Event{ev})); err != nil {
		t.Fatal(err)
	}
	win := strings.Fields(xdo(t, d, "search", "--sync", "--onlyvisible", "--name", "Packter board"))[0]
	xdo(t, d, "windowfocus", "--sync", win)

	cam := visual.NewCamera(W, H)
	x, y, _, _ := cam.Project(visual.EarthPoint(ev.Lat1, ev.Lon1))
	buf := make([]byte, 2048)
	got := ""
	press(t, d, "g")
	for try := 0; try < 10 && got == ""; try++ {
		xdo(t, d, "mousemove", "--window", win, fmt.Sprint(int(x)), fmt.Sprint(int(y)),
			"mousedown", "1", "sleep", "0.15", "mouseup", "1", "sleep", "0.15")
		press(t, d, "t")
		tc.SetReadDeadline(time.Now().Add(time.Second))
		if n, _, err := tc.ReadFrom(buf); err == nil {
			got = string(buf[:n])
		}
	}
	if want := string(intertrack.AppendTraceRecord(nil, &ev)); got != want {
		t.Fatalf("traceback client got %q, want %q\n%s", got, want, stderr.String())
	}
}
