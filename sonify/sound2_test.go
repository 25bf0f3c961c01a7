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
		ev.Model = event.CleanText(model, event.MaxText)
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
		missile.Model = event.CleanText("missile", event.MaxText)
		i, fired := 0, false
		for ev := range syn {
			if !fired && ev.Time.Sub(t0) >= 1200*time.Millisecond {
				fired = true
				hook()
				if !yield(&event.Event{Kind: event.KindSound, Time: ev.Time, File: event.CleanText("Detection.wav", event.MaxText), Millis: 30000}) {
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

// bandShare is the share of x's energy between lo and hi Hz (plain DFT at
// 25 Hz steps up to 6 kHz).
func bandShare(x []float64, rate int, lo, hi float64) float64 {
	in, all := 0.0, 0.0
	for f := 25.0; f <= 6000; f += 25 {
		re, im := 0.0, 0.0
		w := 2 * math.Pi * f / float64(rate)
		for i, v := range x {
			re += v * math.Cos(w*float64(i))
			im -= v * math.Sin(w*float64(i))
		}
		p := re*re + im*im
		all += p
		if f >= lo && f <= hi {
			in += p
		}
	}
	return in / all
}

// The heartbeat carries its energy where small laptop speakers play:
// 200–2,000 Hz.
func TestHeartbeatAudibleOnSmallSpeakers(t *testing.T) {
	a := renderSeq(t, Options{}, nil, stream(0, "", 1, 0, time.Second), 18)
	m := a.mono()
	from := firstAbove(m, 10*a.rate, 1e-4)
	if from < 0 {
		t.Fatal("no heartbeat")
	}
	share := bandShare(m[from:from+a.rate/4], a.rate, 200, 2000)
	t.Logf("heartbeat at %.2f s: %.0f %% of its energy in 200–2000 Hz", float64(from)/float64(a.rate), share*100)
	if share < 0.8 {
		t.Errorf("heartbeat: only %.0f %% of its energy in 200–2000 Hz", share*100)
	}
}

// A ping a second is no louder than a SYN a second.
func TestPingNotLouderThanSYN(t *testing.T) {
	ping, syn := classLoudness(t, 4, 1), classLoudness(t, 1, 1)
	ev := pkt(0, "10.0.0.1", 8*256, 0, 4) // echo request
	a := renderT(t, Options{}, nil, []*event.Event{ev})
	m := a.mono()
	ring := float64(lastAbove(m, peakAbs(m)*0.1)-firstAbove(m, 0, 1e-3)) / float64(a.rate)
	t.Logf("ICMP %.1f LUFS, SYN %.1f LUFS; an echo request rings %.2f s to -20 dB", ping, syn, ring)
	if ping > syn {
		t.Errorf("ICMP at 1/s is %.1f LU louder than SYN at 1/s", ping-syn)
	}
}

// envelopePeaks counts the onsets in a note: 5 ms RMS frames that rise by
// 6 dB over the frame 20 ms before, at least 30 ms after the last onset.
func envelopePeaks(m []float64, rate int) int {
	fr := rate / 200
	var lv []float64
	for i := 0; i+fr <= len(m); i += fr {
		lv = append(lv, rms(m[i:i+fr]))
	}
	n, last := 0, -100
	for i := range lv {
		prev := 0.0
		if i >= 4 {
			prev = lv[i-4]
		}
		if lv[i] > 1e-3 && lv[i] > 2*prev && i-last >= 6 {
			n++
			last = i
		}
	}
	return n
}

// IPv6 is told from IPv4 by its envelope (a second, softer strike), not
// only by a faint partial.
func TestIPv6Distinct(t *testing.T) {
	for _, flag := range []int{0, 1, 3} {
		v4 := renderT(t, Options{}, nil, []*event.Event{pkt(0, "10.0.0.1", 40000, 443, flag)})
		v6 := renderT(t, Options{}, nil, []*event.Event{pkt(0, "2001:db8::1", 40000, 443, flag+5)})
		p4, p6 := envelopePeaks(v4.mono(), v4.rate), envelopePeaks(v6.mono(), v6.rate)
		t.Logf("flag %d: %d onsets; flag %d: %d onsets", flag, p4, flag+5, p6)
		if p4 != 1 || p6 != 2 {
			t.Errorf("flag %d has %d onsets and flag %d has %d: want 1 and 2", flag, p4, flag+5, p6)
		}
	}
}

// "Trace launched" (PACKTERSOUND Traceback.wav) is heard even when the
// result's sound replaces it 4 ms later.
func TestTraceLaunchedAudible(t *testing.T) {
	launched := &event.Event{Kind: event.KindSound, Time: t0, File: event.CleanText("Traceback.wav", event.MaxText), Millis: 10000}
	result := &event.Event{Kind: event.KindSound, Time: t0.Add(4 * time.Millisecond), File: event.CleanText("Success.wav", event.MaxText), Millis: 10000}
	both := renderT(t, Options{}, nil, []*event.Event{launched, result})
	alone := renderT(t, Options{}, nil, []*event.Event{withTime(pkt(0, "10.0.0.1", 1, 1, 0), t0), result})
	only := renderT(t, Options{}, nil, []*event.Event{launched})
	sec := both.rate
	diff := make([]float64, sec)
	bm, am := both.mono(), alone.mono()
	for i := range diff {
		diff[i] = bm[i] - am[i]
	}
	heard, full := energy(diff), energy(only.mono()[:sec])
	t.Logf("Traceback.wav's first second: %.0f %% of its energy heard", 100*heard/full)
	if heard < 0.5*full {
		t.Errorf("trace launched: only %.0f %% of its first second heard", 100*heard/full)
	}
}

// Every note is 20 dB down within 250 ms of its onset: a burst ends when it
// ends, whatever the class.
func TestNotesFadeWithin250ms(t *testing.T) {
	for flag := range 10 {
		src := "10.0.0.1"
		if flag >= 5 {
			src = "2001:db8::1"
		}
		a := renderSeq(t, Options{}, nil, slices.Values([]*event.Event{pkt(0, src, 8*256, 443, flag)}), 1)
		lv := level100(a) // 100 ms windows: the one starting at 0.25 s must be 20 dB down
		peak := slices.Max(lv)
		t.Logf("flag %d: %.1f dB at 0.25–0.35 s", flag, lv[10]-peak)
		if lv[10] > peak-20 {
			t.Errorf("flag %d: only %.1f dB down 250 ms after its onset", flag, peak-lv[10])
		}
	}
}

// Render, the exported offline path, writes a whole WAV file of what the
// events sound like.
func TestRenderWritesWAV(t *testing.T) {
	var w memWS
	if err := Render(context.Background(), slices.Values(flood(300, time.Second, 3)), &w, Options{}); err != nil {
		t.Fatal(err)
	}
	a := decodeWAV(t, w.b)
	if secs := float64(len(a.l)) / float64(a.rate); secs < 1 || secs > 1+maxTailSecs {
		t.Errorf("%.2f s of audio for 1 s of events", secs)
	}
	if rms(a.mono()[:a.rate]) < 0.005 {
		t.Error("the render is nearly silent")
	}
}
