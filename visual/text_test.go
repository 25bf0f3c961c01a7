package visual

import (
	"bytes"
	"encoding/binary"
	"errors"
	"github.com/packter/packter/event"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestHTMLText(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"plain", "Launched IP traceback process", "Launched IP traceback process"},
		{"tags", "<font color=red><b>Alert</b></font> SYN flood", "Alert SYN flood"},
		{"breaks", "Depth 0: found AS:65001<br>Depth 1: reached AS:65002<BR/>done", "Depth 0: found AS:65001\nDepth 1: reached AS:65002\ndone"},
		{"paragraphs", "<p>one</p>\n\n<p>  two   three </p>", "one\ntwo three"},
		{"entities", "a &lt;b&gt; &amp; &quot;c&quot; &#65;", `a <b> & "c" A`},
		{"script", "x<script>alert('<p>')</script>y<style>p{}</style>z", "xyz"},
		{"lone angle", "1 < 2 and 3 > 2", "1 < 2 and 3 > 2"},
		{"unterminated", "a <b", "a <b"},
		{"empty", "", ""},
		{"decoded controls", "a&#27;]0;title&#7;b &#x9b;2J &#8238;x", "a]0;titleb ›2J x"}, // HTML reads &#x9b; as Windows-1252
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := joinLines(HTMLText(event.CleanText(c.in, event.MaxText))); got != c.want {
				t.Errorf("HTMLText(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func joinLines(lines []event.Text) string {
	var s []string
	for _, l := range lines {
		s = append(s, l.String())
	}
	return strings.Join(s, "\n")
}

func FuzzHTMLText(f *testing.F) {
	f.Add("<b>x</b><br>&amp;")
	f.Add("<script>")
	f.Fuzz(func(t *testing.T, s string) {
		for _, l := range HTMLText(event.CleanText(s, event.MaxText)) {
			line := l.String()
			if line == "" || strings.HasPrefix(line, " ") || strings.HasSuffix(line, " ") {
				t.Errorf("untidy line %q", line)
			}
			if again := event.CleanText(line, event.MaxText); again != l {
				t.Errorf("line not clean: %q", line)
			}
		}
	})
}

func TestRequestRoundTrip(t *testing.T) {
	for _, r := range []Request{{Cmd: CmdPause}, {Cmd: CmdResume}, {Cmd: CmdRewind, Seconds: 10}, {Cmd: CmdRewind, Seconds: 0.5}, {Cmd: CmdLive}} {
		line := AppendRequest(nil, r)
		got, err := DecodeRequest(line)
		if err != nil || got != r {
			t.Errorf("%s → %+v, %v", line, got, err)
		}
	}
	if got := string(AppendRequest(nil, Request{Cmd: CmdRewind, Seconds: 10})); got != "{\"cmd\":\"rewind\",\"seconds\":10}\n" {
		t.Errorf("wire form %q", got)
	}
	if got := string(AppendRequest(nil, Request{Cmd: CmdPause})); got != "{\"cmd\":\"pause\"}\n" {
		t.Errorf("wire form %q", got)
	}
	for _, bad := range []string{``, `{`, `{"cmd":"stop"}`, `{"cmd":"rewind"}`, `{"cmd":"rewind","seconds":-1}`, `{"cmd":"rewind","seconds":1e9}`, `[1]`} {
		if _, err := DecodeRequest([]byte(bad)); !errors.Is(err, ErrRequest) {
			t.Errorf("DecodeRequest(%q) error %v, want ErrRequest", bad, err)
		}
	}
}

func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"cmd":"rewind","seconds":10}`))
	f.Add([]byte(`{"cmd":"pause"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRequest(b)
		if err != nil {
			return
		}
		again, err := DecodeRequest(AppendRequest(nil, r))
		if err != nil || again != r {
			t.Errorf("%+v does not survive a round trip: %+v %v", r, again, err)
		}
	})
}

