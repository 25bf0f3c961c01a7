package sonify

import "math"

// The synthesis here is our own: a 4096-entry sine table read by 32-bit phase
// accumulators, two-operator FM, per-sample exponential envelopes. beep's stock
// generators composed per voice are about six times too slow for 64 voices.

const (
	tableBits  = 12
	tableSize  = 1 << tableBits
	phaseShift = 32 - tableBits
)

// sineTable is computed once per engine (no package state): one period, plus
// one guard entry.
type sineTable [tableSize + 1]float32

func newSineTable() *sineTable {
	var t sineTable
	for i := range t {
		t[i] = float32(math.Sin(2 * math.Pi * float64(i) / tableSize))
	}
	return &t
}

type voiceKind uint8

const (
	voiceFree voiceKind = iota
	voiceTone
	voiceClip
)

// priorities: a new cue may take the voice of a quieter, lower one.
const (
	prioTexture = iota
	prioNote
	prioClip
	prioForeground
)

// voice is one sounding cue. All fields are plain values: starting a voice
// copies into a slot of a fixed array, nothing is allocated.
type voice struct {
	kind   voiceKind
	prio   uint8
	bus    uint8 // busTraffic or busFore
	class  int8
	delay  int // frames to wait inside the next block (sample-accurate onset)
	remain int // frames left before the voice ends

	// tone
	phC, phM   uint32
	inc        float32 // carrier phase increment, in phase units per sample
	glide      float32 // inc multiplier per sample until it reaches target
	target     float32
	ratio      float32
	index      float32 // FM index in phase units
	indexDecay float32
	amp        float32
	attack     float32 // amp increment per sample while attacking
	peak       float32
	decay      float32 // amp multiplier per sample after the attack
	noise      float32 // noise amplitude, decaying
	noiseDecay float32
	rng        uint32
	gl, gr     float32

	// clip
	clip  *clip
	pos   int
	loop  bool
	trans int // frames of transient (attack, glide, noise) left
	tail  int // a clip's last frames fade out over this many

	fade float32 // gain; ramps to 0 when fading out
	fdec float32
}

const phaseUnits = 1 << 32

// startTone fills v for a cue at the given output rate.
func (v *voice) startTone(c *Cue, rate float64, gain float64, seed uint32) {
	*v = voice{kind: voiceTone, prio: prioNote, class: int8(c.Class), rng: seed | 1}
	f := c.Freq
	v.target = float32(f / rate * phaseUnits)
	v.inc = v.target
	v.glide = 1
	v.ratio = float32(c.Ratio)
	if c.Ratio*f > rate*0.45 { // keep the modulator below Nyquist
		v.ratio = float32(rate * 0.45 / f)
	}
	// A modulator swing of Bright radians, in phase units (2π = 2^32), kept
	// inside int32.
	v.index = float32(math.Min(math.Max(c.Bright, 0), 3) / (2 * math.Pi) * phaseUnits)
	decay := math.Max(0.02, c.Decay)
	atk := 0.004
	switch c.Gesture {
	case GestureOpen: // rise a fifth into the note over 60 ms
		v.inc = v.target / 1.5
		v.glide = float32(math.Pow(1.5, 1/(0.06*rate)))
	case GestureClose: // fall a fifth over 90 ms
		v.inc = v.target * 1.5
		v.glide = float32(math.Pow(1/1.5, 1/(0.09*rate)))
		v.noise = 0.08
	case GestureReset:
		v.noise = 0.9
		v.inc = v.target / 2
		atk = 0.001
	case GestureDrop: // swoop up an octave and a bit in 25 ms
		v.inc = v.target / 2.2
		v.glide = float32(math.Pow(2.2, 1/(0.025*rate)))
		v.index = 0
		atk = 0.002
	case GesturePing:
		atk = 0.006
	}
	v.attack = float32(1 / (atk * rate))
	v.peak = float32(gain)
	v.attack *= v.peak
	// amp falls 60 dB (x 0.001) over `decay` seconds.
	v.decay = float32(math.Pow(0.001, 1/(decay*rate)))
	v.indexDecay = float32(math.Pow(0.05, 1/(decay*0.5*rate)))
	v.noiseDecay = float32(math.Pow(0.001, 1/(0.03*rate)))
	v.noise *= float32(gain)
	v.remain = int((atk + decay) * rate)
	// The transient lasts until the attack, the glide and the noise are done.
	tr := atk
	switch c.Gesture {
	case GestureOpen:
		tr = 0.06
	case GestureClose:
		tr = 0.09
	case GestureDrop:
		tr = 0.025
	}
	if v.noise > 0 {
		tr = max(tr, 0.09) // noise decays 60 dB in 30 ms: gone by then
	}
	v.trans = min(v.remain, int(tr*rate)+1)
	v.setPan(c.Pan)
}

// setPan uses the equal-power law so that a sound keeps its loudness as it
// moves across.
func (v *voice) setPan(p float64) {
	p = math.Max(-1, math.Min(1, p))
	a := (p + 1) * math.Pi / 4
	v.gl, v.gr = float32(math.Cos(a)), float32(math.Sin(a))
}

// fmFloor is the FM index (in phase units) below which the modulator is
// inaudible and the voice continues as a plain sine: about 0.02 radians.
const fmFloor = 0.02 / (2 * math.Pi) * phaseUnits

