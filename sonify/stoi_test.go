package sonify

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"

	"github.com/packter/packter/internal/dsp"
	"github.com/packter/packter/wav"
)

// stoi is the short-time objective intelligibility of proc against clean
// (Taal et al., 2011): both at 10 kHz, 256-sample Hann frames (50 % overlap),
// frames more than 40 dB below the clean speech's loudest dropped, 15
// one-third-octave bands from 150 Hz, 384 ms segments, processed envelopes
// normalised and clipped at −15 dB SDR, then the mean correlation of the
// envelopes. 1 is the clean speech itself; about 0.75 is speech in noise
// as loud as itself; 0.9 and over is easily understood.
func stoi(clean, proc []float64, rate int) float64 {
	const fs, frame, nfft, bands, seg = 10000, 256, 512, 15, 30
	x, y := dsp.Resample(clean, rate, fs), dsp.Resample(proc, rate, fs)
	n := min(len(x), len(y))
	win := make([]float64, frame)
	for i := range win {
		win[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i+1)/float64(frame+1))
	}
	// Frames, and the silent ones of the clean speech left out.
	type fr struct{ x, y []complex128 }
	var frames []fr
	var energy []float64
	for s := 0; s+frame <= n; s += frame / 2 {
		e := 0.0
		for i := 0; i < frame; i++ {
			v := x[s+i] * win[i]
			e += v * v
		}
		energy = append(energy, 10*math.Log10(e+1e-20))
	}
	top := -math.MaxFloat64
	for _, e := range energy {
		top = max(top, e)
	}
	for k, s := 0, 0; s+frame <= n; k, s = k+1, s+frame/2 {
		if energy[k] < top-40 {
			continue
		}
		fx, fy := make([]complex128, nfft), make([]complex128, nfft)
		for i := 0; i < frame; i++ {
			fx[i], fy[i] = complex(x[s+i]*win[i], 0), complex(y[s+i]*win[i], 0)
		}
		dsp.FFT(fx, false)
		dsp.FFT(fy, false)
		frames = append(frames, fr{fx, fy})
	}
	// One-third-octave band envelopes.
	lo, hi := make([]int, bands), make([]int, bands)
	for j := 0; j < bands; j++ {
		cf := 150 * math.Pow(2, float64(j)/3)
		lo[j] = int(math.Round(cf * math.Pow(2, -1.0/6) * nfft / fs))
		hi[j] = min(nfft/2, int(math.Round(cf*math.Pow(2, 1.0/6)*nfft/fs)))
	}
	X, Y := make([][]float64, bands), make([][]float64, bands)
	for j := range X {
		for _, f := range frames {
			var ex, ey float64
			for b := lo[j]; b < hi[j]; b++ {
				ex += sq(cmplx.Abs(f.x[b]))
				ey += sq(cmplx.Abs(f.y[b]))
			}
			X[j], Y[j] = append(X[j], math.Sqrt(ex)), append(Y[j], math.Sqrt(ey))
		}
	}
	clip := 1 + math.Pow(10, 15.0/20)
	var sum float64
	var count int
	for m := seg - 1; m < len(frames); m++ {
		for j := 0; j < bands; j++ {
			xs, ys := X[j][m-seg+1:m+1], Y[j][m-seg+1:m+1]
			alpha := norm(xs) / max(norm(ys), 1e-20)
			yc := make([]float64, seg)
			for i := range ys {
				yc[i] = min(alpha*ys[i], clip*xs[i])
			}
			sum += corr(xs, yc)
			count++
		}
	}
	if count == 0 {
		return 0
	}
	return sum / float64(count)
}

func sq(v float64) float64 { return v * v }

func norm(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

func corr(a, b []float64) float64 {
	var ma, mb float64
	for i := range a {
		ma += a[i]
		mb += b[i]
	}
	ma /= float64(len(a))
	mb /= float64(len(b))
	var ab, aa, bb float64
	for i := range a {
		ab += (a[i] - ma) * (b[i] - mb)
		aa += sq(a[i] - ma)
		bb += sq(b[i] - mb)
	}
	return ab / max(math.Sqrt(aa*bb), 1e-20)
}

// The measure itself: the clean speech scores 1, speech buried in noise as
// loud as itself scores far less, and more noise scores lower still.
func TestSTOIMeasure(t *testing.T) {
	pcm, rate := voiceLike()
	clean := make([]float64, len(pcm))
	for i, v := range pcm {
		clean[i] = float64(v) / 32768
	}
	rng := rand.New(rand.NewPCG(3, 4))
	noisy := func(snrDB float64) []float64 {
		p := 0.0
		for _, v := range clean {
			p += v * v
		}
		sigma := math.Sqrt(p / float64(len(clean)) / math.Pow(10, snrDB/10))
		out := make([]float64, len(clean))
		for i, v := range clean {
			out[i] = v + sigma*rng.NormFloat64()
		}
		return out
	}
	self, at0, atm10 := stoi(clean, clean, rate), stoi(clean, noisy(0), rate), stoi(clean, noisy(-10), rate)
	t.Logf("STOI: clean %.3f, 0 dB SNR %.3f, −10 dB SNR %.3f", self, at0, atm10)
	if self < 0.99 || at0 > 0.95 || atm10 >= at0 {
		t.Errorf("STOI not monotone in noise: clean %.3f, 0 dB %.3f, −10 dB %.3f", self, at0, atm10)
	}
}

// espeakPCM is espeak-ng's own rendering of text, when it is installed.
func espeakPCM(t *testing.T, text string) ([]int16, int, bool) {
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		return nil, 0, false
	}
	cmd := exec.Command("espeak-ng", "--stdout", "--stdin")
	cmd.Stdin = strings.NewReader(text)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("espeak-ng: %v", err)
	}
	f, err := wav.Parse(out)
	if err != nil {
		t.Fatalf("espeak-ng's WAV: %v", err)
	}
	return f.Mono16(nil), f.Rate, true
}

// Issue 15: the spoken flood alert, mixed over a 5,000 SYN/s flood, is as
// intelligible as speech gets: STOI ≥ 0.9 against the same voice alone.
func TestSpokenAlertIntelligibleOverFlood(t *testing.T) {
	pcm, rate, ok := espeakPCM(t, "SYN flood toward one ninety two dot one sixty eight dot one dot twenty, 5 thousand packets per second")
	if !ok {
		pcm, rate = voiceLike()
	}
	var e *Engine
	grab := func(x *Engine) { e = x }
	voice := renderSeq(t, Options{}, func(x *Engine) { grab(x); x.SetMuted(true) },
		floodAlert(func() { e.PlaySpeech(pcm, rate) }), 8)
	mixed := renderSeq(t, Options{}, grab, floodAlert(func() { e.PlaySpeech(pcm, rate) }), 8)
	vm, mm := voice.mono(), mixed.mono()
	from, to := firstAbove(vm, 0, 1e-3), lastAbove(vm, 1e-3)
	if to-from < voice.rate {
		t.Fatalf("speech heard for %d samples only", to-from)
	}
	s := stoi(vm[from:to], mm[from:to], voice.rate)
	t.Logf("STOI of the alert over the flood: %.3f (espeak-ng: %v)", s, ok)
	if s < 0.9 {
		t.Errorf("STOI %.3f, want ≥ 0.9", s)
	}
}
