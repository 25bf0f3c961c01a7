package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The committed files must be exactly what the generator makes: otherwise
// someone edited a WAV by hand or forgot `go generate ./sounds`.
func TestCommittedFilesMatchGenerator(t *testing.T) {
	for _, s := range All() {
		want := EncodeWAV(s.PCM)
		got, err := os.ReadFile(filepath.Join("..", s.Name))
		if err != nil {
			t.Fatalf("%s: %v (run go generate ./sounds)", s.Name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the generator's output (run go generate ./sounds)", s.Name)
		}
	}
}

func TestSoundsArePresentAndBounded(t *testing.T) {
	names := map[string]bool{}
	for _, s := range All() {
		names[s.Name] = true
		if len(s.PCM) == 0 || len(s.PCM) > 5*rate {
			t.Errorf("%s: %d samples, want 1..%d", s.Name, len(s.PCM), 5*rate)
		}
		for i, v := range s.PCM {
			if v > 0.95 || v < -0.95 {
				t.Fatalf("%s: sample %d = %f is too close to full scale", s.Name, i, v)
			}
		}
	}
	for _, n := range []string{"se0.wav", "se9.wav", "Detection.wav", "Traceback.wav", "Success.wav", "Failed.wav", "flood.wav", "incident.wav", "alert.wav"} {
		if !names[n] {
			t.Errorf("missing %s", n)
		}
	}
}
