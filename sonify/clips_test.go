package sonify

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestValidName(t *testing.T) {
	for _, ok := range []string{"se1.wav", "Detection.wav", "themes/calm/flood.ogg", "a b.mp3"} {
		if err := validName(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "..", "../x.wav", "a/../../x.wav", "/etc/passwd", "a\\..\\b", "C:x.wav", "x\x00.wav", "./x/../..", "a//b.wav"} {
		if err := validName(bad); !errors.Is(err, ErrBadName) {
			t.Errorf("%q accepted", bad)
		}
	}
}

// WAV plus the formats beep decodes: FLAC and Ogg Vorbis files made by sox
// (installed for the tests by scripts/setup.sh test) decode to the same
// length at the engine's rate, resampled from 22.05 kHz.
func TestDecodeFormats(t *testing.T) {
	if _, err := exec.LookPath("sox"); err != nil {
		t.Skip("sox is not installed (scripts/setup.sh test installs it)")
	}
	dir := t.TempDir()
	for _, ext := range []string{"wav", "flac", "ogg"} {
		p := filepath.Join(dir, "tone."+ext)
		if out, err := exec.Command("sox", "-n", "-r", "22050", "-c", "1", "-b", "16", p, "synth", "0.5", "sine", "440").CombinedOutput(); err != nil {
			t.Fatalf("sox %s: %v %s", ext, err, out)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		c, err := decodeClip(filepath.Base(p), b, 48000)
		if err != nil {
			t.Fatalf("%s: %v", ext, err)
		}
		frames := len(c.pcm) / 2
		if frames < 23500 || frames > 24500 {
			t.Errorf("%s: %d frames, want about 24000", ext, frames)
		}
		m := make([]float64, frames)
		for i := range m {
			m[i] = float64(c.pcm[2*i])
		}
		if z := zcr(m[1000:frames-1000], 48000); z < 420 || z > 460 {
			t.Errorf("%s: %0.f Hz, want 440", ext, z)
		}
	}
	if _, err := decodeClip("x.aiff", []byte("FORM"), 48000); err == nil {
		t.Error("unsupported format accepted")
	}
}

func TestLibraryCacheBound(t *testing.T) {
	l, err := newLibrary("", fsEmbedded(), 48000)
	if err != nil {
		t.Fatal(err)
	}
	a, err := l.get("se1.wav")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := l.get("se1.wav")
	if a != b {
		t.Error("second get decoded again instead of using the cache")
	}
	l.get("Detection.wav")
	if l.used != a.bytes()+l.cache["Detection.wav"].bytes() || l.used > cacheBudget {
		t.Errorf("cache accounts %d bytes", l.used)
	}
}

// FuzzDecodeClip: whatever bytes a user's sounds directory holds, decoding
// returns a clip within the length bound or an error; it never panics.
func FuzzDecodeClip(f *testing.F) {
	se, _ := fsRead("se3.wav")
	f.Add("se.wav", se)
	f.Add("se.wav", se[:60])
	f.Add("x.mp3", []byte("ID3\x03\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x00"))
	f.Add("x.ogg", []byte("OggS\x00\x02"))
	f.Add("x.flac", []byte("fLaC\x00\x00\x00\x22"))
	f.Fuzz(func(t *testing.T, name string, b []byte) {
		c, err := decodeClip(name, b, 48000)
		if err != nil {
			return
		}
		if len(c.pcm)%2 != 0 || len(c.pcm)/2 > maxClipSecs*48000+1024 {
			t.Fatalf("%d samples", len(c.pcm))
		}
		for _, v := range c.pcm {
			if v > 1 || v < -1 || v != v {
				t.Fatalf("sample %v out of range", v)
			}
		}
	})
}
