package intertrack

// The lab's last claim: the spoken result is in the monitor's WAV. A real
// `packter monitor --no-audio --wav FILE --accessible` listens on the root
// namespace's loopback, where the lab's in-process TC runs; a trace launched
// from the victim's capture reaches it as PACKTERMSG, PACKTERSOUND and
// PACKTERVOICE. A control run with --voice none hears the same trace, so the
// difference in sounding time between the two WAV files is the speech.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/packter/packter/event"
	"math"
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

	"github.com/packter/packter/capture"
)

// lockedBuffer collects a child's output while the test polls it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// pollUntil checks cond every 20 ms until it holds or the deadline passes (a
// hang guard, not a timing claim).
func pollUntil(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// wavPCM is a 16-bit PCM WAV file's format and samples.
type wavPCM struct {
	rate, channels int
	samples        []int16 // interleaved
	sizesPatched   bool    // RIFF and data sizes match the file (written on close)
}

// readWAV parses a 16-bit PCM WAV file, also one still being written (its
// data size still zero: the samples are whatever the file holds).
func readWAV(b []byte) (wavPCM, error) {
	var w wavPCM
	le := binary.LittleEndian
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return w, errors.New("not a RIFF WAVE file")
	}
	riff := int(le.Uint32(b[4:8]))
	gotFmt := false
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), int(le.Uint32(b[off+4:off+8]))
		body := b[off+8:]
		switch id {
		case "fmt ":
			if size < 16 || len(body) < 16 {
				return w, errors.New("short fmt chunk")
			}
			if le.Uint16(body[0:2]) != 1 || le.Uint16(body[14:16]) != 16 {
				return w, fmt.Errorf("format %d, %d bits: want 16-bit PCM", le.Uint16(body[0:2]), le.Uint16(body[14:16]))
			}
			w.channels, w.rate = int(le.Uint16(body[2:4])), int(le.Uint32(body[4:8]))
			if w.channels < 1 || w.rate < 8000 {
				return w, fmt.Errorf("%d channels at %d Hz", w.channels, w.rate)
			}
			gotFmt = true
		case "data":
			if !gotFmt {
				return w, errors.New("data before fmt")
			}
			n := len(body) &^ 1
			w.sizesPatched = size == len(body) && riff == len(b)-8
			if size != 0 && size <= len(body) {
				n = size
			}
			w.samples = make([]int16, n/2)
			for i := range w.samples {
				w.samples[i] = int16(le.Uint16(body[2*i:]))
			}
			return w, nil
		}
		if size > len(body) {
			return w, fmt.Errorf("chunk %q longer than the file", id)
		}
		off += 8 + size + size&1
	}
	return w, errors.New("no data chunk")
}

// windows is the RMS (full scale 1) of each 50 ms window.
func (w wavPCM) windows() []float64 {
	per := w.rate / 20 * w.channels
	var out []float64
	for i := 0; i+per <= len(w.samples); i += per {
		var sum float64
		for _, s := range w.samples[i : i+per] {
			v := float64(s) / 32768
			sum += v * v
		}
		out = append(out, math.Sqrt(sum/float64(per)))
	}
	return out
}

// silenceFloor: -46 dBFS; the monitor's silence is digital zero, its
// earcons and speech sit tens of dB above.
const silenceFloor = 0.005

func sounding(rms []float64) (n int) {
	for _, r := range rms {
		if r > silenceFloor {
			n++
		}
	}
	return n
}

// wavRun is one monitor's hearing of one trace.
type wavRun struct {
	stdout     string
	wav        wavPCM
	launchFrom int // first 50 ms window that may follow the launch
}

