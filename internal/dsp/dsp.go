// Package dsp holds the two signal tools Packter's measurements share: a
// radix-2 FFT and a crude resampler. The tools that check a recording for
// speech and the sound tests that measure intelligibility both use them.
package dsp

import "math"

// FFT transforms a in place (inverse: unscaled); len(a) must be a power of two.
func FFT(a []complex128, inverse bool) {
	n := len(a)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		ang := 2 * math.Pi / float64(size)
		if !inverse {
			ang = -ang
		}
		w := complex(math.Cos(ang), math.Sin(ang))
		for start := 0; start < n; start += size {
			wk := complex(1, 0)
			for k := 0; k < size/2; k++ {
				u := a[start+k]
				v := a[start+k+size/2] * wk
				a[start+k] = u + v
				a[start+k+size/2] = u - v
				wk *= w
			}
		}
	}
}

// Resample takes x from one rate to another: a moving average over the
// decimation step as the low-pass, then linear interpolation. Crude, but the
// same for every signal compared.
func Resample(x []float64, from, to int) []float64 {
	if from <= 0 || to <= 0 || len(x) == 0 {
		return nil
	}
	step := float64(from) / float64(to)
	w := max(1, int(step))
	sm := make([]float64, len(x))
	var acc float64
	for i, v := range x {
		acc += v
		if i >= w {
			acc -= x[i-w]
		}
		sm[i] = acc / float64(w)
	}
	out := make([]float64, int(float64(len(x))/step))
	for i := range out {
		p := float64(i) * step
		k := int(p)
		f := p - float64(k)
		if k+1 < len(sm) {
			out[i] = sm[k]*(1-f) + sm[k+1]*f
		} else {
			out[i] = sm[len(sm)-1]
		}
	}
	return out
}
