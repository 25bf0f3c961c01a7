package sonify

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// texture is one flag class's sound when it is too busy for notes: grains
// borrowed from its recent notes (so a scan is a rain of rising chirps at the
// scanned ports, from where the scanner sits) over a noise bed. Density,
// brightness and loudness follow the class's rate on a log scale, so 10 and
// 1,000,000 events/s are both heard, neither clips.
type texture struct {
	level  float32 // smoothed loudness
	x      float64 // intensity 0..1
	grains float64 // fractional grains owed
	lp     float32 // noise bed low-pass state
	pan    float64
	rng    uint32
}

// winBin is one rendered block's event counts, for the rate window.
type winBin struct {
	counts [10]uint64
	frames int
}

// speech is one utterance being mixed.
type speech struct {
	pcm     []float32 // mono at the engine's rate
	pos     int
	done    chan struct{}
	stopped atomic.Bool
	once    sync.Once
}

func (s *speech) finish() { s.once.Do(func() { close(s.done) }) }

// PlaySpeech mixes synthesised speech into the output (resampled to the
// engine's rate) and ducks the traffic sound while it plays. done closes when
// it has been played or stopped. Without any output it completes after the time
// it would have taken.
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
	s.pcm = resampleLinear(pcm, rate, e.rate)
	e.mu.Lock()
	rendering := e.output == "sound card" || e.output == "WAV only" || e.offline
	if !rendering {
		e.mu.Unlock()
		d := float64(len(pcm)) / float64(rate)
		t := timeAfter(d, s.finish)
		stopNow := stop // not the named result itself, which this return rebinds
		return s.done, func() { t(); stopNow() }
	}
	if e.closed || len(e.speechQ) >= maxSpeech {
		e.mu.Unlock()
		s.finish()
		return s.done, stop
	}
	e.speechQ = append(e.speechQ, s)
	e.mu.Unlock()
	return s.done, stop
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

// renderBlock renders n ≤ maxBlock frames into e.out (interleaved stereo).
// Called with rmu held.
func (e *Engine) renderBlock(n int) {
	e.drain(n)
	sn := &e.snapshot
	th := sn.theme
	rate := float64(e.rate)
	end := e.rpos + int64(n)

	// Start what is due in this block, at its exact frame.
	k := 0
	for _, c := range e.sched {
		if c.at >= end {
			e.sched[k] = c
			k++
			continue
		}
		e.start(&c, int(max(0, c.at-e.rpos)))
	}
	e.sched = e.sched[:k]

	l, r := e.bufL[:n], e.bufR[:n]
	fl, fr := e.foreL[:n], e.foreR[:n]
	clear(l)
	clear(r)
	clear(fl)
	clear(fr)
	for i := range e.voices {
		v := &e.voices[i]
		if v.kind == voiceFree {
			continue
		}
		if v.delay >= n {
			v.delay -= n
			continue
		}
		d := v.delay
		v.delay = 0
		if v.kind == voiceTone {
			v.renderTone(e.table, l[d:], r[d:])
		} else if v.bus == busFore {
			v.renderClip(fl[d:], fr[d:])
		} else {
			v.renderClip(l[d:], r[d:])
		}
	}
	if e.bg.kind == voiceClip {
		d := e.bg.delay
		if d >= n {
			e.bg.delay -= n
		} else {
			e.bg.delay = 0
			e.bg.renderClip(fl[d:], fr[d:])
		}
	}
	e.renderTextures(n, th, rate)
	e.heartbeat(th)

	// Speech, mono in the centre.
	sp := e.spk[:n]
	clear(sp)
	k = 0
	for _, s := range e.speeches {
		if s.stopped.Load() {
			s.finish()
			continue
		}
		m := copyAdd(sp, s.pcm[s.pos:])
		s.pos += m
		if s.pos >= len(s.pcm) {
			s.finish()
			continue
		}
		e.speeches[k] = s
		k++
	}
	clear(e.speeches[k:])
	e.speeches = e.speeches[:k]

	// Mix: traffic ducked under speech, master volume and mute ramped over the
	// block so that changes never click, then the limiter.
	duckTo := float32(1)
	if len(e.speeches) > 0 {
		duckTo = 0.3
	}
	gainTo := float32(sn.volume)
	if sn.muted {
		gainTo = 0
	}
	g, dk := e.gain, e.duck
	if e.rpos == 0 { // nothing to ramp from
		g = gainTo
	}
	dg := (gainTo - g) / float32(n)
	dd := (duckTo - dk) / float32(n)
	// Limiter: a gain that falls within about a millisecond when the mix
	// goes above the threshold and recovers over 300 ms, then a soft knee
	// that bends whatever the gain has not caught yet smoothly towards the
	// ceiling. No sample can reach full scale, and nothing is cut square.
	lim := e.lim
	attack := float32(1 - math.Exp(-1/(0.001*rate)))
	release := float32(1 - math.Exp(-1/(0.3*rate)))
	out := e.out[:2*n]
	for i := 0; i < n; i++ {
		g += dg
		dk += dd
		a := (l[i]*dk + fl[i] + sp[i]*0.9) * g
		b := (r[i]*dk + fr[i] + sp[i]*0.9) * g
		peak := max(abs32(a), abs32(b))
		want := float32(1)
		if peak > limitThreshold {
			want = limitThreshold / peak
		}
		if want < lim {
			lim += (want - lim) * attack
		} else {
			lim += (want - lim) * release
		}
		out[2*i] = softKnee(a * lim)
		out[2*i+1] = softKnee(b * lim)
	}
	e.gain, e.duck, e.lim = gainTo, duckTo, lim
	e.rpos = end
}

