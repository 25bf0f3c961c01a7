package sonify

import (
	"context"
	"iter"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/protocol"
	"github.com/packter/packter/wav"
)

// Sound v2: what is heard, measured on offline renders with BS.1770 loudness.

// stream yields one class's packets at rate/s from `from` to `to`, reusing
// one event (the engine keeps none), ports spread like a scan.
func stream(flag int, model string, rate float64, from, to time.Duration) iter.Seq[*event.Event] {
	return func(yield func(*event.Event) bool) {
		ev := pkt(0, "10.1.2.3", 40000, 80, flag)
		ev.Model = model
		n := int(rate * (to - from).Seconds())
		for i := 0; i < n; i++ {
			ev.Time = t0.Add(from + time.Duration(float64(i)/rate*1e9))
			ev.DPort = protocol.PortFrom(uint32(1 + (i*7919)%1024))
			if !yield(ev) {
				return
			}
		}
	}
}

// concat plays sequences one after another (times must ascend).
func concat(seqs ...iter.Seq[*event.Event]) iter.Seq[*event.Event] {
	return func(yield func(*event.Event) bool) {
		for _, s := range seqs {
			for ev := range s {
				if !yield(ev) {
					return
				}
			}
		}
	}
}

// renderSeq renders a sequence offline, after setup, and pads the output
// with silence to at least minSecs.
func renderSeq(t testing.TB, opts Options, setup func(*Engine), evs iter.Seq[*event.Event], minSecs float64) audio {
	t.Helper()
	e, err := newOffline(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer e.lib.close()
	var w memWS
	ww, _ := wav.NewWriter(&w, e.rate, 2)
	e.anchor(t0, 0) // event times count from t0, whenever the first comes
	if setup != nil {
		setup(e)
	}
	if err := e.renderEvents(context.Background(), evs, ww.Write); err != nil {
		t.Fatal(err)
	}
	for float64(ww.Frames()) < minSecs*float64(e.rate) {
		ww.Write(e.renderBlock(maxBlock))
	}
	ww.Close()
	return decodeWAV(t, w.b)
}

// level100 is the K-weighted level (LUFS-scaled) of each 100 ms window
// (hop 25 ms): short enough to see holes and fades.
func level100(a audio) []float64 {
	kl, kr := kWeight(a.l), kWeight(a.r)
	win, hop := a.rate/10, a.rate/40
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

// classLoudness renders one class at a rate and measures its integrated
// loudness once settled.
func classLoudness(t testing.TB, flag int, rate float64) float64 {
	secs := 3.0
	if rate < 5 {
		secs = 8
	}
	a := renderSeq(t, Options{}, nil, stream(flag, "", rate, 0, time.Duration(secs*float64(time.Second))), secs)
	return loudnessOf(a, 1, secs)
}

var lawRates = []float64{1, 3, 10, 30, 100, 300, 1e3, 1e4, 1e5, 1e6}

// lawLUPerDecade is the loudness law: a class's loudness grows by this many
// LU per tenfold rate, from one packet a second to a million.
const lawLUPerDecade = 3

// The loudness law, on rendered ramps: loudness never falls as the rate
// rises (by more than 3 LU) and stays within 3 LU of the law.
func TestLoudnessLaw(t *testing.T) {
	if testing.Short() {
		t.Skip("renders 10 rates for 3 classes")
	}
	for _, flag := range []int{1, 0, 8} {
		prev, first := -200.0, 0.0
		for i, r := range lawRates {
			l := classLoudness(t, flag, r)
			if i == 0 {
				first = l
			}
			want := first + lawLUPerDecade*math.Log10(r)
			t.Logf("flag %d at %8g/s: %6.1f LUFS (%+5.1f LU from 1/s, law %+5.1f)", flag, r, l, l-first, want-first)
			if l < prev-3 {
				t.Errorf("flag %d: %g/s is %.1f LU quieter than a slower rate", flag, r, prev-l)
			}
			if math.Abs(l-want) > 3 {
				t.Errorf("flag %d at %g/s: %.1f LU off the law", flag, r, l-want)
			}
			prev = math.Max(prev, l)
		}
	}
}

// steadyLevel is the median 100 ms level over a span (seconds).
func steadyLevel(lv []float64, from, to float64) float64 {
	s := append([]float64(nil), lv[int(from*40):int(to*40)]...)
	slices.Sort(s)
	return s[len(s)/2]
}

// A flood's onset has no hole: from its first note on, no 100 ms window
// falls more than 6 dB under the level it settles at. And when it stops, it
// is 20 dB down within 250 ms and 40 dB down (silent against any other
// traffic) within 400 ms.
func TestFloodOnsetAndEnd(t *testing.T) {
	for _, rate := range []float64{250, 5000} {
		a := renderSeq(t, Options{}, nil, stream(1, "", rate, time.Second, 4*time.Second), 6)
		lv := level100(a)
		steady := steadyLevel(lv, 2.5, 3.8)
		worst, at := 100.0, 0.0
		for i := 40; i <= 36*4; i++ { // windows starting 1.0..3.6 s (each 100 ms long)
			if d := lv[i] - steady; d < worst {
				worst, at = d, float64(i)/40
			}
		}
		t.Logf("%g/s: steady %.1f LUFS, deepest window %.1f dB at %.3f s", rate, steady, worst, at)
		if worst < -6 {
			t.Errorf("%g/s: a %.1f dB hole at %.2f s after the onset at 1 s", rate, -worst, at)
		}
		// The last packet is just before 4 s; window i covers i/40 .. i/40+0.1 s.
		down := func(db float64) float64 {
			for i := 4 * 40; i < len(lv); i++ {
				if lv[i] < steady-db {
					return float64(i)/40 + 0.1 - 4
				}
			}
			return math.Inf(1)
		}
		d20, d40 := down(20), down(40)
		t.Logf("%g/s: -20 dB %.0f ms, -40 dB %.0f ms after the last packet", rate, d20*1000, d40*1000)
		if d20 > 0.25 || d40 > 0.4 {
			t.Errorf("%g/s: -20 dB after %.0f ms (want ≤ 250), -40 dB after %.0f ms (want ≤ 400)", rate, d20*1000, d40*1000)
		}
	}
}

// A flood's own sound (the missile records' whistle) stops within a second
// of the last flood record.
func TestFloodSoundStops(t *testing.T) {
	a := renderSeq(t, Options{}, nil, stream(1, "missile", 1000, 0, 3*time.Second+300*time.Millisecond), 6)
	end := float64(lastAbove(a.mono(), 1e-3)) / float64(a.rate)
	t.Logf("last flood record at 3.3 s, sound until %.2f s", end)
	if end > 4.3 {
		t.Errorf("flood sound lasts until %.2f s, more than 1 s after the last record", end)
	}
}

// voiceLike is 3 s of a speech-like signal at 22050 Hz: syllables four a
// second, each a gliding 110–150 Hz harmonic series with a spectral tilt,
// gaps between words. Deterministic, no synthesiser needed.
func voiceLike() ([]int16, int) {
	const rate = 22050
	pcm := make([]int16, 3*rate)
	ph := 0.0
	for i := range pcm {
		t := float64(i) / rate
		syl := math.Mod(t, 0.25) / 0.25
		env := math.Sin(math.Pi * syl)
		if int(t/0.25)%5 == 4 { // a pause after every four syllables
			env = 0
		}
		f0 := 110 + 40*math.Sin(2*math.Pi*0.7*t)
		ph += f0 / rate
		s := 0.0
		for k := 1; k <= 30; k++ {
			s += math.Sin(2*math.Pi*float64(k)*ph) / float64(k)
		}
		pcm[i] = int16(6000 * env * s)
	}
	return pcm, rate
}

// floodAlert is what the monitor gets while an agent announces a 5,000/s SYN
// flood: the SYN texture, the flood records (PACKTER's missile) and
// PACKTERSOUND 30000,Detection.wav; hook runs when the alert arrives, at 1.2 s.
func floodAlert(hook func()) iter.Seq[*event.Event] {
	return func(yield func(*event.Event) bool) {
		syn := stream(1, "", 5000, 0, 5*time.Second)
		missile := pkt(0, "10.1.2.3", 40000, 80, 1)
		missile.Model = "missile"
		i, fired := 0, false
		for ev := range syn {
			if !fired && ev.Time.Sub(t0) >= 1200*time.Millisecond {
				fired = true
				hook()
				if !yield(&event.Event{Kind: event.KindSound, Time: ev.Time, File: "Detection.wav", Millis: 30000}) {
					return
				}
			}
			if !yield(ev) {
				return
			}
			if i++; i%5 == 0 && ev.Time.Sub(t0) >= time.Second {
				missile.Time = ev.Time
				if !yield(missile) {
					return
				}
			}
		}
	}
}

// While Packter speaks, everything else is ducked by at least 12 dB (flood
// whistle and PACKTERSOUND included), and the speech stands at least 3 LU
// above the rest of the mix, measured during a 5,000 SYN/s flood: the rest by
// rendering with DuckFor instead of the voice, the voice by rendering it
// with the traffic muted (mute leaves speech alone).
func TestSpeechOnTop(t *testing.T) {
	pcm, rate := voiceLike()
	dur := time.Duration(len(pcm)) * time.Second / time.Duration(rate)
	var e *Engine
	grab := func(x *Engine) { e = x }
	voice := renderSeq(t, Options{}, func(x *Engine) { grab(x); x.SetMuted(true) },
		floodAlert(func() { e.PlaySpeech(pcm, rate) }), 6)
	rest := renderSeq(t, Options{}, grab, floodAlert(func() { e.DuckFor(dur) }), 6)
	plain := renderSeq(t, Options{}, grab, floodAlert(func() {}), 6)
	mixed := renderSeq(t, Options{}, grab, floodAlert(func() { e.PlaySpeech(pcm, rate) }), 6)

	vm := voice.mono()
	from := float64(firstAbove(vm, 0, 1e-3)) / float64(voice.rate)
	to := float64(lastAbove(vm, 1e-3)) / float64(voice.rate)
	if from < 1.1 || to-from < 2.5 {
		t.Fatalf("speech heard from %.2f to %.2f s", from, to)
	}
	lv, lr, lp := loudnessOf(voice, from, to), loudnessOf(rest, from, to), loudnessOf(plain, from, to)
	lm := loudnessOf(mixed, from, to)
	t.Logf("speech %.1f LUFS, rest ducked %.1f LUFS, rest unducked %.1f LUFS, together %.1f LUFS", lv, lr, lp, lm)
	if lv-lr < 3 {
		t.Errorf("speech only %.1f LU above the rest of the mix, want ≥ 3", lv-lr)
	}
	if lp-lr < 12 {
		t.Errorf("the rest is ducked by %.1f dB, want ≥ 12", lp-lr)
	}
	// After the speech (and the duck) the flood is back at full level.
	if a, b := loudnessOf(rest, to+0.3, 5), loudnessOf(plain, to+0.3, 5); math.Abs(a-b) > 1 {
		t.Errorf("after the duck: %.1f LUFS, without it %.1f", a, b)
	}
}
