package main

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/packter/packter/samples"
)

// The bundled capture renders to a valid WAV as long as the capture, through
// the agent path; its SYN flood (120..128 s) is louder than the quiet minute
// before it, and with --detect it becomes the flood cue.
func TestRenderSampleCapture(t *testing.T) {
	dir := t.TempDir()
	capture := filepath.Join(dir, "sample.pcapng")
	if err := os.WriteFile(capture, samples.Capture(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.wav")
	stdout, stderr, code := packter(t, "render", "-r", capture, "--wav", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "rendered") {
		t.Errorf("stdout %q", stdout)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 44 || string(b[:4]) != "RIFF" || string(b[36:40]) != "data" {
		t.Fatal("not a WAV file")
	}
	rate := int(binary.LittleEndian.Uint32(b[24:]))
	frames := (len(b) - 44) / 4
	if secs := float64(frames) / float64(rate); secs < 170 || secs > 200 {
		t.Fatalf("%.1f s of audio for a 3-minute capture", secs)
	}
	rms := func(from, to float64) float64 {
		s := 0.0
		i0, i1 := int(from*float64(rate)), int(to*float64(rate))
		for i := i0; i < i1; i++ {
			v := float64(int16(binary.LittleEndian.Uint16(b[44+4*i:])))
			s += v * v
		}
		return math.Sqrt(s/float64(i1-i0)) / 32768
	}
	quiet, flood := rms(60, 118), rms(120, 127)
	t.Logf("rms before the flood %.4f, during %.4f", quiet, flood)
	if flood < 1.3*quiet {
		t.Errorf("the SYN flood (rms %.4f) is not louder than the minute before (rms %.4f)", flood, quiet)
	}
}

func TestRenderUsage(t *testing.T) {
	if _, stderr, code := packter(t, "render", "--wav", "x.wav"); code != 2 || !strings.Contains(stderr, "-r") {
		t.Errorf("missing -r: exit %d, %q", code, stderr)
	}
	if _, stderr, code := packter(t, "render", "-r", "/nonexistent.pcap", "--wav", filepath.Join(t.TempDir(), "o.wav")); code != 1 || strings.Count(stderr, "\n") != 1 {
		t.Errorf("missing capture: exit %d, %q", code, stderr)
	}
	capture := filepath.Join(t.TempDir(), "sample.pcapng")
	if err := os.WriteFile(capture, samples.Capture(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := packter(t, "render", "-r", capture, "--wav", filepath.Join(t.TempDir(), "o.wav"), "--theme", "loud"); code != 1 || !strings.Contains(stderr, "theme") {
		t.Errorf("unknown theme: exit %d, %q", code, stderr)
	}
}
