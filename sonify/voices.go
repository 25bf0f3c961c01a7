package sonify

import "math"

const (
	busTraffic = iota
	busFore
)

// start begins a command's sound `delay` frames into the current block.
func (r *renderer) start(c *cmd, delay int) {
	rate := float64(r.rate)
	th := r.ctl.theme
	switch c.kind {
	case cmdCue:
		if !r.ctl.classAudible(c.cue.Class) {
			return
		}
		v := r.alloc(prioNote)
		if v == nil {
			return
		}
		v.startTone(&c.cue, rate, c.cue.Gain, r.nextRand())
		v.delay = delay
	case cmdFore:
		cl := r.ctl.fg[c.cue.Gesture-GestureFlood]
		if cl == nil {
			return
		}
		v := r.alloc(prioForeground)
		if v == nil {
			return
		}
		frames := len(cl.pcm) / 2
		if c.cue.Gesture == GestureFlood {
			// Replayed every second while flood records come: each lasts a
			// second at most, so the sound ends within a second of the flood.
			frames = min(frames, r.rate)
		}
		r.startClip(v, cl, c.cue.Gain, c.cue.Pan, false, frames)
		v.prio, v.delay, v.tail = prioForeground, delay, r.rate/20
	case cmdSE:
		if r.countSE() >= maxSE {
			return
		}
		v := r.alloc(prioClip)
		if v == nil {
			return
		}
		r.startClip(v, c.clip, 0.6*th.ForegroundGain, 0, false, len(c.clip.pcm)/2)
		v.delay = delay
	case cmdSound:
		r.startSound(c, delay)
	case cmdStopSound:
		if r.bg.kind == voiceClip {
			r.bg.fdec = 1 / float32(0.02*rate) // 20 ms fade, no click
		}
	}
}

// startSound plays PACKTERSOUND with PACKTER 2.5's TIME in milliseconds: > 0
// play once and stop after TIME, < 0 loop for |TIME|. A sound it replaces
// that started less than a second ago finishes its first second as a clip, so
// that a result arriving just after "trace launched" does not silence it.
func (r *renderer) startSound(c *cmd, delay int) {
	ms := int64(c.millis)
	loop := ms < 0
	if loop {
		ms = -ms
	}
	ms = min(ms, 24*3600*1000)
	if old := r.bg; old.kind == voiceClip && old.fdec == 0 && old.pos < r.rate {
		if v := r.alloc(prioClip); v != nil {
			*v = old
			v.loop = false
			v.remain = min(v.remain, r.rate-v.pos)
			v.tail = r.rate / 20
			v.delay = 0
		}
	}
	r.startClip(&r.bg, c.clip, 0.5*r.ctl.theme.ForegroundGain, 0, loop, int(ms*int64(r.rate)/1000))
	r.bg.delay = delay
}

func (r *renderer) startClip(v *voice, cl *clip, gain, pan float64, loop bool, frames int) {
	*v = voice{kind: voiceClip, prio: prioClip, bus: busFore, class: -1, clip: cl, loop: loop,
		remain: frames, fade: 1, peak: float32(gain), tail: r.rate / 100}
	v.setPan(pan)
	// Equal-power pan at the centre is -3 dB per side; clips are already
	// stereo, so restore unity at the centre.
	v.gl *= math.Sqrt2
	v.gr *= math.Sqrt2
	v.gl, v.gr = min(v.gl, 1), min(v.gr, 1)
}

func (r *renderer) countSE() int {
	n := 0
	for i := range r.voices {
		if r.voices[i].kind == voiceClip && r.voices[i].prio == prioClip {
			n++
		}
	}
	return n
}

// alloc finds a voice: a free one, else the quietest of a lower priority, else
// (for notes) a nearly finished one of the same priority. nil drops the cue:
// with no room a late note is worth nothing.
func (r *renderer) alloc(prio uint8) *voice {
	var best *voice
	bestScore := float32(math.MaxFloat32)
	for i := range r.voices {
		v := &r.voices[i]
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
