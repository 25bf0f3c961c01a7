package speech

import (
	"slices"
	"strings"
	"testing"
)

// The say, SAPI and spd-say backends cannot run here; what they would run is
// checked exactly.

const hostile = "--help; $(touch x) `rm -rf ~` '\"; Remove-Item C:\\ -Recurse"

func TestSayCommand(t *testing.T) {
	u := utterance{Text: hostile, Priority: Alert}
	c := sayCommand("/usr/bin/say", 0, "", "", u)
	if want := []string{"-f", "-"}; !slices.Equal(c.args, want) || c.stdin != hostile || c.out != "" {
		t.Errorf("device: %q stdin %q out %q", c.args, c.stdin, c.out)
	}
	c = sayCommand("/usr/bin/say", 600, "Samantha", "/tmp/d", u)
	want := []string{"-r", "450", "-v", "Samantha", "-o", "/tmp/d/speech.wav", "--file-format=WAVE", "--data-format=LEI16@22050", "-f", "-"}
	if !slices.Equal(c.args, want) || c.file != "/tmp/d/speech.wav" || c.out != "wav" || c.stdin != hostile {
		t.Errorf("pcm: %q file %q out %q", c.args, c.file, c.out)
	}
}

func TestSAPICommand(t *testing.T) {
	u := utterance{Text: hostile, Priority: Message}
	c := sapiCommand(`C:\ps.exe`, 0, "", false, u)
	if c.args[len(c.args)-1] != sapiScript || c.args[len(c.args)-2] != "-Command" {
		t.Fatalf("args %q", c.args)
	}
	if c.stdin != hostile || strings.Contains(strings.Join(c.args, " "), "touch") {
		t.Errorf("text must travel on stdin only: args %q", c.args)
	}
	if want := []string{"PACKTER_SPEECH_VOICE=", "PACKTER_SPEECH_RATE=", "PACKTER_SPEECH_PCM=", "PACKTER_SPEECH_VOLUME="}; !slices.Equal(c.env, want) {
		t.Errorf("env %q", c.env)
	}
	c = sapiCommand(`C:\ps.exe`, 360, "Microsoft Zira Desktop", true, u)
	if want := []string{"PACKTER_SPEECH_VOICE=Microsoft Zira Desktop", "PACKTER_SPEECH_RATE=10", "PACKTER_SPEECH_PCM=1", "PACKTER_SPEECH_VOLUME="}; !slices.Equal(c.env, want) || c.out != "raw22050" {
		t.Errorf("env %q out %q", c.env, c.out)
	}
	if c := sapiCommand("ps", 90, "", false, u); c.env[1] != "PACKTER_SPEECH_RATE=-5" {
		t.Errorf("90 wpm: %q", c.env[1])
	}
	if c := sapiCommand("ps", 0, "", false, utterance{Text: "[[x]]", Attenuate: 0.7}); c.env[3] != "PACKTER_SPEECH_VOLUME=30" || c.stdin != "((x))" {
		t.Errorf("volume 0.3: %q, stdin %q", c.env[3], c.stdin)
	}
	// The script reads everything variable from the environment and stdin.
	for _, want := range []string{"$env:PACKTER_SPEECH_VOLUME", "$env:PACKTER_SPEECH_VOICE", "$env:PACKTER_SPEECH_RATE", "OpenStandardInput", "SetOutputToAudioStream"} {
		if !strings.Contains(sapiScript, want) {
			t.Errorf("script lacks %s", want)
		}
	}
}

func TestSpdSayCommand(t *testing.T) {
	c := spdSayCommand("/usr/bin/spd-say", 0, "", utterance{Text: hostile, Priority: Alert})
	want := []string{"-w", "-N", "packter", "-P", "important", "--", hostile}
	if !slices.Equal(c.args, want) || c.stdin != "" {
		t.Errorf("args %q", c.args)
	}
	c = spdSayCommand("/usr/bin/spd-say", 80, "en", utterance{Text: "-x", Priority: Progress})
	want = []string{"-w", "-N", "packter", "-P", "notification", "-r", "-100", "-y", "en", "--", "-x"}
	if !slices.Equal(c.args, want) {
		t.Errorf("args %q", c.args)
	}
}