func writePNG(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.RGBA{1, 2, 3, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestAssetsConfined(t *testing.T) {
	top := t.TempDir()
	dir := filepath.Join(top, "assets")
	if err := os.MkdirAll(filepath.Join(dir, "sky"), 0o755); err != nil {
		t.Fatal(err)
	}
	writePNG(t, filepath.Join(dir, "pic01.png"), 4, 3)
	writePNG(t, filepath.Join(dir, "sky", "night.png"), 2, 2)
	writePNG(t, filepath.Join(top, "secret.png"), 1, 1)
	if err := os.Symlink(filepath.Join(top, "secret.png"), filepath.Join(dir, "out.png")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("pic01.png", filepath.Join(dir, "in.png")); err != nil {
		t.Fatal(err)
	}
	a, err := OpenAssets(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, ok := range []string{"pic01.png", "sky/night.png", "in.png"} {
		if img, err := a.Image(ok); err != nil || img.Bounds().Dx() == 0 {
			t.Errorf("Image(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"../secret.png", "sky/../../secret.png", filepath.Join(top, "secret.png"), "/etc/passwd", "out.png", "", "a\\..\\b", "x\x00"} {
		_, err := a.Image(bad)
		if !errors.Is(err, ErrAssetName) {
			t.Errorf("Image(%q) error %v, want ErrAssetName", bad, err)
		}
	}
	if _, err := a.Image("missing.png"); err == nil || errors.Is(err, ErrAssetName) {
		t.Errorf("missing file: %v", err)
	}
	none, _ := OpenAssets("")
	if _, err := none.Image("pic01.png"); err == nil {
		t.Error("no assets directory found a file")
	}
}

func TestDecodeImageLimits(t *testing.T) {
	// A PNG header claiming 100000×100000 pixels is refused before decoding.
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	huge := bytes.Clone(b.Bytes())
	// IHDR width and height sit at bytes 16..23.
	copy(huge[16:24], []byte{0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0})
	binary.BigEndian.PutUint32(huge[29:33], crc32.ChecksumIEEE(huge[12:29]))
	if _, err := DecodeImage(huge); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("huge image: %v", err)
	}
	if _, err := DecodeImage([]byte("not an image")); err == nil {
		t.Error("garbage decoded")
	}
	if img, err := DecodeImage(b.Bytes()); err != nil || img.Bounds().Dx() != 1 {
		t.Errorf("1×1: %v", err)
	}
}

func FuzzDecodeImage(f *testing.F) {
	var b bytes.Buffer
	_ = png.Encode(&b, image.NewGray(image.Rect(0, 0, 2, 2)))
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := DecodeImage(data)
		if err == nil && img.Bounds().Dx()*img.Bounds().Dy() > MaxAssetPixels {
			t.Errorf("decoded %v", img.Bounds())
		}
	})
}

func FuzzCheckName(f *testing.F) {
	for _, s := range []string{"pic01.png", "../x", "/etc/passwd", "a/../../b", "sky/night.png"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckName(s) != nil {
			return
		}
		c := filepath.Clean(s)
		if filepath.IsAbs(c) || c == ".." || strings.HasPrefix(c, "../") {
			t.Errorf("CheckName accepted %q (cleans to %q)", s, c)
		}
	})
}

func TestClockRoundTrip(t *testing.T) {
	at := time.Date(2026, 1, 2, 15, 4, 5, 123456789, time.UTC)
	for _, c := range []Clock{
		{Time: at, Speed: 1, Live: true},
		{Time: at, Speed: 0, Behind: 42},
		{Time: at, Speed: 2.5, Behind: 7, Reset: true},
		{Time: at, Speed: 1, Behind: 9000, Past: true},
	} {
		line := AppendClock(nil, c)
		if !IsClockLine(line) {
			t.Errorf("%s not seen as a clock line", line)
		}
		got, err := DecodeClock(line)
		if err != nil || !got.Time.Equal(c.Time) || got.Speed != c.Speed || got.Live != c.Live || got.Behind != c.Behind || got.Reset != c.Reset || got.Past != c.Past {
			t.Errorf("%s → %+v, %v", line, got, err)
		}
	}
	if IsClockLine([]byte(`{"time":"2026-01-02T15:04:05Z","kind":"packet"}`)) {
		t.Error("a journal line taken for a clock line")
	}
	for _, bad := range []string{``, `{`, `{"cmd":"live"}`, `{"cmd":"clock"}`, `{"cmd":"clock","time":"x","speed":1}`,
		`{"cmd":"clock","time":"2026-01-02T15:04:05Z"}`, `{"cmd":"clock","time":"2026-01-02T15:04:05Z","speed":-1}`,
		`{"cmd":"clock","time":"2026-01-02T15:04:05Z","speed":1e300}`, `{"cmd":"clock","time":"2026-01-02T15:04:05Z","speed":1,"behind":-1}`} {
		if _, err := DecodeClock([]byte(bad)); !errors.Is(err, ErrRequest) {
			t.Errorf("DecodeClock(%q) error %v, want ErrRequest", bad, err)
		}
	}
}

func FuzzDecodeClock(f *testing.F) {
	f.Add([]byte(`{"cmd":"clock","time":"2026-01-02T15:04:05.123456789Z","speed":1,"live":true,"behind":0,"reset":false}`))
	f.Add([]byte(`{"cmd":"clock","time":"2026-01-02T15:04:05+09:00","speed":0,"behind":18446744073709551615,"reset":true}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeClock(b)
		if err != nil {
			return
		}
		again, err := DecodeClock(AppendClock(nil, c))
		if err != nil || !again.Time.Equal(c.Time) || again.Speed != c.Speed || again.Live != c.Live || again.Behind != c.Behind || again.Reset != c.Reset {
			t.Errorf("%+v does not survive a round trip: %+v %v", c, again, err)
		}
	})
}
