package sonify

import (
	"math"
)

// renderer owns everything that makes samples: voices, textures, speech
// being mixed, the buses and the limiter. Exactly one goroutine renders at a
// time (the device's callback, the WAV clock driver, or Render), and it takes
// no lock: what producers send arrives through shared's queue and atomics.
type renderer struct {
	sh    *shared
	rate  int
	table *sineTable

	ctl    *controlState // this block's controls
	voices [maxVoices]voice
	bg     voice // PACKTERSOUND's background sound
	sched  []cmd // taken from the queue, waiting for their frame
	tex    [10]texture
	meter  rateMeter
	recent [10][recentSize]grainSeed // this block's copy of the grains' notes
	recN   [10]uint32

	speeches  []*speech
	duckUntil int64 // frames: everything but speech is lowered until here

	bus  buses
	mix  mixState
	rpos int64 // the next frame to render
	rng  uint32
	// frames of the last traffic and the last heartbeat tick
	lastActive, lastBeat int64
}

// buses are the block's scratch buffers: traffic (notes and textures),
// foreground (clips, background sound), speech, and the interleaved output.
type buses struct {
	l, r, fl, fr, spk []float32
	out               []float32
}

func newRenderer(sh *shared, rate int) *renderer {
	return &renderer{
		sh: sh, rate: rate, table: newSineTable(), sched: make([]cmd, 0, schedCap),
		bus: buses{l: make([]float32, maxBlock), r: make([]float32, maxBlock),
			fl: make([]float32, maxBlock), fr: make([]float32, maxBlock),
			spk: make([]float32, maxBlock), out: make([]float32, 2*maxBlock)},
		mix: mixState{lim: 1, duck: 1}, rng: 0x2545F491,
	}
}

// renderBlock renders n ≤ maxBlock frames into r.bus.out (interleaved
// stereo), in stages: take what producers sent, start what is due, render
// voices and textures, mix speech, then duck, gain and limit.
func (r *renderer) renderBlock(n int) []float32 {
	r.take(n)
	r.startDue(n)
	r.clearBuses(n)
	r.renderVoices(n)
	r.renderTextures(n)
	r.heartbeat()
	speaking := r.mixSpeech(n)
	r.mixDown(n, speaking || r.rpos < r.duckUntil)
	r.rpos += int64(n)
	return r.bus.out[:2*n]
}

// take drains the queue into the schedule, reads the counters and controls
// for this block, and publishes how far producers may schedule.
func (r *renderer) take(n int) {
	r.ctl = r.sh.ctl.load()
	active := false
	for {
		c, ok := r.sh.q.pop()
		if !ok {
			break
		}
		active = true
		switch c.kind {
		case cmdSpeech:
			r.addSpeech(c.sp)
		case cmdDuck:
			r.duckUntil = max(r.duckUntil, r.rpos+int64(c.millis)*int64(r.rate)/1000)
		default:
			if len(r.sched) == cap(r.sched) {
				r.sh.dropSched.Add(1)
				continue
			}
			r.sched = append(r.sched, c)
		}
	}
	var counts [10]uint64
	for c := range counts {
		if r.sh.counts[c].Load() != 0 {
			counts[c] = r.sh.counts[c].Swap(0)
			active = true
		}
		k := r.sh.recentN[c].Load()
		r.recN[c] = k
		for i := range min(k, recentSize) {
			r.recent[c][i] = unpackSeed(r.sh.recent[c][i].Load())
		}
	}
	if active {
		r.lastActive = r.rpos
	}
	tex, sum := r.meter.update(counts, n, r.rate, r.ctl.theme.Threshold, r.rpos)
	if r.sh.textureOn.Load() != tex {
		r.sh.textureOn.Store(tex)
	}
	r.sh.rateSum.Store(math.Float64bits(sum))
	r.sh.pos.Store(r.rpos + int64(n))
}

// startDue starts what is due in this block, at its exact frame.
func (r *renderer) startDue(n int) {
	end := r.rpos + int64(n)
	k := 0
	for _, c := range r.sched {
		if c.at >= end {
			r.sched[k] = c
			k++
			continue
		}
		r.start(&c, int(max(0, c.at-r.rpos)))
	}
	clear(r.sched[k:])
	r.sched = r.sched[:k]
}

