package speech

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxPCMBytes caps what a synthesiser may hand back: DefaultMaxChars of text is
// well under a minute of 22 kHz 16-bit mono (2.6 MB).
const maxPCMBytes = 16 << 20

// command is one run of a speech program: never a shell, text on stdin.
type command struct {
	path string
	args []string
	env  []string // added to the inherited environment
	// stdin is the text, for programs that read it there.
	stdin string
	// out says what stdout carries when rendering to PCM: "wav", "raw22050", or
	// "" (speaking to the device). file, if set, is where the program writes a
	// WAV instead of stdout (say -o).
	out  string
	file string
}

// execBackend runs one program per utterance (or per part of one, see Speak).
type execBackend struct {
	name    string
	pcm     PCMSink
	needDir bool // build writes its output into a directory (say -o)
	build   func(u utterance, dir string) command

	cache pcmCache // short answers said again ("Volume 50 percent") start at once
}

// pcmCache keeps the PCM of a few short texts. Rendering means starting a
// program, which on a loaded machine can take longer than the whole answer's
// latency budget; short texts recur (volume, pause, live, help lines).
type pcmCache struct {
	mu    sync.Mutex
	m     map[string]cachedPCM
	order []string // oldest first
}

type cachedPCM struct {
	pcm  []int16
	rate int
}

const (
	cacheTexts   = 32 // 32 × at most about 3 s of 22 kHz speech: under 5 MB
	cacheMaxText = 40 // characters
)

func (c *pcmCache) get(text string) (cachedPCM, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.m[text]
	return p, ok
}

func (c *pcmCache) put(text string, pcm []int16, rate int) {
	if len(text) > cacheMaxText || len(pcm) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]cachedPCM)
	}
	if _, ok := c.m[text]; ok {
		return
	}
	if len(c.order) >= cacheTexts {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
	c.m[text] = cachedPCM{slices.Clone(pcm), rate}
	c.order = append(c.order, text)
}

func (e *execBackend) Name() string { return e.name }
func (e *execBackend) Close() error { return nil }

func (e *execBackend) Speak(ctx context.Context, u utterance) error {
	if e.pcm == nil {
		if _, _, err := run(ctx, e.build(u, ""), false); err != nil {
			return fmt.Errorf("%s: %w", e.name, err)
		}
		return nil
	}
	// The first sentence is rendered alone and starts playing while the rest
	// renders: speech starts sooner after an alert, whatever the text's length.
	first, rest := splitFirstSentence(u.Text)
	type rendered struct {
		pcm  []int16
		rate int
		err  error
	}
	render := func(text string) rendered {
		var r rendered
		if c, ok := e.cache.get(text); ok {
			r.pcm, r.rate = slices.Clone(c.pcm), c.rate
		} else if r.pcm, r.rate, r.err = e.render(ctx, utterance{Text: text, Priority: u.Priority}); r.err == nil {
			e.cache.put(text, r.pcm, r.rate)
		}
		scale(r.pcm, u.gain()) // after the cache: the volume may change
		return r
	}
	next := make(chan rendered, 1)
	cur := render(first)
	pending := rest != "" && cur.err == nil
	if pending {
		go func() { next <- render(rest) }()
	}
	// wait lets a render in flight finish: no goroutine outlives Speak.
	wait := func() {
		if pending {
			<-next
			pending = false
		}
	}
	for {
		if cur.err != nil {
			wait()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("%s: %w", e.name, cur.err)
		}
		if len(cur.pcm) > 0 {
			done, stop := e.pcm.PlaySpeech(cur.pcm, cur.rate)
			select {
			case <-done:
			case <-ctx.Done():
				stop()
				wait()
				return ctx.Err()
			}
		}
		if !pending {
			return nil
		}
		cur, pending = <-next, false
	}
}

