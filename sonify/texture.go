package sonify

import "math"

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

// rateMeter measures each class's rate over the last quarter second,
// smoothed on a log scale so that a fall from 1,000,000 to 100 events/s is
// heard as quickly as a rise, and decides which classes are textures.
type rateMeter struct {
	win     [128]winBin
	head    int
	logRate [10]float64
	rates   [10]float64
	last    [10]int64 // frame of the class's last event
	on      uint32    // bit c: class c is a texture
}

// update adds one block's counts (the block starting at frame pos); it
// returns the texture mask and the total rate. A rise is followed at once (a
// flood's texture must take over from its first notes without a hole); a fall
// is smoothed over 150 ms; a class with no event for two of its intervals
// (at least 60 ms) has stopped, and its texture ends.
func (m *rateMeter) update(counts [10]uint64, n, rate int, thr float64, pos int64) (uint32, float64) {
	dt := float64(n) / float64(rate)
	m.win[m.head] = winBin{counts: counts, frames: n}
	m.head = (m.head + 1) % len(m.win)
	alpha := 1 - math.Exp(-dt/0.15)
	total := 0.0
	for c := range m.rates {
		sum, frames := uint64(0), 0
		for k := 1; k <= len(m.win) && frames < rate/4; k++ {
			b := &m.win[(m.head-k+len(m.win))%len(m.win)]
			if b.frames == 0 {
				break
			}
			sum += b.counts[c]
			frames += b.frames
		}
		inst := float64(sum) * float64(rate) / float64(max(frames, rate/4))
		total += inst
		m.logRate[c] += (math.Log1p(inst) - m.logRate[c]) * alpha
		m.logRate[c] = max(m.logRate[c], math.Log1p(inst))
		m.rates[c] = math.Expm1(m.logRate[c])
		if counts[c] > 0 {
			m.last[c] = pos + int64(n)
		}
		stopped := float64(pos+int64(n)-m.last[c]) > max(0.06, 2/max(m.rates[c], 1e-3))*float64(rate)
		bit := uint32(1) << c
		switch {
		case sum == 0 || stopped: // "it stopped", at once
			m.on &^= bit
			m.logRate[c], m.rates[c] = 0, 0
		case m.rates[c] > thr*1.25:
			m.on |= bit
		case m.rates[c] < thr*0.8:
			m.on &^= bit
		}
	}
	return m.on, total
}

// renderTextures adds each busy class's texture to the traffic bus.
func (r *renderer) renderTextures(n int) {
	th := r.ctl.theme
	rate := float64(r.rate)
	dt := float64(n) / rate
	for c := range r.tex {
		t := &r.tex[c]
		if t.rng == 0 {
			t.rng = uint32(c)*0x9E3779B9 | 1
		}
		target := 0.0
		if r.meter.on&(1<<c) != 0 && r.ctl.classAudible(c) {
			x := math.Log10(r.meter.rates[c]/th.Threshold) / math.Log10(1e6/th.Threshold)
			t.x = math.Max(0, math.Min(1, x))
			target = th.TextureGain * th.ClassGain[c] * (0.2 + 1.3*t.x) * textureLaw(t.x)
		}
		// In within about 30 ms, so no hole opens when notes give way; out by
		// 20 dB within 140 ms, so the end of a flood is heard.
		lvl0 := t.level
		tau := 0.03
		if target < float64(t.level) {
			tau = 0.06
		}
		t.level += float32((target - float64(t.level)) * (1 - math.Exp(-dt/tau)))
		if t.level < 1e-4 && target == 0 {
			t.level = 0
			continue
		}
		if target > 0 {
			r.grains(c, t, n)
		}
		if bed := float32(t.x*math.Sqrt(t.x)) * t.level * 0.6; bed >= 1e-4 || lvl0 >= 1e-4 {
			t.noiseBed(c, bed, r.bus.l[:n], r.bus.r[:n])
		}
	}
}

// textureLawDB corrects the texture's level, in dB at intensities x = 0,
// 0.25, … 1 (x is the rate's place between the threshold and 1,000,000 on a
// log scale), so that its loudness follows the notes' law: about 3 LU per
// tenfold rate. Calibrated on rendered ramps (TestLoudnessLaw).
var textureLawDB = [5]float64{12, 4, 1, -0.5, 0}

func textureLaw(x float64) float64 {
	x = math.Max(0, math.Min(1, x)) * 4
	i := min(int(x), 3)
	db := textureLawDB[i] + (textureLawDB[i+1]-textureLawDB[i])*(x-float64(i))
	return math.Pow(10, db/20)
}

// grains starts the texture's grains for one block: density grows with the
// log of the rate.
func (r *renderer) grains(c int, t *texture, n int) {
	th := r.ctl.theme
	cnt := min(r.recN[c], recentSize)
	if cnt == 0 {
		return
	}
	t.grains += float64(n) / float64(r.rate) * th.Threshold * (1 + 8*t.x)
	for t.grains >= 1 {
		t.grains--
		g := r.recent[c][r.nextRand()%cnt]
		cue := Cue{Gesture: g.gesture, Class: c, Freq: g.freq, Pan: g.pan, Ratio: g.ratio,
			Gain:   float64(t.level) * (0.6 + 0.4*r.rand01()),
			Decay:  th.NoteDecay * 0.35,
			Bright: th.Brightness * (0.4 + 1.6*t.x)}
		if v := r.alloc(prioTexture); v != nil {
			v.startTone(&cue, float64(r.rate), cue.Gain, r.nextRand())
			v.prio = prioTexture
			v.delay = int(r.nextRand() % uint32(n))
		}
		t.pan += (g.pan - t.pan) * 0.2
	}
}

// noiseBed adds the texture's noise: it rises with intensity, brighter when
// busier; each gesture family has its own colour.
func (t *texture) noiseBed(c int, bed float32, l, r []float32) {
	cut := float32([5]float64{0.02, 0.12, 0.06, 0.04, 0.03}[c%5] * (0.5 + 1.5*t.x))
	gl := float32(math.Cos((t.pan + 1) * math.Pi / 4))
	gr := float32(math.Sin((t.pan + 1) * math.Pi / 4))
	lp, rng := t.lp, t.rng
	r = r[:len(l)]
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

// heartbeat plays a faint, low, centred tick after Theme.Heartbeat seconds
// without any traffic, and again every so often while it stays quiet: silence
// then means "the network is quiet", never "the sound has stopped working".
func (r *renderer) heartbeat() {
	th := r.ctl.theme
	if th.Heartbeat <= 0 {
		return
	}
	every := int64(th.Heartbeat * float64(r.rate))
	if r.rpos-r.lastActive < every || r.rpos-r.lastBeat < every {
		return
	}
	r.lastBeat = r.rpos
	v := r.alloc(prioNote)
	if v == nil {
		return
	}
	// The scale's root with FM harmonics: 220 Hz and up in calm, where small
	// laptop speakers still play (a pure 110 Hz tick was barely reproduced).
	c := Cue{Gesture: GesturePluck, Class: -1, Freq: degreeFreq(th, 0), Gain: 0.06,
		Decay: 0.3, Ratio: 2, Bright: 1.2}
	v.startTone(&c, float64(r.rate), c.Gain, r.nextRand())
}
