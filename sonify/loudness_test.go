package sonify

import (
	"math"
	"testing"
)

// ITU-R BS.1770-4 loudness, for tests that measure what is heard: the
// K-weighting filter (a high shelf, then a high pass), mean square per
// channel, 400 ms blocks overlapping by 75 %, an absolute gate at −70 LUFS and
// a relative gate 10 LU under the mean of the blocks above it.

// kWeight filters x (48 kHz) through BS.1770's two biquads.
func kWeight(x []float64) []float64 {
	type bq struct{ b0, b1, b2, a1, a2 float64 }
	stages := []bq{
		{1.53512485958697, -2.69169618940638, 1.19839281085285, -1.69065929318241, 0.73248077421585},
		{1, -2, 1, -1.99004745483398, 0.99007225036621},
	}
	y := append([]float64(nil), x...)
	for _, s := range stages {
		var x1, x2, y1, y2 float64
		for i, v := range y {
			o := s.b0*v + s.b1*x1 + s.b2*x2 - s.a1*y1 - s.a2*y2
			x2, x1, y2, y1 = x1, v, y1, o
			y[i] = o
		}
	}
	return y
}

// loudness400 is the momentary loudness (LUFS) of each 400 ms block, hop
// 100 ms, of a stereo signal at 48 kHz.
func loudness400(l, r []float64, rate int) []float64 {
	kl, kr := kWeight(l), kWeight(r)
	win, hop := rate*4/10, rate/10
	var out []float64
	for s := 0; s+win <= len(kl); s += hop {
		z := 0.0
		for i := s; i < s+win; i++ {
			z += kl[i]*kl[i] + kr[i]*kr[i]
		}
		out = append(out, lufs(z/float64(win)))
	}
	return out
}

func lufs(meanSquare float64) float64 {
	if meanSquare <= 0 {
		return -200
	}
	return -0.691 + 10*math.Log10(meanSquare)
}

// integrated is the gated integrated loudness of a stereo span (LUFS).
func integrated(l, r []float64, rate int) float64 {
	blocks := loudness400(l, r, rate)
	gate := func(thr float64) (float64, int) {
		s, n := 0.0, 0
		for _, b := range blocks {
			if b > thr {
				s += math.Pow(10, (b+0.691)/10)
				n++
			}
		}
		return s, n
	}
	s, n := gate(-70)
	if n == 0 {
		return -200
	}
	rel := lufs(s/float64(n)) - 10
	s, n = gate(rel)
	if n == 0 {
		return -200
	}
	return lufs(s / float64(n))
}

// loudnessOf is the integrated loudness of a's frames from..to seconds.
func loudnessOf(a audio, from, to float64) float64 {
	i, j := int(from*float64(a.rate)), min(int(to*float64(a.rate)), len(a.l))
	if i >= j {
		return -200
	}
	return integrated(a.l[i:j], a.r[i:j], a.rate)
}

// The helper itself: a 1 kHz sine at −20 dBFS on both channels reads about
// −20 LUFS + 3 dB (two channels) and the K-weighting's +0.69 dB at 1 kHz
// cancels the −0.691; silence is gated away.
func TestLoudnessHelper(t *testing.T) {
	rate := 48000
	l := make([]float64, 3*rate)
	for i := range l {
		l[i] = 0.1 * math.Sin(2*math.Pi*1000*float64(i)/float64(rate))
	}
	got := integrated(l, l, rate)
	// A sine of amplitude 0.1 has mean square 0.005: -23.01 dB, +3.01 for
	// two channels, and the filter's gain at 1 kHz (+0.69) cancels -0.691.
	if math.Abs(got-(-20)) > 0.1 {
		t.Errorf("1 kHz sine at amplitude 0.1, both channels: %.2f LUFS, want -20.0", got)
	}
	// Half of it silent: the gates keep the loudness of the sound.
	for i := len(l) / 2; i < len(l); i++ {
		l[i] = 0
	}
	if g2 := integrated(l, l, rate); math.Abs(g2-got) > 0.5 {
		t.Errorf("with silence: %.2f LUFS, want %.2f", g2, got)
	}
}
