package sonify

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/packter/packter/event"
)

// shared is everything the producers' side and the renderer exchange, all
// of it lock-free: the command queue, per-class counters, the grains'
// recent notes, and what the renderer publishes back (where it is, which
// classes are textures, the event rate).
type shared struct {
	q       *cmdQueue
	ctl     controls
	counts  [10]atomic.Uint64
	recent  [10][recentSize]atomic.Uint64 // packed grainSeeds
	recentN [10]atomic.Uint32

	// Written by the renderer once a block, read by every event: on their
	// own cache lines, away from the counters the intake writes.
	_         [64]byte
	textureOn atomic.Uint32 // bit c: class c is a texture; stored only when it changes
	_         [60]byte
	pos       atomic.Int64  // frames producers must not schedule before
	rateSum   atomic.Uint64 // float64 bits: events/s over the last quarter second
	obs       clockObs      // the device's latest pull
	_         [64]byte

	dropLate, dropFull, dropSched atomic.Uint64
}

// Dropped counts events dropped as late, cues refused because the queue to
// the renderer was full, and cues the renderer had no room to schedule.
func (e *Engine) Dropped() uint64 {
	return e.sh.dropLate.Load() + e.sh.dropFull.Load() + e.sh.dropSched.Load()
}

// Drops says where the engine dropped things, for a closing report.
type Drops struct {
	Late       uint64 // events more than 100 ms late
	QueueFull  uint64 // commands refused because the renderer's queue was full
	NoRoom     uint64 // cues the renderer had no room to schedule
	WAVSamples uint64 // samples left out of --wav because its writer fell behind
}

// Drops returns the engine's drop counters.
func (e *Engine) Drops() Drops {
	d := Drops{Late: e.sh.dropLate.Load(), QueueFull: e.sh.dropFull.Load(), NoRoom: e.sh.dropSched.Load()}
	if e.ring != nil {
		d.WAVSamples = e.ring.dropped.Load()
	}
	return d
}

// intake turns events into commands: the clock mapping, the per-class and
// global note budgets, and the once-a-second limit on foreground cues. Its
// mutex orders producers among themselves; the renderer never takes it.
type intake struct {
	sh *shared

	mu        sync.Mutex
	clk       clock
	tokens    [10]float64
	tokenNs   [10]int64
	allTokens float64
	allNs     int64
	skip      [10]uint32
	busy      [10]float64 // events in the last second or so, decaying (the loudness law)
	busyNs    [10]int64
	fgLast    [3]int64
	total     uint64
	notes     uint64 // note cues queued, for tests and figures
	statTotal uint64
	statTime  time.Time
	statRate  float64
}

func (in *intake) init(sh *shared, rate int) {
	in.sh = sh
	in.clk.rate = rate
	for i := range in.tokens {
		in.tokens[i] = noteBurst
	}
	in.allTokens = 2 * noteBurst
}

// frame maps an event time to a frame, folding in the device's latest pull
// first. Called with mu held.
func (in *intake) frame(t time.Time) int64 {
	if now, f, seq, ok := in.sh.obs.latest(in.clk.obsSeq); ok {
		in.clk.obsSeq = seq
		in.clk.sync(now, f)
	}
	return in.clk.frameAt(t, in.sh.pos.Load())
}

// schedulable clamps a slightly late frame to now; it reports false for an
// event too late to play (dropped, never queued). Called with mu held.
func (in *intake) schedulable(at int64) (int64, bool) {
	pos := in.sh.pos.Load()
	if at >= pos {
		return at, true
	}
	if pos-at > lateTolerMs*int64(in.clk.rate)/1000 {
		return 0, false
	}
	return pos, true
}

func (in *intake) push(c cmd) bool {
	if !in.sh.q.push(c) {
		in.sh.dropFull.Add(1)
		return false
	}
	return true
}

// packet handles a packet record or an alert. It never blocks on the
// renderer and allocates nothing.
func (in *intake) packet(ev *event.Event, th *Theme) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.total++
	if ev.Kind == event.KindPacket && ev.Model.Empty() && !ev.Incident() {
		// A class that is a texture only needs counting, plus now and then a
		// mapped note for its grains to borrow: skip the mapping otherwise.
		if c := ev.Class(); in.sh.textureOn.Load()&(1<<c) != 0 {
			in.sh.counts[c].Add(1)
			if in.skip[c]++; in.skip[c]%16 != 0 {
				return
			}
			in.remember(Map(ev, th))
			return
		}
	}
	cue := Map(ev, th)
	if cue.Gesture == GestureNone {
		return
	}
	at := in.frame(ev.Time)
	if cue.Gesture.Foreground() {
		in.foreground(cue, at)
		return
	}
	c := cue.Class
	in.sh.counts[c].Add(1)
	in.remember(cue)
	ns := ev.Time.UnixNano()
	cue.Gain *= in.noteLaw(c, ns)
	if !in.noteBudget(c, ns, th.Threshold) {
		return
	}
	at, ok := in.schedulable(at)
	if !ok {
		in.sh.dropLate.Add(1)
		return
	}
	in.tokens[c]--
	in.allTokens--
	if !in.push(cmd{kind: cmdCue, at: at, cue: cue}) {
		return
	}
	in.notes++
	if c >= 5 {
		// IPv6 strikes twice: a softer second strike 90 ms later, an
		// envelope IPv4 never has (its glassy partial alone is too faint
		// to tell them apart).
		cue.Gain *= 0.7
		in.push(cmd{kind: cmdCue, at: at + int64(in.clk.rate)*90/1000, cue: cue})
	}
}