// renderTone adds the voice into l and r. The first milliseconds (attack,
// glide, noise) run a general loop; the rest runs tight loops with integer
// phase steps and no branches, which is what makes 64 voices cheap. It is
// longer than our functions usually are because the two loops keep every
// state variable in registers: split into calls they measured slower.
func (v *voice) renderTone(t *sineTable, l, r []float32) {
	n := min(len(l), len(r), v.remain)
	l, r = l[:n], r[:n]
	if v.trans > 0 {
		k := min(n, v.trans)
		v.renderTransient(t, l[:k], r[:k])
		v.trans -= k
		l, r = l[k:], r[k:]
		v.remain -= k
		if v.trans == 0 {
			v.inc, v.glide, v.attack, v.amp = v.target, 1, 0, min(v.amp, v.peak)
		}
	}
	if len(l) > 0 {
		phC, phM := v.phC, v.phM
		inc := uint32(v.inc)
		incM := uint32(v.inc * v.ratio)
		amp, decay, gl, gr := v.amp, v.decay, v.gl, v.gr
		r = r[:len(l)]
		// Two samples per step with two envelope chains (each multiplied by
		// decay²): the multiply's latency, not the arithmetic, bounds this loop.
		pairs := len(l) &^ 1
		if v.index > fmFloor {
			idec := v.indexDecay
			a0, a1, d2 := amp, amp*decay, decay*decay
			i0, i1, id2 := v.index, v.index*idec, idec*idec
			// The modulator is read once per pair (held for two samples, at
			// most 4.4 kHz against a 24 kHz hold rate): inaudible, and a
			// quarter of the loop's work.
			incM2 := 2 * incM
			for i := 0; i < pairs; i += 2 {
				m := t[phM>>phaseShift]
				s0 := t[(phC+uint32(int32(m*i0)))>>phaseShift] * a0
				s1 := t[(phC+inc+uint32(int32(m*i1)))>>phaseShift] * a1
				phC += 2 * inc
				phM += incM2
				ll, rr := l[i:i+2:i+2], r[i:i+2:i+2]
				ll[0] += s0 * gl
				rr[0] += s0 * gr
				ll[1] += s1 * gl
				rr[1] += s1 * gr
				a0 *= d2
				a1 *= d2
				i0 *= id2
				i1 *= id2
			}
			amp, index := a0, i0
			if pairs < len(l) {
				m := t[phM>>phaseShift]
				s0 := t[(phC+uint32(int32(m*index)))>>phaseShift] * amp
				l[pairs] += s0 * gl
				r[pairs] += s0 * gr
				phC += inc
				phM += incM
				amp *= decay
				index *= idec
			}
			v.index = index
			v.phC, v.phM, v.amp = phC, phM, amp
		} else {
			a0, a1, d2 := amp, amp*decay, decay*decay
			for i := 0; i < pairs; i += 2 {
				s0 := t[phC>>phaseShift] * a0
				s1 := t[(phC+inc)>>phaseShift] * a1
				phC += 2 * inc
				ll, rr := l[i:i+2:i+2], r[i:i+2:i+2]
				ll[0] += s0 * gl
				rr[0] += s0 * gr
				ll[1] += s1 * gl
				rr[1] += s1 * gr
				a0 *= d2
				a1 *= d2
			}
			amp = a0
			if pairs < len(l) {
				s0 := t[phC>>phaseShift] * amp
				l[pairs] += s0 * gl
				r[pairs] += s0 * gr
				phC += inc
				amp *= decay
			}
			phM += incM * uint32(len(l))
			v.phC, v.phM, v.amp = phC, phM, amp
		}
		v.remain -= len(l)
	}
	if v.remain <= 0 {
		v.kind = voiceFree
	}
}

// renderTransient is the general loop: attack ramp, pitch glide, noise.
func (v *voice) renderTransient(t *sineTable, l, r []float32) {
	phC, phM := v.phC, v.phM
	inc, glide, target := v.inc, v.glide, v.target
	ratio, index, idec := v.ratio, v.index, v.indexDecay
	amp, attack, peak, decay := v.amp, v.attack, v.peak, v.decay
	noise, ndec, rng := v.noise, v.noiseDecay, v.rng
	gl, gr := v.gl, v.gr
	r = r[:len(l)]
	for i := range l {
		m := t[phM>>phaseShift]
		s := t[(phC+uint32(int32(m*index)))>>phaseShift]
		index *= idec
		rng ^= rng << 13
		rng ^= rng >> 17
		rng ^= rng << 5
		s = s*amp + noise*float32(int32(rng))*(1.0/(1<<31))
		noise *= ndec
		l[i] += s * gl
		r[i] += s * gr
		phC += uint32(inc)
		phM += uint32(inc * ratio)
		if glide != 1 {
			inc *= glide
			if (glide > 1 && inc >= target) || (glide < 1 && inc <= target) {
				inc, glide = target, 1
			}
		}
		if attack != 0 {
			amp += attack
			if amp >= peak {
				amp, attack = peak, 0
			}
		} else {
			amp *= decay
		}
	}
	v.phC, v.phM, v.inc, v.glide, v.index = phC, phM, inc, glide, index
	v.amp, v.attack, v.noise, v.rng = amp, attack, noise, rng
}

// renderClip adds a decoded file into l and r.
func (v *voice) renderClip(l, r []float32) {
	c := v.clip
	frames := len(c.pcm) / 2
	for i := range l {
		if v.remain <= 0 || v.fade <= 0 {
			v.kind = voiceFree
			v.clip = nil
			return
		}
		if v.pos >= frames {
			if !v.loop || frames == 0 {
				v.kind = voiceFree
				v.clip = nil
				return
			}
			v.pos = 0
		}
		g := v.peak * v.fade
		if v.remain < v.tail { // cut short by TIME: fade, don't click
			g *= float32(v.remain) / float32(v.tail)
		}
		l[i] += c.pcm[2*v.pos] * g * v.gl
		r[i] += c.pcm[2*v.pos+1] * g * v.gr
		v.pos++
		v.remain--
		if v.fdec != 0 {
			v.fade -= v.fdec
		}
	}
}
