package xvfbtest

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/packter/packter/event"
)

func solidPNG(t *testing.T, path string, c color.RGBA, w, h int) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

func count(img image.Image, r image.Rectangle, c color.RGBA) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if close8(uint8(cr>>8), c.R) && close8(uint8(cg>>8), c.G) && close8(uint8(cb>>8), c.B) {
				n++
			}
		}
	}
	return n
}

// TestSkyAndMessagePicture checks that PACKTERSKYDOMETEXTURE and a
// PACKTERMSG picture come from the assets directory, and that a name leading
// out of it is not shown.
func TestSkyAndMessagePicture(t *testing.T) {
	d := xvfb(t)
	top := t.TempDir()
	assets := filepath.Join(top, "assets")
	if err := os.Mkdir(assets, 0o755); err != nil {
		t.Fatal(err)
	}
	sky := color.RGBA{0x20, 0x60, 0x40, 0xFF}
	pic := color.RGBA{0xD0, 0x30, 0xC0, 0xFF}
	outside := color.RGBA{0x12, 0xE4, 0x56, 0xFF}
	solidPNG(t, filepath.Join(assets, "sky.png"), sky, 64, 32)
	solidPNG(t, filepath.Join(assets, "pic01.png"), pic, 40, 40)
	solidPNG(t, filepath.Join(top, "secret.png"), outside, 40, 40)
	if err := os.Symlink(filepath.Join(top, "secret.png"), filepath.Join(assets, "link.png")); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	evs := []event.Event{
		{Time: now, Kind: event.KindSky, File: event.CleanText("sky.png", event.MaxText)},
		{Time: now, Kind: event.KindMessage, File: event.CleanText("../secret.png", event.MaxText), Text: event.CleanText("refused", event.MaxText)},
		{Time: now, Kind: event.KindMessage, File: event.CleanText("link.png", event.MaxText), Text: event.CleanText("refused too", event.MaxText)},
		{Time: now, Kind: event.KindMessage, File: event.CleanText("pic01.png", event.MaxText), Text: event.CleanText("<b>Traceback</b> trial succeeded", event.MaxText)},
	}
	evs = append(evs, records()[0]) // the frame is counted from the first record
	img := shoot(t, d, journalLines(evs), "--stdin", "--assets", assets, "--wait-records", "1", "--frames", "3")

	// The sky fills the background: the top right corner, away from the
	// boards, legend and panels.
	if n := count(img, image.Rect(W-200, 200, W-120, 260), sky); n < 80*60*9/10 {
		t.Errorf("sky texture covers %d of %d background pixels", n, 80*60)
	}
	// The message picture is shown (scaled into the message box, bottom right).
	if n := count(img, image.Rect(W/2, H/2, W, H), pic); n < 30*30 {
		t.Errorf("message picture: %d pixels, want a picture of about 40x40", n)
	}
	if n := count(img, image.Rect(0, 0, W, H), outside); n > 0 {
		t.Errorf("a picture from outside the assets directory is shown (%d pixels)", n)
	}
}
