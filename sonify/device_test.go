package sonify

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The speaker can be initialised once per process, so each device case runs
// in a child process of this test binary.
const deviceHelperEnv = "SONIFY_DEVICE_HELPER"

func TestDeviceHelper(t *testing.T) {
	out := os.Getenv(deviceHelperEnv)
	if out == "" {
		t.Skip("run by TestDeviceNullPCM and TestNoDeviceSaysSoOnce")
	}
	e, err := New(context.Background(), Options{Device: true, WAV: out,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, 16000/2)
	for i := range pcm {
		pcm[i] = int16(10000 * math.Sin(2*math.Pi*440*float64(i)/16000))
	}
	done, _ := e.PlaySpeech(pcm, 16000)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("speech never finished")
	}
	fmt.Println("STATUS:", e.Status())
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
}

func runDeviceHelper(t *testing.T, env ...string) (stdout, stderr string, wav audio) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out.wav")
	cmd := exec.Command(os.Args[0], "-test.run=^TestDeviceHelper$", "-test.v")
	cmd.Env = append(os.Environ(), append(env, deviceHelperEnv+"="+out)...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		t.Fatalf("helper: %v\n%s\n%s", err, o.String(), e.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), decodeWAV(t, b)
}

// With ALSA's null PCM the real speaker path runs without hardware: it pulls
// samples, the speech plays through it and lands in the WAV file.
func TestDeviceNullPCM(t *testing.T) {
	home := t.TempDir()
	conf := "pcm.!default { type null }\nctl.!default { type hw card 0 }\n"
	if err := os.WriteFile(filepath.Join(home, ".asoundrc"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, wav := runDeviceHelper(t, "HOME="+home)
	if !strings.Contains(stdout, "output sound card") || strings.Contains(stdout, "no sound device") {
		t.Errorf("status: %s\nstderr: %s", stdout, stderr)
	}
	if z := zcr(voiced(wav.mono()), wav.rate); len(wav.l) < wav.rate/2 || math.Abs(z-440) > 20 {
		t.Errorf("WAV from the device path: %d frames, %.0f Hz; want the 440 Hz speech", len(wav.l), z)
	}
}

// Without any sound device speaker.Init succeeds and nothing would play: the
// engine must notice, say so once in one sentence, and carry on (here, still
// writing the WAV file by the clock).
func TestNoDeviceSaysSoOnce(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "alsa.conf")
	if err := os.WriteFile(empty, []byte("# no PCMs at all\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, wav := runDeviceHelper(t, "ALSA_CONFIG_PATH="+empty, "HOME="+t.TempDir())
	if n := strings.Count(stderr, "No sound device"); n != 1 {
		t.Errorf("said %d times, want once:\n%s", n, stderr)
	}
	if strings.Contains(stderr, "ALSA lib") {
		t.Errorf("libasound's own noise reached stderr:\n%s", stderr)
	}
	if !strings.Contains(stdout, "no sound device") || !strings.Contains(stdout, "output WAV only") {
		t.Errorf("status: %s", stdout)
	}
	if z := zcr(voiced(wav.mono()), wav.rate); math.Abs(z-440) > 20 {
		t.Errorf("WAV without a device: %d frames at %.0f Hz; want the speech", len(wav.l), z)
	}
}

// voiced trims the silence around a sound.
func voiced(m []float64) []float64 {
	a, b := firstAbove(m, 0, 1e-3), lastAbove(m, 1e-3)
	if a < 0 {
		return nil
	}
	return m[a : b+1]
}

// A sound card whose clock runs 100 ppm fast or slow against the wall clock,
// pulling 10 ms at a time for an hour: events stamped "now" must keep landing
// just ahead of what the device plays, never late and never far ahead.
func TestDeviceClockDrift(t *testing.T) {
	for _, ppm := range []float64{-100, 100} {
		rate := 48000
		c := clock{rate: rate, latency: int64(rate/20) + maxBlock}
		now := t0
		c.anchored, c.anchorT, c.anchorFrame = true, now, c.latency
		frac, rpos := 0.0, int64(0)
		for i := 0; i < 360000; i++ {
			now = now.Add(10 * time.Millisecond)
			c.sync(now, rpos)
			frac += float64(rate) / 100 * (1 + ppm/1e6)
			n := int64(frac)
			frac -= float64(n)
			rpos += n
			at := c.frameAt(now, rpos)
			if at < rpos || at > rpos+2*c.latency {
				t.Fatalf("%+.0f ppm after %v: event at frame %d, device at %d (latency %d)", ppm, now.Sub(t0), at, rpos, c.latency)
			}
		}
	}
}