// traceIntoMonitor runs a real monitor with the given voice, launches a trace
// of hash through a fresh TC that reports to it, waits for the spoken
// success line and for the WAV to fall silent, then stops the monitor with
// SIGTERM and reads its WAV.
func (l *lab) traceIntoMonitor(t *testing.T, ctx context.Context, voice string, ip []byte, hash [16]byte) wavRun {
	t.Helper()
	dir := t.TempDir()
	wavFile := filepath.Join(dir, "heard.wav")
	// The in-process TC runs in the root namespace: so does the monitor. It
	// picks its own port and says which (no bind-close-reuse race).
	cmd := exec.Command(l.bin, "monitor", "--no-audio", "--wav", wavFile, "--voice", voice, "--accessible", "--speak", "printed", "--listen", "127.0.0.1:0")
	var stdout, stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	started := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			cmd.Process.Kill()
			<-done
		}
	})
	// The banner comes after the WAV is open and the socket bound.
	if !pollUntil(20*time.Second, func() bool { return strings.Contains(stdout.String(), "accessible mode") }) {
		t.Fatalf("the monitor never started:\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	ready := time.Now()
	m := regexp.MustCompile(`listening on UDP (\S+)`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("the monitor did not say where it listens:\n%s", stderr.String())
	}
	monAddr := m[1]

	tcCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	tc, err := NewTC(TCConfig{DP: l.dpAddr, Viewer: monAddr})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go tc.Serve(tcCtx, pc)

	ev := l.victimEvent(ip, hash)
	ev.Desc = event.CleanText(fmt.Sprintf("%x-%s", hash, pc.LocalAddr()), event.MaxText)
	launched := time.Now()
	if err := LaunchTrace(ctx, ev, 0); err != nil {
		t.Fatal(err)
	}
	// The console says a trace launched elsewhere as its one outcome line.
	want := "Trace succeeded: the packet came from AS 65001, through AS 65002"
	if !pollUntil(20*time.Second, func() bool { return strings.Contains(stdout.String(), want) }) {
		t.Fatalf("the monitor never showed %q:\nstdout:\n%s\nstderr:\n%s", want, stdout.String(), stderr.String())
	}
	spoken := time.Now()

	// Speech keeps sounding after its line is shown, and the WAV is written
	// in wall-clock time: stop only once the file covers the voice line and
	// ends in 2.5 s of silence.
	const quiet = 50 // windows
	coverTo := int(spoken.Sub(started)/(50*time.Millisecond)) + quiet
	var last []float64
	if !pollUntil(30*time.Second, func() bool {
		b, err := os.ReadFile(wavFile)
		if err != nil {
			return false
		}
		w, err := readWAV(b)
		if err != nil {
			return false
		}
		last = w.windows()
		if len(last) < coverTo || sounding(last) == 0 {
			return false
		}
		return sounding(last[len(last)-quiet:]) == 0
	}) {
		t.Fatalf("the WAV never fell silent after the trace (%d windows, %d sounding)", len(last), sounding(last))
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		stopped = true
		if err != nil {
			t.Errorf("the monitor ended with %v on SIGTERM:\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second): // hang guard
		t.Fatal("the monitor still runs 10 s after SIGTERM")
	}
	b, err := os.ReadFile(wavFile)
	if err != nil {
		t.Fatal(err)
	}
	w, err := readWAV(b)
	if err != nil {
		t.Fatalf("the monitor's WAV: %v", err)
	}
	if !w.sizesPatched {
		t.Errorf("the WAV's RIFF and data sizes do not match its %d bytes: not finished on SIGTERM", len(b))
	}
	// The WAV starts after the process and no later than the banner: the
	// launch is at least launched-ready into the file.
	return wavRun{stdout: stdout.String(), wav: w, launchFrom: int(launched.Sub(ready) / (50 * time.Millisecond))}
}

// TestLabTracebackSpokenInWAV: the spoken traceback result is mixed into the
// monitor's WAV file.
func TestLabTracebackSpokenInWAV(t *testing.T) {
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("the spoken result needs espeak-ng (scripts/setup.sh installs it)")
	}
	ctx := t.Context()
	l := newLab(t, ctx)
	ip := l.send(t, ctx, "packter-lab-wav", 2)
	hash, _ := capture.TraceHash(ip, false)
	l.waitSeen(t, ctx, hash, l.ases...)

	start := time.Now()
	speech := l.traceIntoMonitor(t, ctx, "espeak-ng", ip, hash)
	control := l.traceIntoMonitor(t, ctx, "none", ip, hash)
	t.Logf("two monitor runs: %v", time.Since(start).Round(time.Millisecond))

	if line := "Voice: " + DefaultTexts().StartVoice; !strings.Contains(speech.stdout, line) {
		t.Errorf("the monitor's console lacks %q:\n%s", line, speech.stdout)
	}
	sw, cw := speech.wav.windows(), control.wav.windows()
	if n := sounding(sw[:min(speech.launchFrom, len(sw))]); n != 0 {
		t.Errorf("%d windows sound before the trace was launched", n)
	}
	after := sw[min(speech.launchFrom, len(sw)):]
	var peak, sum float64
	for _, r := range after {
		peak = max(peak, r)
		sum += r * r
	}
	rms := math.Sqrt(sum / float64(max(len(after), 1)))
	withSpeech, without := sounding(after), sounding(cw[min(control.launchFrom, len(cw)):])
	t.Logf("after the launch: RMS %.4f, peak window %.4f; sounding %.2f s with speech, %.2f s without",
		rms, peak, float64(withSpeech)/20, float64(without)/20)
	if rms < 4*silenceFloor {
		t.Errorf("RMS after the launch %.4f: no more than %.4f above silence", rms, 4*silenceFloor)
	}
	// "Launched IP traceback process" and "Traceback succeeded: the packet came from AS
	// 65001, through AS 65002" take espeak-ng several seconds; the earcons
	// alone, about one.
	if withSpeech-without < 2*20 {
		t.Errorf("the WAV sounds %.2f s with speech and %.2f s without: the speech is not in it",
			float64(withSpeech)/20, float64(without)/20)
	}
}
