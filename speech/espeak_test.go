package speech

import (
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// recordingSink is a PCMSink that keeps what it is given and plays instantly.
type recordingSink struct {
	got  chan []int16
	rate chan int
}

func newRecordingSink() *recordingSink {
	return &recordingSink{got: make(chan []int16, 16), rate: make(chan int, 16)}
}

func (s *recordingSink) PlaySpeech(pcm []int16, rate int) (<-chan struct{}, func()) {
	s.got <- pcm
	s.rate <- rate
	done := make(chan struct{})
	close(done)
	return done, func() {}
}

func needEspeak(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("espeak-ng")
	if err != nil {
		t.Skip("espeak-ng is not installed (scripts/setup.sh test installs it)")
	}
	return p
}

// speechStats measures PCM: its duration and the share of 20 ms frames loud
// enough to be speech.
func speechStats(pcm []int16, rate int) (dur time.Duration, rms float64, voiced float64) {
	frame := rate / 50
	var sum float64
	frames, loud := 0, 0
	for i := 0; i+frame <= len(pcm); i += frame {
		var e float64
		for _, s := range pcm[i : i+frame] {
			e += float64(s) * float64(s)
		}
		sum += e
		if math.Sqrt(e/float64(frame)) > 300 {
			loud++
		}
		frames++
	}
	if frames == 0 {
		return 0, 0, 0
	}
	return time.Duration(len(pcm)) * time.Second / time.Duration(rate),
		math.Sqrt(sum / float64(frames*frame)), float64(loud) / float64(frames)
}

func renderEspeak(t *testing.T, cfg Config, text string) ([]int16, int) {
	t.Helper()
	sink := newRecordingSink()
	cfg.Backend, cfg.PCM = "espeak-ng", sink
	be, err := pick(context.Background(), &cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := be.Speak(context.Background(), utterance{Text: text, Priority: Alert}); err != nil {
		t.Fatal(err)
	}
	return <-sink.got, <-sink.rate
}

func TestEspeakRendersSpeech(t *testing.T) {
	needEspeak(t)
	text := Speakable("SYN flood toward 10.1.2.3, 12000 packets per second")
	pcm, rate := renderEspeak(t, Config{}, text)
	dur, rms, voiced := speechStats(pcm, rate)
	t.Logf("%q: %v at %d Hz, RMS %.0f, %.0f%% voiced frames", text, dur, rate, rms, 100*voiced)
	if rate != 22050 {
		t.Errorf("rate %d, want espeak-ng's 22050", rate)
	}
	// About 16 words at 175 wpm: 4 to 8 seconds.
	if dur < 3*time.Second || dur > 10*time.Second {
		t.Errorf("duration %v, want 3..10 s for 16 words", dur)
	}
	if rms < 1000 || voiced < 0.4 {
		t.Errorf("RMS %.0f, voiced %.2f: not speech", rms, voiced)
	}
}

// The same text rendered to a file by espeak-ng itself and measured by sox has
// the length our WAV reader found in the --stdout stream.
func TestEspeakMatchesSox(t *testing.T) {
	espeak := needEspeak(t)
	sox, err := exec.LookPath("sox")
	if err != nil {
		t.Skip("sox is not installed")
	}
	const text = "Traceback trial succeeded"
	pcm, rate := renderEspeak(t, Config{}, text)
	file := filepath.Join(t.TempDir(), "ref.wav")
	if out, err := exec.Command(espeak, "-w", file, "--", text).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng -w: %v: %s", err, out)
	}
	out, err := exec.Command(sox, file, "-n", "stat").CombinedOutput()
	if err != nil {
		t.Fatalf("sox stat: %v: %s", err, out)
	}
	samplesRead := 0
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "Samples read" {
			samplesRead, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	if samplesRead == 0 || rate != 22050 {
		t.Fatalf("sox read %d samples (%s); rate %d", samplesRead, out, rate)
	}
	if d := len(pcm) - samplesRead; d < -samplesRead/50 || d > samplesRead/50 {
		t.Errorf("our reader: %d samples, sox: %d", len(pcm), samplesRead)
	}
}

func TestEspeakRateAndVoice(t *testing.T) {
	needEspeak(t)
	const text = "Launched IP traceback process toward one ninety-two dot one sixty-eight dot one dot one"
	slow, rate := renderEspeak(t, Config{Rate: 120}, text)
	fast, _ := renderEspeak(t, Config{Rate: 320}, text)
	ds, _, _ := speechStats(slow, rate)
	df, _, _ := speechStats(fast, rate)
	if float64(ds) < 1.6*float64(df) {
		t.Errorf("120 wpm took %v, 320 wpm %v: rate not applied", ds, df)
	}
	us, _ := renderEspeak(t, Config{Voice: "en-us"}, text)
	if len(us) == 0 {
		t.Error("voice en-us gave no speech")
	}
	if _, err := New(context.Background(), Config{Backend: "espeak-ng", Voice: "--help"}); err == nil {
		t.Error("a voice that looks like an option was accepted")
	}
}

// Hostile text is spoken as words: nothing runs, no option is taken, and the
// result is cut to size.
func TestEspeakHostileText(t *testing.T) {
	needEspeak(t)
	dir := t.TempDir()
	t.Chdir(dir)
	for _, text := range []string{
		"--help; touch x",
		"-w x hello",
		"$(touch x)",
		"`touch x`",
		"; touch x #",
		"| touch x",
		"\x00\x1b]0;touch x\x07\r\n--stdout",
		"<audio src='x'/> &amp; touch x",
		strings.Repeat("touch x; ", 12_000), // 100 kB
	} {
		sink := newRecordingSink()
		q, err := New(context.Background(), Config{Backend: "espeak-ng", PCM: sink})
		if err != nil {
			t.Fatal(err)
		}
		q.Say(text, Message)
		var pcm []int16
		select {
		case pcm = <-sink.got:
		case <-time.After(20 * time.Second): // a hang guard, not a timing claim
			t.Fatalf("%.30q: no speech rendered", text)
		}
		rate := <-sink.rate
		q.Close()
		dur, _, voiced := speechStats(pcm, rate)
		// DefaultMaxChars at about 15 characters a second is under 40 s.
		if dur < 500*time.Millisecond || dur > 40*time.Second || voiced < 0.2 {
			t.Errorf("%.30q: %v of speech, %.2f voiced", text, dur, voiced)
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			t.Errorf("%.30q created %s", text, e.Name())
		}
	}
}

// fakeProgram installs an executable that records its arguments and standard
// input and writes a tiny WAV, standing in for a speech program.
func fakeProgram(t *testing.T, name string) (path, argsFile, stdinFile string) {
	t.Helper()
	dir := t.TempDir()
	argsFile, stdinFile = filepath.Join(dir, "args"), filepath.Join(dir, "stdin")
	wav := wavFile(wavPCM, 1, 22050, 16, nil, samples(1000, -1000, 1000, -1000), -1)
	if err := os.WriteFile(filepath.Join(dir, "out.wav"), wav, 0o644); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > '" + argsFile + "'\ncat > '" + stdinFile + "'\ncat '" + filepath.Join(dir, "out.wav") + "'\n"
	path = filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path, argsFile, stdinFile
}

func TestExecBackendPassesTextOnStdin(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to run the stand-in program")
	}
	prog, argsFile, stdinFile := fakeProgram(t, "espeak-ng")
	sink := newRecordingSink()
	cfg := Config{Backend: "espeak-ng", PCM: sink, Rate: 200, Voice: "en-gb",
		lookPath: func(string) (string, error) { return prog, nil }}
	q, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	q.Say("/T:1 /W: --help; $(touch x) \x07done", Message)
	if pcm := <-sink.got; len(pcm) != 4 || pcm[0] != 1000 {
		t.Fatalf("sink got %v", pcm)
	}
	args, _ := os.ReadFile(argsFile)
	stdin, _ := os.ReadFile(stdinFile)
	if got, want := string(args), "-b\n1\n--stdin\n-s\n200\n-v\nen-gb\n--stdout\n"; got != want {
		t.Errorf("argv:\n%s\nwant:\n%s", got, want)
	}
	if got, want := string(stdin), "--help; $(touch x) done"; got != want {
		t.Errorf("stdin %q, want %q", got, want)
	}
	// Speech mixed into the sound engine carries its own volume, in the PCM.
	q.SetVolume(0.5)
	q.SayKind(KindAnswer, "quieter")
	if pcm := <-sink.got; len(pcm) != 4 || pcm[0] != 500 || pcm[1] != -500 {
		t.Fatalf("at volume 0.5 the sink got %v", pcm)
	}
}

func TestSplitFirstSentence(t *testing.T) {
	long := "Traceback trial succeeded. " + strings.Repeat("Depth 1: AS 64500. ", 6)
	for _, tc := range []struct{ in, first, rest string }{
		{"short alert. still short", "short alert. still short", ""},
		{long, "Traceback trial succeeded.", strings.TrimSpace(long[len("Traceback trial succeeded. "):])},
		{strings.Repeat("word ", 60), strings.TrimSpace(strings.Repeat("word ", 32)), strings.TrimSpace(strings.Repeat("word ", 28))},
		{strings.Repeat("a", 300), strings.Repeat("a", 300), ""},
	} {
		f, r := splitFirstSentence(tc.in)
		if f != tc.first || r != tc.rest {
			t.Errorf("splitFirstSentence(%.30q...) = %q | %q", tc.in, f, r)
		}
	}
}

// A long announcement reaches the sound engine in two parts, in order, and
// together they are the whole text.
func TestEspeakLongTextInParts(t *testing.T) {
	needEspeak(t)
	text := "Traceback trial succeeded. " + strings.Repeat("Depth 1: AS 64500. ", 12)
	whole, rate := renderEspeak(t, Config{}, "Traceback trial succeeded.")
	sink := newRecordingSink()
	q, err := New(context.Background(), Config{Backend: "espeak-ng", PCM: sink})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	q.Say(text, Important)
	first, second := <-sink.got, <-sink.got
	d1, _, _ := speechStats(first, rate)
	d2, _, v2 := speechStats(second, rate)
	dw, _, _ := speechStats(whole, rate)
	if d1 != dw {
		t.Errorf("first part %v, the first sentence alone %v", d1, dw)
	}
	if d2 < 8*time.Second || v2 < 0.4 {
		t.Errorf("second part %v, %.2f voiced: want the 12 depth lines", d2, v2)
	}
}

// blockingSink plays forever until stopped.
type blockingSink struct {
	playing chan struct{}
	stopped chan struct{}
}

func (s *blockingSink) PlaySpeech(pcm []int16, rate int) (<-chan struct{}, func()) {
	s.playing <- struct{}{}
	return make(chan struct{}), func() { close(s.stopped) }
}

// Stop cuts speech short in the sound engine, even while the rest of a long
// text is still rendering, and nothing is left running.
func TestEspeakStopCutsPCM(t *testing.T) {
	needEspeak(t)
	sink := &blockingSink{playing: make(chan struct{}, 4), stopped: make(chan struct{})}
	q, err := New(context.Background(), Config{Backend: "espeak-ng", PCM: sink})
	if err != nil {
		t.Fatal(err)
	}
	q.Say("Traceback trial succeeded. "+strings.Repeat("Depth 1: AS 64500. ", 12), Important)
	<-sink.playing
	q.Stop()
	<-sink.stopped
	waitIdle(q)
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if len(sink.playing) != 0 {
		t.Error("the rest was played after Stop")
	}
	if st := q.Stats(); st.Failed != 0 || st.Interrupted != 1 {
		t.Errorf("stats %+v", st)
	}
}

// A short answer said again comes from the cache, not a new program run, and
// the speech volume applies to each saying, not to the cache.
func TestExecBackendCachesShortAnswers(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to run the stand-in program")
	}
	prog, _, stdinFile := fakeProgram(t, "espeak-ng")
	sink := newRecordingSink()
	q, err := New(context.Background(), Config{Backend: "espeak-ng", PCM: sink,
		lookPath: func(string) (string, error) { return prog, nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	q.SetVolume(0.5)
	q.SayKind(KindAnswer, "Paused")
	if pcm := <-sink.got; pcm[0] != 500 {
		t.Fatalf("first: %v", pcm)
	}
	waitIdle(q)
	if err := os.Remove(stdinFile); err != nil {
		t.Fatal(err)
	}
	q.SetVolume(1)
	q.SayKind(KindAnswer, "Paused")
	if pcm := <-sink.got; pcm[0] != 1000 {
		t.Fatalf("second: %v", pcm)
	}
	waitIdle(q)
	if _, err := os.Stat(stdinFile); err == nil {
		t.Error("the program ran again for a cached answer")
	}
}