// softKnee is the identity below the knee and approaches limitCeiling
// smoothly above it (tanh-shaped), never reaching it.
func softKnee(x float32) float32 {
	const knee = 0.6
	ax := abs32(x)
	if ax <= knee {
		return x
	}
	const room = limitCeiling - knee
	y := knee + room*float32(math.Tanh(float64((ax-knee)/room)))
	if x < 0 {
		return -y
	}
	return y
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

func copyAdd(dst, src []float32) int {
	n := min(len(dst), len(src))
	for i := 0; i < n; i++ {
		dst[i] += src[i]
	}
	return n
}

// drain takes what producers queued: commands, counters, controls. It also
// publishes which classes are textures and up to where producers may schedule.
func (e *Engine) drain(n int) {
	e.mu.Lock()
	for ; e.rlen > 0; e.rlen-- {
		c := e.ring[e.rhead]
		e.ring[e.rhead] = cmd{}
		e.rhead = (e.rhead + 1) % ringSize
		if len(e.sched) == cap(e.sched) {
			e.dropped++
			continue
		}
		e.sched = append(e.sched, c)
	}
	counts := e.counts
	e.counts = [10]uint64{}
	if e.rlen > 0 || counts != [10]uint64{} {
		e.lastActive = e.rpos
	}
	sn := &e.snapshot
	sn.theme, sn.fg = e.theme, e.fg
	sn.volume, sn.muted, sn.classMute, sn.solo = e.volume, e.muted, e.classMute, e.solo
	sn.recent, sn.recentN = e.recent, e.recentN
	e.speeches = append(e.speeches, e.speechQ...)
	clear(e.speechQ)
	e.speechQ = e.speechQ[:0]
	// Rates: counts over the last quarter second, smoothed on a log scale so
	// that a fall from 1,000,000 to 100 events/s is heard as quickly as a
	// rise; a class with nothing in the window stops at once ("it stopped").
	dt := float64(n) / float64(e.rate)
	e.win[e.winHead] = winBin{counts: counts, frames: n}
	e.winHead = (e.winHead + 1) % len(e.win)
	alpha := 1 - math.Exp(-dt/0.4)
	thr := sn.theme.Threshold
	e.rateSum = 0
	for c := range e.rates {
		sum, frames := uint64(0), 0
		for k := 1; k <= len(e.win) && frames < e.rate/4; k++ {
			b := &e.win[(e.winHead-k+len(e.win))%len(e.win)]
			if b.frames == 0 {
				break
			}
			sum += b.counts[c]
			frames += b.frames
		}
		inst := float64(sum) * float64(e.rate) / float64(max(frames, e.rate/4))
		e.rateSum += inst
		e.logRate[c] += (math.Log1p(inst) - e.logRate[c]) * alpha
		e.rates[c] = math.Expm1(e.logRate[c])
		switch {
		case sum == 0:
			e.textureOn[c], e.logRate[c], e.rates[c] = false, 0, 0
		case e.rates[c] > thr*1.25:
			e.textureOn[c] = true
		case e.rates[c] < thr*0.8:
			e.textureOn[c] = false
		}
	}
	e.pos = e.rpos + int64(n)
	e.mu.Unlock()
}

func (e *Engine) classAudible(c int) bool {
	sn := &e.snapshot
	if c < 0 || c > 9 {
		return true
	}
	return !sn.classMute[c] && (sn.solo < 0 || sn.solo == c)
}

const (
	busTraffic = iota
	busFore
)

// start begins a command's sound `delay` frames into the current block.
func (e *Engine) start(c *cmd, delay int) {
	sn := &e.snapshot
	rate := float64(e.rate)
	switch c.kind {
	case cmdCue:
		if !e.classAudible(c.cue.Class) {
			return
		}
		v := e.alloc(prioNote)
		if v == nil {
			return
		}
		v.startTone(&c.cue, rate, c.cue.Gain, e.nextRand())
		v.delay = delay
	case cmdFore:
		cl := sn.fg[c.cue.Gesture-GestureFlood]
		if cl == nil {
			return
		}
		v := e.alloc(prioForeground)
		if v == nil {
			return
		}
		e.startClip(v, cl, c.cue.Gain, c.cue.Pan, false, len(cl.pcm)/2)
		v.prio, v.delay = prioForeground, delay
	case cmdSE:
		if e.countSE() >= maxSE {
			return
		}
		v := e.alloc(prioClip)
		if v == nil {
			return
		}
		e.startClip(v, c.clip, 0.6*sn.theme.ForegroundGain, 0, false, len(c.clip.pcm)/2)
		v.delay = delay
	case cmdSound:
		// PACKTER 2.5: TIME in milliseconds, >0 play once and stop after TIME,
		// <0 loop for |TIME|.
		ms := int64(c.millis)
		loop := ms < 0
		if loop {
			ms = -ms
		}
		ms = min(ms, 24*3600*1000)
		e.startClip(&e.bg, c.clip, 0.5*sn.theme.ForegroundGain, 0, loop, int(ms*int64(e.rate)/1000))
		e.bg.delay = delay
	case cmdStopSound:
		if e.bg.kind == voiceClip {
			e.bg.fdec = 1 / float32(0.02*rate) // 20 ms fade, no click
		}
	}
}

func (e *Engine) startClip(v *voice, cl *clip, gain, pan float64, loop bool, frames int) {
	*v = voice{kind: voiceClip, prio: prioClip, bus: busFore, class: -1, clip: cl, loop: loop,
		remain: frames, fade: 1, peak: float32(gain), tail: e.rate / 100}
	v.setPan(pan)
	// Equal-power pan at the centre is -3 dB per side; clips are already
	// stereo, so restore unity at the centre.
	v.gl *= math.Sqrt2
	v.gr *= math.Sqrt2
	v.gl, v.gr = min(v.gl, 1), min(v.gr, 1)
}

func (e *Engine) countSE() int {
	n := 0
	for i := range e.voices {
		if e.voices[i].kind == voiceClip && e.voices[i].prio == prioClip {
			n++
		}
	}
	return n
}

// alloc finds a voice: a free one, else the quietest of a lower priority, else
// (for notes) a nearly finished one of the same priority. nil drops the cue:
// with no room a late note is worth nothing.
func (e *Engine) alloc(prio uint8) *voice {
	var best *voice
	bestScore := float32(math.MaxFloat32)
	for i := range e.voices {
		v := &e.voices[i]
		if v.kind == voiceFree {
			return v
		}
		if v.prio > prio {
			continue
		}
		score := v.amp + float32(v.prio)*10
		if v.kind == voiceClip {
			score = 5 + float32(v.prio)*10
		}
		if v.prio == prio && (v.kind != voiceTone || v.amp > 0.2*v.peak) {
			continue
		}
		if score < bestScore {
			best, bestScore = v, score
		}
	}
	return best
}

func (e *Engine) nextRand() uint32 {
	x := e.rng
	x ^= x << 13
	x ^= x >> 17
	x ^= x << 5
	e.rng = x
	return x
}

func (e *Engine) rand01() float64 { return float64(e.nextRand()) / (1 << 32) }

// renderTextures adds each busy class's texture to the traffic bus.
func (e *Engine) renderTextures(n int, th *Theme, rate float64) {
	sn := &e.snapshot
	dt := float64(n) / rate
	l, r := e.bufL[:n], e.bufR[:n]
	for c := range e.tex {
		t := &e.tex[c]
		if t.rng == 0 {
			t.rng = uint32(c)*0x9E3779B9 | 1
		}
		rt := e.rates[c]
		target := 0.0
		if e.textureOn[c] && e.classAudible(c) {
			x := math.Log10(rt/th.Threshold) / math.Log10(1e6/th.Threshold)
			t.x = math.Max(0, math.Min(1, x))
			target = th.TextureGain * th.ClassGain[c] * (0.2 + 1.3*t.x)
		}
		// Fade in and out over about half a second.
		lvl0 := t.level
		t.level += float32((target - float64(t.level)) * (1 - math.Exp(-dt/0.5)))
		if t.level < 1e-4 && target == 0 {
			t.level = 0
			continue
		}
		// Grains: density grows with the log of the rate.
		cnt := min(sn.recentN[c], recentSize)
		if cnt > 0 && target > 0 {
			t.grains += dt * th.Threshold * (1 + 8*t.x)
			for t.grains >= 1 {
				t.grains--
				g := sn.recent[c][e.nextRand()%cnt]
				cue := Cue{Gesture: g.gesture, Class: c, Freq: g.freq, Pan: g.pan, Ratio: g.ratio,
					Gain:   float64(t.level) * (0.6 + 0.4*e.rand01()),
					Decay:  th.NoteDecay * 0.35,
					Bright: th.Brightness * (0.4 + 1.6*t.x)}
				if v := e.alloc(prioTexture); v != nil {
					v.startTone(&cue, rate, cue.Gain, e.nextRand())
					v.prio = prioTexture
					v.delay = int(e.nextRand() % uint32(n))
				}
				t.pan += (g.pan - t.pan) * 0.2
			}
		}
		// Noise bed: rises with intensity, brighter when busier; each gesture
		// family has its own colour.
		bed := float32(t.x*math.Sqrt(t.x)) * t.level * 0.6
		if bed < 1e-4 && lvl0 < 1e-4 {
			continue
		}
		cut := float32([5]float64{0.02, 0.12, 0.06, 0.04, 0.03}[c%5] * (0.5 + 1.5*t.x))
		gl := float32(math.Cos((t.pan + 1) * math.Pi / 4))
		gr := float32(math.Sin((t.pan + 1) * math.Pi / 4))
		lp, rng := t.lp, t.rng
		for i := range l {
			rng ^= rng << 13
			rng ^= rng >> 17
			rng ^= rng << 5
			lp += cut * (float32(int32(rng))*(1.0/(1<<31)) - lp)
			s := lp * bed * 6
			l[i] += s * gl
			r[i] += s * gr
		}
		t.lp, t.rng = lp, rng
	}
}

// timeAfter runs f after d seconds; the returned func cancels it.
func timeAfter(d float64, f func()) func() {
	t := time.AfterFunc(time.Duration(d*float64(time.Second)), f)
	return func() { t.Stop() }
}

// heartbeat plays a faint, low, centred tick after Theme.Heartbeat seconds
// without any traffic, and again every so often while it stays quiet: silence
// then means "the network is quiet", never "the sound has stopped working".
func (e *Engine) heartbeat(th *Theme) {
	if th.Heartbeat <= 0 {
		return
	}
	every := int64(th.Heartbeat * float64(e.rate))
	if e.rpos-e.lastActive < every || e.rpos-e.lastBeat < every {
		return
	}
	e.lastBeat = e.rpos
	v := e.alloc(prioNote)
	if v == nil {
		return
	}
	c := Cue{Gesture: GesturePluck, Class: -1, Freq: degreeFreq(th, -len(th.Scale)), Gain: 0.08,
		Decay: 0.35, Ratio: 1, Bright: 0.3}
	v.startTone(&c, float64(e.rate), c.Gain, e.nextRand())
}
