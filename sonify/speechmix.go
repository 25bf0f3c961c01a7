package sonify

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// speech is one utterance being mixed.
type speech struct {
	pcm     []float32 // mono at the engine's rate, loudness-normalised
	pos     int
	done    chan struct{}
	stopped atomic.Bool
	once    sync.Once
}

func (s *speech) finish() { s.once.Do(func() { close(s.done) }) }

// PlaySpeech mixes synthesised speech into the output (resampled to the
// engine's rate and brought to a fixed loudness) and ducks everything else
// by duckDB while it plays. done closes when it has been played or stopped.
// Without any output it completes after the time it would have taken.
func (e *Engine) PlaySpeech(pcm []int16, rate int) (done <-chan struct{}, stop func()) {
	s := &speech{done: make(chan struct{})}
	stop = func() { s.stopped.Store(true); s.finish() }
	if rate <= 0 || len(pcm) == 0 {
		s.finish()
		return s.done, stop
	}
	if len(pcm) > maxSpeechSec*rate {
		pcm = pcm[:maxSpeechSec*rate]
	}
	if !e.rendering() {
		d := float64(len(pcm)) / float64(rate)
		t := timeAfter(d, s.finish)
		stopNow := stop // not the named result itself, which this return rebinds
		return s.done, func() { t(); stopNow() }
	}
	s.pcm = resampleLinear(pcm, rate, e.rate)
	e.normaliseSpeech(s.pcm)
	if !e.sh.q.push(cmd{kind: cmdSpeech, sp: s}) {
		e.sh.dropFull.Add(1)
		s.finish()
	}
	if e.closed.Load() { // Close may have drained the queue already
		s.finish()
	}
	return s.done, stop
}

// DuckFor lowers everything Packter plays by the speech duck (duckDB) for d,
// starting now: for speech that plays outside Packter (speech-dispatcher), for
// the estimated length of the utterance. Calls extend, never shorten, a duck.
func (e *Engine) DuckFor(d time.Duration) {
	if d <= 0 || e.closed.Load() {
		return
	}
	ms := min(d.Milliseconds(), maxSpeechSec*1000)
	if !e.sh.q.push(cmd{kind: cmdDuck, millis: int(ms)}) {
		e.sh.dropFull.Add(1)
	}
}

// speechRMS is the level speech is brought to: its voiced parts at −18 dBFS
// RMS (about −16 LUFS), several LU above what even a flood reaches once
// ducked (TestSpeechOnTop).
const speechRMS = 0.126

// normaliseSpeech scales speech so that the loudest voice heard so far has
// its voiced parts at speechRMS, peaks kept under full scale. Synthesisers
// differ by 10 dB and more; a fixed level keeps speech on top. The reference
// is the loudest utterance yet, not each one, because package speech applies
// the user's speech volume to the PCM: a quieter utterance stays quieter.
func (e *Engine) normaliseSpeech(x []float32) {
	lvl, peak := voicedRMS(x, e.rate)
	if lvl == 0 {
		return
	}
	ref := lvl
	for {
		old := e.speechRef.Load()
		if math.Float64frombits(old) >= lvl {
			ref = math.Float64frombits(old)
			break
		}
		if e.speechRef.CompareAndSwap(old, math.Float64bits(lvl)) {
			break
		}
	}
	g := math.Min(speechRMS/ref, 0.95/float64(max(peak, 1e-6)))
	for i := range x {
		x[i] *= float32(g)
	}
}

// voicedRMS is the RMS of x's voiced parts (50 ms windows within 30 dB of
// the loudest) and its peak.
func voicedRMS(x []float32, rate int) (float64, float32) {
	win := max(rate/20, 1)
	var ms []float64
	peak := float32(0)
	for i := 0; i+win <= len(x); i += win {
		s := 0.0
		for _, v := range x[i : i+win] {
			s += float64(v) * float64(v)
			peak = max(peak, abs32(v))
		}
		ms = append(ms, s/float64(win))
	}
	top := 0.0
	for _, m := range ms {
		top = math.Max(top, m)
	}
	sum, k := 0.0, 0
	for _, m := range ms {
		if m > top*1e-3 {
			sum += m
			k++
		}
	}
	if k == 0 || sum == 0 {
		return 0, peak
	}
	return math.Sqrt(sum / float64(k)), peak
}

// addSpeech starts an utterance the intake sent.
func (r *renderer) addSpeech(s *speech) {
	if len(r.speeches) >= maxSpeech {
		s.finish()
		return
	}
	r.speeches = append(r.speeches, s)
}

// mixSpeech fills the speech bus (mono, in the centre) and reports whether
// anything is being said.
func (r *renderer) mixSpeech(n int) bool {
	sp := r.bus.spk[:n]
	clear(sp)
	k, mixed := 0, false
	for _, s := range r.speeches {
		if s.stopped.Load() {
			s.finish()
			continue
		}
		m := copyAdd(sp, s.pcm[s.pos:])
		s.pos += m
		mixed = mixed || m > 0
		if s.pos >= len(s.pcm) {
			s.finish()
			continue
		}
		r.speeches[k] = s
		k++
	}
	clear(r.speeches[k:])
	r.speeches = r.speeches[:k]
	return mixed
}

func copyAdd(dst, src []float32) int {
	n := min(len(dst), len(src))
	for i := 0; i < n; i++ {
		dst[i] += src[i]
	}
	return n
}

func resampleLinear(pcm []int16, from, to int) []float32 {
	if from == to {
		out := make([]float32, len(pcm))
		for i, v := range pcm {
			out[i] = float32(v) / 32768
		}
		return out
	}
	n := int(int64(len(pcm)) * int64(to) / int64(from))
	out := make([]float32, n)
	step := float64(from) / float64(to)
	for i := range out {
		p := float64(i) * step
		j := int(p)
		f := float32(p - float64(j))
		a := float32(pcm[min(j, len(pcm)-1)])
		b := float32(pcm[min(j+1, len(pcm)-1)])
		out[i] = (a + (b-a)*f) / 32768
	}
	return out
}

// timeAfter runs f after d seconds; the returned func cancels it.
func timeAfter(d float64, f func()) func() {
	t := time.AfterFunc(time.Duration(d*float64(time.Second)), f)
	return func() { t.Stop() }
}
