package main

import (
	"math"
	"math/rand/v2"
	"os/exec"
	"testing"
	"time"
)

// A chirp hidden in noise at a known place is found there; the same noise
// without it scores low.
func TestFindLocatesAndRejects(t *testing.T) {
	const rate = 48000
	rng := rand.New(rand.NewPCG(1, 2))
	ref := Signal{Rate: 22050}
	for i := 0; i < 22050; i++ { // one second, a rising warble like speech's pitch
		s := float64(i) / 22050
		ref.X = append(ref.X, 0.5*math.Sin(2*math.Pi*(200*s+300*s*s))*math.Sin(math.Pi*s))
	}
	noise := func() Signal {
		x := make([]float64, 6*rate)
		for i := range x {
			x[i] = 0.05 * rng.NormFloat64()
		}
		return Signal{Rate: rate, X: x}
	}
	with := noise()
	at := 2*rate + rate/4
	for i := 0; i < rate; i++ { // ref resampled to 48 kHz, quieter than recorded
		p := float64(i) * 22050 / rate
		with.X[at+i] += 0.3 * ref.X[int(p)]
	}
	got, score := Find(with, ref, 10*time.Second)
	if d := got - 2250*time.Millisecond; d < -20*time.Millisecond || d > 20*time.Millisecond {
		t.Errorf("found at %v, want 2.25 s", got)
	}
	if score < 0.7 {
		t.Errorf("score %.3f with the sound present, want ≥ 0.7", score)
	}
	if _, score := Find(noise(), ref, 10*time.Second); score > 0.3 {
		t.Errorf("score %.3f in noise alone, want ≤ 0.3", score)
	}
}

// With the real voice: one sentence is found in a recording of itself after
// other speech, and a different sentence is not.
func TestFindRealVoice(t *testing.T) {
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng not installed")
	}
	a, err := render("Packter demo. Playing three minutes of a small office network.", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := render("Volume fifty percent.", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	rec := Signal{Rate: a.Rate, X: append(append(append([]float64{}, b.X...), make([]float64, a.Rate)...), a.X...)}
	if _, score := Find(rec, a, 30*time.Second); score < 0.9 {
		t.Errorf("sentence in its own recording scored %.3f", score)
	}
	other, err := render("No answer from the traceback client.", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, score := Find(rec, other, 30*time.Second); score > 0.4 {
		t.Errorf("a sentence never said scored %.3f", score)
	}
}