// render runs the program for u and returns its PCM.
func (e *execBackend) render(ctx context.Context, u utterance) ([]int16, int, error) {
	dir := ""
	if e.needDir {
		d, err := os.MkdirTemp("", "packter-speech-")
		if err != nil {
			return nil, 0, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	return run(ctx, e.build(u, dir), true)
}

// scale applies the speech volume to PCM in place: speech mixed into the sound
// engine has its own volume, independent of the traffic sound's volume and mute.
func scale(pcm []int16, gain float64) {
	if gain >= 1 {
		return
	}
	g := int32(gain * 65536)
	for i, s := range pcm {
		pcm[i] = int16(int32(s) * g >> 16)
	}
}

// splitFirstSentence splits text after its first sentence when that leaves a
// substantial remainder; a very long first sentence is split at a comma or
// space instead.
func splitFirstSentence(text string) (first, rest string) {
	const minRest, maxFirst = 40, 160
	if len(text) < maxFirst/2+minRest {
		return text, ""
	}
	cut := -1
	for i := 1; i < len(text)-1 && i < maxFirst; i++ {
		if text[i+1] == ' ' && strings.IndexByte(".!?;:", text[i]) >= 0 {
			cut = i + 1
			break
		}
	}
	if cut < 0 {
		lim := min(len(text), maxFirst)
		if cut = strings.LastIndexByte(text[:lim], ','); cut < maxFirst/2 {
			cut = strings.LastIndexByte(text[:lim], ' ')
		} else {
			cut++
		}
	}
	if cut <= 0 || len(text)-cut < minRest {
		return text, ""
	}
	return strings.TrimSpace(text[:cut]), strings.TrimSpace(text[cut:])
}

// run executes c with text on stdin. With render set it returns the PCM the
// program produced; otherwise it waits for the program to finish speaking.
func run(ctx context.Context, c command, render bool) ([]int16, int, error) {
	cmd := exec.CommandContext(ctx, c.path, c.args...)
	cmd.Stdin = strings.NewReader(c.stdin)
	cmd.WaitDelay = time.Second
	if len(c.env) > 0 {
		cmd.Env = append(os.Environ(), c.env...)
	}
	var stderr limitedBuffer
	stderr.max = 512
	cmd.Stderr = &stderr
	var stdout limitedBuffer
	stdout.max = maxPCMBytes
	if render && c.file == "" {
		cmd.Stdout = &stdout
	}
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		msg := strings.TrimSpace(stderr.String())
		if msg != "" {
			return nil, 0, fmt.Errorf("%s: %w: %s", filepath.Base(c.path), err, msg)
		}
		return nil, 0, fmt.Errorf("%s: %w", filepath.Base(c.path), err)
	}
	if !render {
		return nil, 0, nil
	}
	data := stdout.Bytes()
	if c.file != "" {
		b, err := readLimited(c.file, maxPCMBytes)
		if err != nil {
			return nil, 0, err
		}
		data = b
	}
	return decodePCM(data, c.out)
}

func decodePCM(data []byte, format string) ([]int16, int, error) {
	switch format {
	case "raw22050":
		w := WAV{Rate: 22050, Channels: 1, Bits: 16, Data: data[:len(data)&^1]}
		return w.Mono16(make([]int16, 0, len(w.Data)/2)), w.Rate, nil
	default:
		w, err := ParseWAV(data)
		if err != nil {
			return nil, 0, fmt.Errorf("reading synthesiser output: %w", err)
		}
		return w.Mono16(make([]int16, 0, len(w.Data)/(2*w.Channels))), w.Rate, nil
	}
}

func readLimited(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, n))
}

// limitedBuffer keeps the first max bytes written and discards the rest, so a
// runaway program cannot exhaust memory (and is not blocked on a full pipe).
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

var errBadVoice = errors.New("voice names may use letters, digits and + - _ . / : space, and must not start with '-'")

// checkVoice keeps voice names from being read as options or breaking a
// line-based protocol.
func checkVoice(v string) error {
	if v == "" {
		return nil
	}
	if len(v) > 100 || v[0] == '-' {
		return errBadVoice
	}
	for _, r := range v {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("+-_./: ()", r):
		default:
			return errBadVoice
		}
	}
	return nil
}

// espeakCommand runs espeak-ng: text on stdin (--stdin, UTF-8), to stdout as WAV
// when rendering.
func espeakCommand(path string, rate int, voice string, pcm bool, u utterance) command {
	args := []string{"-b", "1", "--stdin"}
	if g := u.gain(); g < 1 && !pcm { // PCM is scaled in Go (see scale)
		args = append(args, "-a", strconv.Itoa(int(g*100+0.5))) // espeak-ng's default amplitude is 100
	}
	if rate > 0 {
		args = append(args, "-s", strconv.Itoa(clamp(rate, 80, 450)))
	}
	if voice != "" {
		args = append(args, "-v", voice)
	}
	c := command{path: path, stdin: Defuse(u.Text)}
	if pcm {
		args = append(args, "--stdout")
		c.out = "wav"
	}
	c.args = args
	return c
}

