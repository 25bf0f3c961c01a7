// Command hasspeech checks that a recording contains a spoken sentence: it has
// espeak-ng say the sentence on its own and looks for that rendering in the
// recording by normalised cross-correlation. The set-up's fresh-machine test
// uses it on the demo's --wav recording.
//
//	hasspeech [-within 30s] [-min 0.5] [-voice V] [-rate WPM] REC.wav "text"
//
// It prints the best match's time and score and exits 1 when the score is
// below -min: the recording does not contain that speech.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/packter/packter/speech"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "hasspeech:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("hasspeech", flag.ContinueOnError)
	within := fs.Duration("within", 30*time.Second, "search the recording's first `D`")
	minScore := fs.Float64("min", 0.5, "lowest correlation (0..1) that counts as found")
	voice := fs.String("voice", "", "espeak-ng voice, as the monitor's --voice-name")
	rate := fs.Int("rate", 0, "espeak-ng words per minute, as the monitor's --voice-rate")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return errors.New("usage: hasspeech [flags] REC.wav TEXT")
	}
	rec, err := readMono(fs.Arg(0))
	if err != nil {
		return err
	}
	ref, err := render(fs.Arg(1), *voice, *rate)
	if err != nil {
		return err
	}
	at, score := Find(rec, ref, *within)
	fmt.Printf("best match at %.2f s, score %.3f\n", at.Seconds(), score)
	if score < *minScore {
		return fmt.Errorf("%q not found in %s (score %.3f < %.2f)", fs.Arg(1), fs.Arg(0), score, *minScore)
	}
	return nil
}

// render has espeak-ng say text as the monitor would.
func render(text, voice string, rate int) (Signal, error) {
	args := []string{"-b", "1", "--stdin", "--stdout"}
	if rate > 0 {
		args = append(args, "-s", strconv.Itoa(rate))
	}
	if voice != "" {
		args = append(args, "-v", voice)
	}
	cmd := exec.Command("espeak-ng", args...)
	cmd.Stdin = strings.NewReader(text)
	out, err := cmd.Output()
	if err != nil {
		return Signal{}, fmt.Errorf("espeak-ng: %w", err)
	}
	return decode(out, "espeak-ng's output")
}

func readMono(path string) (Signal, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Signal{}, err
	}
	return decode(b, path)
}

func decode(b []byte, name string) (Signal, error) {
	w, err := speech.ParseWAV(b)
	if err != nil {
		return Signal{}, fmt.Errorf("%s: %w", name, err)
	}
	pcm := w.Mono16(nil)
	s := Signal{Rate: w.Rate, X: make([]float64, len(pcm))}
	for i, v := range pcm {
		s.X[i] = float64(v) / 32768
	}
	return s, nil
}
