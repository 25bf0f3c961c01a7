// Command gen writes Packter's sound files: PACKTER's per-flag effects
// (se0.wav … se9.wav), its named cues (Detection, Traceback, Success, Failed) and
// the foreground cues of the themes. Everything is synthesised here from sines
// and seeded noise, so the output is byte-for-byte reproducible and ours to
// license. Run it with `go generate ./sounds`.
package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/packter/packter/wav"
)

const rate = 48000

func main() {
	out := flag.String("out", ".", "directory to write the WAV files into")
	flag.Parse()
	for _, s := range All() {
		path := filepath.Join(*out, s.Name)
		if err := os.WriteFile(path, EncodeWAV(s.PCM), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "gen: %v\n", err)
			os.Exit(1)
		}
	}
}

// Sound is one generated file.
type Sound struct {
	Name string
	PCM  []float64 // mono, 48 kHz, within [-1, 1]
}

// All returns every sound file, in a fixed order.
func All() []Sound {
	var s []Sound
	// One effect per PACKTER flag class, echoing the engine's gestures: pluck
	// (ACK/data), rise (SYN), fall (FIN/RST), droplet (UDP), ping (ICMP); the
	// IPv6 classes 5..9 are the same gestures a fifth higher with a glassier tone.
	for c := 0; c < 10; c++ {
		v6 := c >= 5
		base := 392.0 // G4
		ratio := 1.0
		if v6 {
			base *= 1.5
			ratio = 3.41
		}
		var pcm []float64
		switch c % 5 {
		case 0:
			pcm = fm(0.35, base, base, ratio, 1.2, 0.12, 0.004)
		case 1:
			pcm = fm(0.4, base/1.5, base, ratio, 1.0, 0.16, 0.006)
		case 2:
			pcm = fm(0.4, base, base/1.5, ratio, 1.0, 0.14, 0.004)
		case 3:
			pcm = droplet(0.3, base, base*2.2)
		case 4:
			pcm = fm(0.6, base*2, base*1.98, ratio, 0.15, 0.35, 0.002)
		}
		s = append(s, Sound{fmt.Sprintf("se%d.wav", c), normalize(pcm, 0.7)})
	}
	s = append(s,
		Sound{"Detection.wav", normalize(detection(), 0.8)},
		Sound{"Traceback.wav", normalize(traceback(), 0.7)},
		Sound{"Success.wav", normalize(arpeggio([]float64{523.25, 659.25, 783.99, 1046.5}, 0.11, 0.6), 0.7)},
		Sound{"Failed.wav", normalize(arpeggio([]float64{392.0, 311.13, 261.63}, 0.18, 0.7), 0.7)},
		Sound{"flood.wav", normalize(flood(), 0.8)},
		Sound{"incident.wav", normalize(arpeggio([]float64{880, 698.46, 587.33}, 0.13, 0.9), 0.8)},
		Sound{"alert.wav", normalize(alert(), 0.8)},
	)
	return s
}

// fm is a two-operator FM tone gliding from f0 to f1 over the first glide
// seconds, with an exponential decay of the given time constant.
func fm(dur, f0, f1, ratio, index, tau, glide float64) []float64 {
	n := int(dur * rate)
	out := make([]float64, n)
	pc, pm := 0.0, 0.0
	for i := range out {
		t := float64(i) / rate
		f := f1
		if t < glide*10 {
			k := t / (glide * 10)
			f = f0 * math.Pow(f1/f0, k)
		}
		env := math.Exp(-t/tau) * math.Min(1, t/0.003)
		idx := index * math.Exp(-t/(tau*0.7))
		out[i] = env * math.Sin(2*math.Pi*pc+idx*math.Sin(2*math.Pi*pm))
		pc += f / rate
		pm += f * ratio / rate
	}
	return out
}

// droplet is a sine whose pitch rises fast while it decays: a water drop.
func droplet(dur, f0, f1 float64) []float64 {
	n := int(dur * rate)
	out := make([]float64, n)
	p := 0.0
	for i := range out {
		t := float64(i) / rate
		f := f1 - (f1-f0)*math.Exp(-t/0.015)
		env := math.Exp(-t/0.05) * math.Min(1, t/0.002)
		out[i] = env * math.Sin(2*math.Pi*p)
		p += f / rate
	}
	return out
}

func arpeggio(freqs []float64, step, tail float64) []float64 {
	n := int((step*float64(len(freqs)) + tail) * rate)
	out := make([]float64, n)
	for k, f := range freqs {
		start := int(step * float64(k) * rate)
		note := fm(tail+step, f, f, 3.5, 0.8, 0.35, 0)
		for i, v := range note {
			if start+i < n {
				out[start+i] += v
			}
		}
	}
	return out
}

func detection() []float64 {
	var out []float64
	for k := 0; k < 4; k++ {
		f := 880.0
		if k%2 == 1 {
			f = 660
		}
		note := fm(0.3, f, f, 2, 1.5, 0.5, 0)
		for i := range note {
			t := float64(i) / rate
			note[i] *= math.Min(1, (0.3-t)/0.02)
		}
		out = append(out, note...)
	}
	return out
}

func traceback() []float64 {
	n := int(1.6 * rate)
	out := make([]float64, n)
	for k, d := range []float64{0, 0.35, 0.7} {
		ping := fm(0.9, 1200, 1180, 1, 0.05, 0.25, 0.002)
		g := math.Pow(0.45, float64(k))
		start := int(d * rate)
		for i, v := range ping {
			if start+i < n {
				out[start+i] += g * v
			}
		}
	}
	return out
}

// flood is a falling whistle over a low rumble: PACKTER draws floods as missiles.
func flood() []float64 {
	n := int(1.4 * rate)
	out := make([]float64, n)
	p := 0.0
	seed := uint32(0x9e3779b9)
	lp := 0.0
	for i := range out {
		t := float64(i) / rate
		f := 1800 * math.Pow(0.25, t/1.4)
		env := math.Min(1, t/0.05) * math.Min(1, (1.4-t)/0.2)
		seed ^= seed << 13
		seed ^= seed >> 17
		seed ^= seed << 5
		noise := float64(int32(seed)) / (1 << 31)
		lp += 0.02 * (noise - lp)
		out[i] = env * (0.6*math.Sin(2*math.Pi*p) + 2.5*lp*t)
		p += f / rate
	}
	return out
}

func alert() []float64 {
	a := fm(0.5, 987.77, 987.77, 2, 0.7, 0.2, 0)
	b := fm(0.6, 1318.5, 1318.5, 2, 0.7, 0.25, 0)
	return append(a[:int(0.18*rate)], b...)
}

func normalize(pcm []float64, peak float64) []float64 {
	m := 0.0
	for _, v := range pcm {
		m = math.Max(m, math.Abs(v))
	}
	if m == 0 {
		return pcm
	}
	for i := range pcm {
		pcm[i] *= peak / m
	}
	// Fade the last 5 ms so no file ends in a click.
	f := rate / 200
	for i := 0; i < f && i < len(pcm); i++ {
		pcm[len(pcm)-1-i] *= float64(i) / float64(f)
	}
	return pcm
}

// EncodeWAV writes 16-bit mono PCM at 48 kHz in a canonical RIFF/WAVE file,
// through package wav (the one WAV writer).
func EncodeWAV(pcm []float64) []byte { return wav.Encode(pcm, rate, 1) }