// sayCommand runs macOS say reading stdin ("-f -"); when rendering it writes a
// 16-bit WAV to a file in dir (say cannot write audio to stdout).
func sayCommand(path string, rate int, voice string, dir string, u utterance) command {
	var args []string
	if rate > 0 {
		args = append(args, "-r", strconv.Itoa(clamp(rate, 80, 450)))
	}
	if voice != "" {
		args = append(args, "-v", voice)
	}
	// say reads [[…]] as embedded commands: the text is defused, and only
	// Packter's own volume command precedes it (on the device path; rendered
	// PCM is scaled in Go).
	c := command{path: path, stdin: Defuse(u.Text)}
	if g := u.gain(); g < 1 && dir == "" {
		c.stdin = "[[volm " + strconv.FormatFloat(g, 'f', 2, 64) + "]] " + c.stdin
	}
	if dir != "" {
		c.file = filepath.Join(dir, "speech.wav")
		c.out = "wav"
		args = append(args, "-o", c.file, "--file-format=WAVE", "--data-format=LEI16@22050")
	}
	c.args = append(args, "-f", "-")
	return c
}

// sapiScript is fixed: everything variable reaches it through the environment
// and stdin, so nothing a sender writes is ever PowerShell code.
const sapiScript = `$ErrorActionPreference = 'Stop'
Add-Type -AssemblyName System.Speech
$s = New-Object System.Speech.Synthesis.SpeechSynthesizer
if ($env:PACKTER_SPEECH_VOICE) { $s.SelectVoice($env:PACKTER_SPEECH_VOICE) }
if ($env:PACKTER_SPEECH_RATE) { $s.Rate = [int]$env:PACKTER_SPEECH_RATE }
if ($env:PACKTER_SPEECH_VOLUME) { $s.Volume = [int]$env:PACKTER_SPEECH_VOLUME }
$in = New-Object System.IO.StreamReader([Console]::OpenStandardInput(), [System.Text.Encoding]::UTF8)
$text = $in.ReadToEnd()
if ($env:PACKTER_SPEECH_PCM) {
  $fmt = New-Object System.Speech.AudioFormat.SpeechAudioFormatInfo(22050, [System.Speech.AudioFormat.AudioBitsPerSample]::Sixteen, [System.Speech.AudioFormat.AudioChannel]::Mono)
  $s.SetOutputToAudioStream([Console]::OpenStandardOutput(), $fmt)
}
$s.Speak($text)
`

// sapiCommand runs Windows PowerShell with System.Speech; when rendering, raw
// 22050 Hz mono PCM comes back on stdout.
func sapiCommand(path string, rate int, voice string, pcm bool, u utterance) command {
	c := command{
		path:  path,
		args:  []string{"-NoLogo", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-Command", sapiScript},
		stdin: Defuse(u.Text),
		env:   []string{"PACKTER_SPEECH_VOICE=" + voice, "PACKTER_SPEECH_RATE=", "PACKTER_SPEECH_PCM=", "PACKTER_SPEECH_VOLUME="},
	}
	if g := u.gain(); g < 1 && !pcm {
		c.env[3] += strconv.Itoa(int(g*100 + 0.5)) // SAPI's volume is 0..100
	}
	if rate > 0 {
		// SAPI's rate is -10..10 around about 180 words per minute.
		c.env[1] += strconv.Itoa(clamp((rate-180)/18, -10, 10))
	}
	if pcm {
		c.env[2] += "1"
		c.out = "raw22050"
	}
	return c
}

// spdSayCommand is the fallback when speech-dispatcher's socket cannot be
// reached but spd-say exists (it starts the server itself). Text follows "--".
func spdSayCommand(path string, rate int, voice string, u utterance) command {
	args := []string{"-w", "-N", "packter", "-P", ssipPriority(u.Priority)}
	if rate > 0 {
		args = append(args, "-r", strconv.Itoa(ssipRate(rate)))
	}
	if g := u.gain(); g < 1 {
		args = append(args, "-i", strconv.Itoa(ssipVolume(g)))
	}
	if voice != "" {
		args = append(args, "-y", voice)
	}
	args = append(args, "--", Defuse(u.Text))
	return command{path: path, args: args}
}

func clamp(v, lo, hi int) int { return max(lo, min(hi, v)) }