func (r *renderer) clearBuses(n int) {
	clear(r.bus.l[:n])
	clear(r.bus.r[:n])
	clear(r.bus.fl[:n])
	clear(r.bus.fr[:n])
}

// renderVoices adds every sounding voice to its bus.
func (r *renderer) renderVoices(n int) {
	l, rr := r.bus.l[:n], r.bus.r[:n]
	fl, fr := r.bus.fl[:n], r.bus.fr[:n]
	for i := range r.voices {
		v := &r.voices[i]
		if v.kind == voiceFree {
			continue
		}
		if v.delay >= n {
			v.delay -= n
			continue
		}
		d := v.delay
		v.delay = 0
		switch {
		case v.kind == voiceTone:
			v.renderTone(r.table, l[d:], rr[d:])
		case v.bus == busFore:
			v.renderClip(fl[d:], fr[d:])
		default:
			v.renderClip(l[d:], rr[d:])
		}
	}
	if r.bg.kind == voiceClip {
		if d := r.bg.delay; d >= n {
			r.bg.delay -= n
		} else {
			r.bg.delay = 0
			r.bg.renderClip(fl[d:], fr[d:])
		}
	}
}

// mixState is the master gain, the duck and the limiter, carried from block
// to block so that changes ramp instead of clicking.
type mixState struct {
	gain, duck, lim float32
	started         bool
}

// Speech ducking: everything else goes down by duckDB while Packter speaks
// (and for DuckFor's duration), over duckRampMs, so that speech is on top.
const (
	duckDB     = -15
	duckRampMs = 30
)

// mixDown sums the buses with the duck and master gain and runs the limiter:
// a gain that falls within about a millisecond when the mix goes above the
// threshold and recovers over 300 ms, then a soft knee that bends whatever the
// gain has not caught yet smoothly towards the ceiling. No sample can reach
// full scale, and nothing is cut square.
func (r *renderer) mixDown(n int, duck bool) {
	duckTo := float32(1)
	if duck {
		duckTo = float32(math.Pow(10, duckDB/20.0))
	}
	gainTo := float32(r.ctl.volume)
	if r.ctl.muted {
		gainTo = 0
	}
	m := &r.mix
	if !m.started { // nothing to ramp from
		m.gain, m.started = gainTo, true
	}
	g, dk := m.gain, m.duck
	dg := (gainTo - g) / float32(n)
	// The duck moves at most a ramp's worth per block: down in duckRampMs.
	step := float32(n) / float32(duckRampMs*r.rate/1000)
	dkTo := dk + max(-step, min(step, duckTo-dk))
	dd := (dkTo - dk) / float32(n)
	rate := float64(r.rate)
	attack := float32(1 - math.Exp(-1/(0.001*rate)))
	release := float32(1 - math.Exp(-1/(0.3*rate)))
	lim := m.lim
	l, rr, fl, fr, sp := r.bus.l[:n], r.bus.r[:n], r.bus.fl[:n], r.bus.fr[:n], r.bus.spk[:n]
	out := r.bus.out[:2*n]
	for i := 0; i < n; i++ {
		g += dg
		dk += dd
		// Speech has its own volume, applied by package speech before it
		// gets here: neither the master volume nor mute touches it.
		a := (l[i]+fl[i])*dk*g + sp[i]
		b := (rr[i]+fr[i])*dk*g + sp[i]
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
	m.gain, m.duck, m.lim = gainTo, dkTo, lim
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

func (r *renderer) nextRand() uint32 {
	x := r.rng
	x ^= x << 13
	x ^= x >> 17
	x ^= x << 5
	r.rng = x
	return x
}

func (r *renderer) rand01() float64 { return float64(r.nextRand()) / (1 << 32) }

// quiet reports whether nothing sounds or waits to sound.
func (r *renderer) quiet() bool {
	if r.sh.q.Len() > 0 || len(r.sched) > 0 || len(r.speeches) > 0 || r.bg.kind != voiceFree {
		return false
	}
	for i := range r.voices {
		if r.voices[i].kind != voiceFree {
			return false
		}
	}
	for _, t := range r.tex {
		if t.level > 0 {
			return false
		}
	}
	return true
}