func TestEspeakCommand(t *testing.T) {
	c := espeakCommand("/usr/bin/espeak-ng", 0, "", false, utterance{Text: hostile})
	if want := []string{"-b", "1", "--stdin"}; !slices.Equal(c.args, want) || c.stdin != hostile || c.out != "" {
		t.Errorf("device: %q", c.args)
	}
	c = espeakCommand("/usr/bin/espeak-ng", 20, "en-us", true, utterance{Text: hostile})
	if want := []string{"-b", "1", "--stdin", "-s", "80", "-v", "en-us", "--stdout"}; !slices.Equal(c.args, want) || c.out != "wav" {
		t.Errorf("pcm: %q", c.args)
	}
}

func TestSSIPRate(t *testing.T) {
	for _, tc := range []struct{ wpm, want int }{{170, 0}, {80, -100}, {10, -100}, {390, 100}, {900, 100}, {280, 50}, {125, -50}} {
		if got := ssipRate(tc.wpm); got != tc.want {
			t.Errorf("ssipRate(%d) = %d, want %d", tc.wpm, got, tc.want)
		}
	}
}

func TestCheckVoice(t *testing.T) {
	for _, ok := range []string{"", "en", "en-us", "mb-us1", "Microsoft Zira Desktop", "gmw/en-GB-x-rp", "en+f3"} {
		if err := checkVoice(ok); err != nil {
			t.Errorf("%q rejected: %v", ok, err)
		}
	}
	for _, bad := range []string{"-h", "--help", "en\r\nQUIT", "a;b", "$(x)", "`x`", strings.Repeat("a", 101)} {
		if checkVoice(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Every backend gets defused text and the speech volume in its own terms.
func TestCommandsVolumeAndMarkup(t *testing.T) {
	u := utterance{Text: "hello [[h@l'oU]]", Priority: Message, Attenuate: 0.75}
	if c := espeakCommand("espeak-ng", 0, "", false, u); !slices.Equal(c.args, []string{"-b", "1", "--stdin", "-a", "25"}) || c.stdin != "hello ((h@l'oU))" {
		t.Errorf("espeak-ng device: %q stdin %q", c.args, c.stdin)
	}
	if c := espeakCommand("espeak-ng", 0, "", true, u); slices.Contains(c.args, "-a") {
		t.Errorf("espeak-ng PCM is scaled in Go, not by -a: %q", c.args)
	}
	if c := sayCommand("say", 0, "", "", u); c.stdin != "[[volm 0.25]] hello ((h@l'oU))" {
		t.Errorf("say device stdin %q", c.stdin)
	}
	if c := sayCommand("say", 0, "", "/tmp/d", u); c.stdin != "hello ((h@l'oU))" {
		t.Errorf("say PCM stdin %q", c.stdin)
	}
	c := spdSayCommand("spd-say", 0, "", u)
	if want := []string{"-w", "-N", "packter", "-P", "text", "-i", "-75", "--", "hello ((h@l'oU))"}; !slices.Equal(c.args, want) {
		t.Errorf("spd-say %q", c.args)
	}
	for _, tc := range []struct {
		g    float64
		want int
	}{{1, 0}, {0, -100}, {0.5, -50}, {0.25, -75}} {
		if got := ssipVolume(tc.g); got != tc.want {
			t.Errorf("ssipVolume(%v) = %d, want %d", tc.g, got, tc.want)
		}
	}
}

func TestScalePCM(t *testing.T) {
	pcm := []int16{32767, -32768, 1000, -1000, 0}
	scale(pcm, 0.5)
	if want := []int16{16383, -16384, 500, -500, 0}; !slices.Equal(pcm, want) {
		t.Errorf("scaled %v, want %v", pcm, want)
	}
	scale(pcm, 0)
	if want := []int16{0, 0, 0, 0, 0}; !slices.Equal(pcm, want) {
		t.Errorf("silenced %v", pcm)
	}
}
