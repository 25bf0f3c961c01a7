package sonify

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseThemeFile(t *testing.T) {
	th, err := ParseTheme([]byte(`# mine
base = alert
name = night shift
root = 50
scale = 0 3 7   # minor triad
volume = 0.4
class.1.gain = 1.5
service.8080 = 4
flood = siren.wav
`))
	if err != nil {
		t.Fatal(err)
	}
	if th.Name != "night shift" || th.Root != 50 || !reflect.DeepEqual(th.Scale, []int{0, 3, 7}) ||
		th.Volume != 0.4 || th.ClassGain[1] != 1.5 || th.Services[8080] != 4 || th.Flood != "siren.wav" {
		t.Errorf("parsed %+v", th)
	}
	if th.Brightness != Alert().Brightness {
		t.Errorf("base alert not applied: brightness %v", th.Brightness)
	}
	if Calm().Services[8080] != 0 {
		t.Error("ParseTheme changed the built-in services map")
	}
}

func TestParseThemeErrors(t *testing.T) {
	for _, in := range []string{
		"volume", "volume = 2", "volume = NaN", "nosuch = 1", "scale = 3 1", "scale =", "scale = 12",
		"root = 5", "class.10.gain = 1", "service.70000 = 1", "flood = ../x.wav", "flood = /etc/passwd",
		"base = loud", "name = " + strings.Repeat("x", 41), strings.Repeat("#", MaxThemeSize+1),
	} {
		if _, err := ParseTheme([]byte(in)); !errors.Is(err, ErrTheme) {
			t.Errorf("%.40q: err %v, want ErrTheme", in, err)
		}
	}
}

func TestThemeFormatRoundTrip(t *testing.T) {
	for _, th := range []Theme{Calm(), Alert()} {
		back, err := ParseTheme([]byte(th.Format()))
		if err != nil {
			t.Fatalf("%s: %v\n%s", th.Name, err, th.Format())
		}
		if !reflect.DeepEqual(back, th) {
			t.Errorf("%s: round trip differs:\n%+v\n%+v", th.Name, back, th)
		}
	}
}

func TestEngineThemes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mine.theme")
	if err := os.WriteFile(path, []byte("name = mine\nvolume = 0.3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := newEngine(Options{Theme: path})
	if err != nil {
		t.Fatal(err)
	}
	defer e.lib.close()
	if e.Theme() != "mine" || e.Volume() != 0.3 {
		t.Errorf("theme %q volume %v", e.Theme(), e.Volume())
	}
	if err := e.SetTheme("alert"); err != nil || e.Theme() != "alert" {
		t.Errorf("SetTheme(alert): %v, theme %q", err, e.Theme())
	}
	if err := e.SetTheme("mine"); err != nil || e.Theme() != "mine" {
		t.Errorf("SetTheme(mine): %v", err)
	}
	if got := e.Themes(); !reflect.DeepEqual(got, []string{"calm", "alert", "mine"}) {
		t.Errorf("Themes() = %v", got)
	}
	if err := e.SetTheme("/nonexistent/theme"); err == nil {
		t.Error("missing theme file accepted")
	}
	if _, err := newEngine(Options{Theme: "loud"}); err == nil {
		t.Error("unknown theme accepted")
	}
	if !strings.Contains(e.Status(), "theme mine") {
		t.Errorf("status %q", e.Status())
	}
}

// FuzzParseTheme: never panics; whatever parses formats and parses back to
// the same theme.
func FuzzParseTheme(f *testing.F) {
	f.Add([]byte("base = alert\nname = x\nscale = 0 2 4\n"))
	f.Add([]byte("service.443 = -3\nclass.9.gain = 2\n"))
	f.Add([]byte("flood = a/b.wav # comment\r\n"))
	f.Add([]byte("=\n= =\n#\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		th, err := ParseTheme(b)
		if err != nil {
			return
		}
		back, err := ParseTheme([]byte(th.Format()))
		if err != nil {
			t.Fatalf("formatted theme does not parse: %v\n%s", err, th.Format())
		}
		if !reflect.DeepEqual(back, th) {
			t.Fatalf("round trip differs:\n%+v\n%+v", back, th)
		}
	})
}
