package dsp

import (
	"math"
	"math/cmplx"
	"testing"
)

// The FFT of a pure tone has its energy in the tone's bin; the inverse
// brings the signal back (scaled by n).
func TestFFTRoundTrip(t *testing.T) {
	const n = 64
	a := make([]complex128, n)
	for i := range a {
		a[i] = complex(math.Cos(2*math.Pi*5*float64(i)/n), 0)
	}
	orig := append([]complex128(nil), a...)
	FFT(a, false)
	if m := cmplx.Abs(a[5]); math.Abs(m-n/2) > 1e-9 {
		t.Errorf("bin 5 magnitude %v, want %v", m, n/2)
	}
	if m := cmplx.Abs(a[6]); m > 1e-9 {
		t.Errorf("bin 6 magnitude %v, want 0", m)
	}
	FFT(a, true)
	for i := range a {
		if cmplx.Abs(a[i]/n-orig[i]) > 1e-9 {
			t.Fatalf("sample %d: %v, want %v", i, a[i]/n, orig[i])
		}
	}
}

func TestResample(t *testing.T) {
	x := make([]float64, 4800)
	for i := range x {
		x[i] = 1
	}
	y := Resample(x, 48000, 8000)
	if len(y) != 800 {
		t.Fatalf("%d samples, want 800", len(y))
	}
	for i, v := range y[10:] { // past the moving average's start
		if math.Abs(v-1) > 1e-9 {
			t.Fatalf("sample %d: %v, want 1", i+10, v)
		}
	}
	if Resample(nil, 48000, 8000) != nil {
		t.Error("empty input gave samples")
	}
}
