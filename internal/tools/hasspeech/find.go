package main

import (
	"math"
	"math/cmplx"
	"time"

	"github.com/packter/packter/internal/dsp"
)

// Signal is mono audio.
type Signal struct {
	Rate int
	X    []float64
}

// matchRate is where both signals are compared: speech lives below 4 kHz.
const matchRate = 8000

// Find returns where in rec (within its first `within`) ref sounds, and how
// alike they are there: the normalised cross-correlation, 1 for identical
// shapes, near 0 for unrelated sound. Gain does not matter; other sound mixed
// over the speech lowers the score.
func Find(rec, ref Signal, within time.Duration) (time.Duration, float64) {
	r := dsp.Resample(rec.X, rec.Rate, matchRate)
	t := dsp.Resample(ref.X, ref.Rate, matchRate)
	if n := int(within.Seconds() * matchRate); n > 0 && n < len(r) {
		r = r[:n]
	}
	t = trimSilence(t)
	if len(t) == 0 || len(r) < len(t) {
		return 0, 0
	}
	corr := xcorr(r, t)
	var te float64
	for _, v := range t {
		te += v * v
	}
	// Energy of each window of r, from prefix sums.
	pre := make([]float64, len(r)+1)
	for i, v := range r {
		pre[i+1] = pre[i] + v*v
	}
	best, at := 0.0, 0
	for lag := 0; lag+len(t) <= len(r); lag++ {
		re := pre[lag+len(t)] - pre[lag]
		if re <= 1e-9 {
			continue
		}
		if s := corr[lag] / math.Sqrt(re*te); s > best {
			best, at = s, lag
		}
	}
	return time.Duration(float64(at) / matchRate * float64(time.Second)), best
}

// trimSilence drops leading and trailing near-silence, which would match
// anything quiet.
func trimSilence(x []float64) []float64 {
	const floor = 1e-3
	lo, hi := 0, len(x)
	for lo < hi && math.Abs(x[lo]) < floor {
		lo++
	}
	for hi > lo && math.Abs(x[hi-1]) < floor {
		hi--
	}
	return x[lo:hi]
}

// xcorr returns c[lag] = Σ r[lag+i]·t[i] for every lag, through the FFT.
func xcorr(r, t []float64) []float64 {
	n := 1
	for n < len(r)+len(t) {
		n <<= 1
	}
	a := make([]complex128, n)
	b := make([]complex128, n)
	for i, v := range r {
		a[i] = complex(v, 0)
	}
	for i, v := range t {
		b[i] = complex(v, 0)
	}
	dsp.FFT(a, false)
	dsp.FFT(b, false)
	for i := range a {
		a[i] *= cmplx.Conj(b[i])
	}
	dsp.FFT(a, true)
	out := make([]float64, len(r))
	for i := range out {
		out[i] = real(a[i]) / float64(n)
	}
	return out
}