// foreground queues a salient cue: at most one of each kind a second, or a
// flood of flood records would be a wall of sirens. Called with mu held.
func (in *intake) foreground(cue Cue, at int64) {
	k := int(cue.Gesture - GestureFlood)
	at, ok := in.schedulable(at)
	if !ok {
		in.sh.dropLate.Add(1)
		return
	}
	if in.fgLast[k] != 0 && at-in.fgLast[k] < int64(in.clk.rate) {
		return // limited by design, not a drop
	}
	in.fgLast[k] = at
	in.push(cmd{kind: cmdFore, at: at, cue: cue})
}

// noteBudget refills and checks the token buckets on event time: at most
// Threshold notes a second per class (the rest is heard through the class's
// texture), and a budget for all classes together of about twice one class's,
// so ten quiet classes do not add up to eighty notes a second. ACK/data, the
// least telling, leaves the last tokens to the others. Called with mu held.
func (in *intake) noteBudget(c int, ns int64, thr float64) bool {
	if dt := ns - in.tokenNs[c]; dt > 0 {
		in.tokens[c] = math.Min(noteBurst, in.tokens[c]+float64(dt)/1e9*thr)
	}
	in.tokenNs[c] = ns
	if dt := ns - in.allNs; dt > 0 {
		in.allTokens = math.Min(2*noteBurst, in.allTokens+float64(dt)/1e9*2*thr)
	}
	in.allNs = ns
	need := 1.0
	if c%5 == 0 {
		need = 2
	}
	return in.sh.textureOn.Load()&(1<<c) == 0 && in.tokens[c] >= 1 && in.allTokens >= need
}

// Below the texture threshold every packet is a note, and overlapping notes
// add up. Each note is made quieter by r^-noteLawExp (r its class's rate), so
// that loudness grows by about 3 LU per tenfold rate, the law the textures
// follow above the threshold (see TestLoudnessLaw).
const noteLawExp = 0.1

// noteLaw returns the gain of a note of class c at event time ns: busy is a
// count of the class's events decaying with a one-second time constant (the
// rate in events/s, plus about a half). Called with mu held.
func (in *intake) noteLaw(c int, ns int64) float64 {
	if dt := ns - in.busyNs[c]; dt > 0 {
		in.busy[c] *= math.Exp(-float64(dt) / 1e9)
	}
	in.busyNs[c] = ns
	in.busy[c]++
	return math.Pow(math.Max(1, in.busy[c]-0.5), -noteLawExp)
}

// remember offers a note to its class's grains. Called with mu held (one
// writer per slot); the renderer reads the slots atomically.
func (in *intake) remember(c Cue) {
	n := in.sh.recentN[c.Class].Load()
	in.sh.recent[c.Class][n%recentSize].Store(packSeed(grainSeed{c.Freq, c.Pan, c.Ratio, c.Gesture}))
	in.sh.recentN[c.Class].Store(n + 1)
}

// eventRate is events/s by the wall clock, for the status line of an engine
// that does not render.
func (in *intake) eventRate() float64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	now := time.Now()
	if d := now.Sub(in.statTime); d >= 500*time.Millisecond || in.statTime.IsZero() {
		if !in.statTime.IsZero() {
			in.statRate = float64(in.total-in.statTotal) / d.Seconds()
		}
		in.statTotal, in.statTime = in.total, now
	}
	return in.statRate
}

type grainSeed struct {
	freq, pan, ratio float64
	gesture          Gesture
}

// packSeed fits a grain seed in 64 bits so that it crosses to the renderer
// in one atomic word: frequency as float32, pan in 1/127 steps, FM ratio in
// hundredths, gesture.
func packSeed(g grainSeed) uint64 {
	pan := uint64(math.Round((math.Max(-1, math.Min(1, g.pan)) + 1) * 127))
	ratio := uint64(math.Min(math.Max(math.Round(g.ratio*100), 0), 0xFFFF))
	return uint64(math.Float32bits(float32(g.freq))) | pan<<32 | ratio<<40 | uint64(g.gesture&0xF)<<56
}

func unpackSeed(x uint64) grainSeed {
	return grainSeed{
		freq:    float64(math.Float32frombits(uint32(x))),
		pan:     float64((x>>32)&0xFF)/127 - 1,
		ratio:   float64((x>>40)&0xFFFF) / 100,
		gesture: Gesture((x >> 56) & 0xF),
	}
}
