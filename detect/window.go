package detect

import (
	"net/netip"
	"time"
)

// majority is the Boyer–Moore vote: with no memory per address it finds the
// destination that received most of a window's packets when one got over half
// (a flood's victim), which is the case that matters.
//
// It also times the candidate's packets since it became the candidate, so an
// alert announces the flood's own rate toward its target, not the window's
// (a window that began before the flood would dilute it).
type majority struct {
	cand        netip.Addr
	count       int
	hits        int // the candidate's packets since it became the candidate
	since, last time.Time
}

func (m *majority) add(ts time.Time, a netip.Addr) {
	switch {
	case m.count == 0:
		m.cand, m.count, m.hits, m.since, m.last = a, 1, 1, ts, ts
	case m.cand == a:
		m.count++
		m.hits++
		m.last = ts
	default:
		m.count--
	}
}

// rate is the candidate's packets per second, or fallback when too few
// packets or too short a time were seen to say.
func (m *majority) rate(fallback float64) float64 {
	d := m.last.Sub(m.since).Seconds()
	if m.hits < 10 || d <= 0 {
		return fallback
	}
	// hits-1 intervals between the first and the last packet.
	return float64(m.hits-1) / d
}

// window counts one window of packets.
type window struct {
	n     int
	first time.Time
	last  time.Time
	count [nKinds]int // the PPS slot counts all
	vote  [nKinds]majority
}

func (w *window) add(ts time.Time, dst netip.Addr, m Mask) {
	if w.n == 0 {
		w.first = ts
	}
	w.n++
	w.last = ts
	m |= 1 << PPS // every packet counts toward the rate
	for k := Kind(0); k < nKinds; k++ {
		if m.Has(k) {
			w.count[k]++
			w.vote[k].add(ts, dst)
		}
	}
}

func (w *window) seconds() float64 {
	// PACKTER clamps a window to at least 1 s, which caps the rate it can see at
	// the window size; we clamp to 1 ms so a fast flood is measured as it is.
	return max(w.last.Sub(w.first).Seconds(), 0.001)
}

func (w *window) share(k Kind) float64 { return float64(w.count[k]) / float64(w.n) }

// base holds what both judges share: windowing, quiet time, flood marking, words.
type base struct {
	size  int
	quiet time.Duration
	conf  map[string]string
	w     window

	minPPS float64 // a kind must reach this rate to alert (0: any)
	places Places  // names places in the words (SetPlaces); nil: none

	// Per kind: quiet after an alert, and the flood being tracked.
	quietUntil [nKinds]time.Time
	flood      [nKinds]tracker
}

func (b *base) fresh(k Kind, ts time.Time) bool {
	return !b.quietUntil[k].IsZero() && !ts.After(b.quietUntil[k])
}

// Flooding is true for a packet of an alerted kind toward the alerted target
// while that flood goes on (see tracker).
func (b *base) Flooding(ts time.Time, dst netip.Addr, m Mask) bool {
	m |= 1 << PPS
	hit := false
	for k := Kind(0); k < nKinds; k++ {
		if m.Has(k) && b.fresh(k, ts) && dst == b.flood[k].target && b.flood[k].on(ts) {
			hit = true
		}
	}
	return hit
}

// track counts a packet toward the floods being tracked, before it is judged.
func (b *base) track(ts time.Time, dst netip.Addr, m Mask) {
	m |= 1 << PPS
	for k := Kind(0); k < nKinds; k++ {
		if m.Has(k) && !b.quietUntil[k].IsZero() && dst == b.flood[k].target {
			b.flood[k].add(ts)
		}
	}
}

// finish turns fired kinds into an alert: kinds below the rate gate or still
// quiet after their last alert are dropped; nil when none is left.
func (b *base) finish(fired []Kind, limits *[nKinds]float64) *Alert {
	w := &b.w
	secs := w.seconds()
	kept := fired[:0]
	for _, k := range fired {
		if float64(w.count[k])/secs < b.minPPS || b.fresh(k, w.last) {
			continue
		}
		// A flood has a target: a share that rose while spread over many
		// hosts is the mix changing, not an attack (the rate excepted, which
		// counts every packet).
		if k != PPS && b.minPPS > 0 && 2*w.vote[k].hits < w.count[k] {
			continue
		}
		kept = append(kept, k)
	}
	if len(kept) == 0 {
		return nil
	}
	k := kept[0]
	al := &Alert{Time: w.last, Kinds: append([]Kind(nil), kept...), Target: w.vote[k].cand, Window: w.n, Limit: limits[k]}
	al.PPS = w.vote[k].rate(float64(w.count[k]) / secs)
	if k != PPS {
		al.Share = w.share(k)
	}
	for _, f := range kept {
		b.quietUntil[f] = w.last.Add(b.quiet)
		b.flood[f].start(w.vote[f].cand, w.last, w.vote[f].rate(float64(w.count[f])/secs), b.minPPS)
	}
	b.words(al, limits)
	return al
}

// tracker follows one alerted flood so its packets stop being drawn as
// missiles once it is over, not when the quiet time ends: the flood is "on"
// while its packets toward the target keep arriving at a good fraction of the
// alerted rate, judged over buckets of a quarter second.
type tracker struct {
	target  netip.Addr
	floor   float64   // packets per second below which the flood is over
	bucket  time.Time // start of the current bucket
	n, prev int       // packets in the current and the previous bucket
}

const trackBucket = 250 * time.Millisecond

func (t *tracker) start(target netip.Addr, ts time.Time, pps, minPPS float64) {
	// A quarter of the alerted rate: a flood that halves is still a flood;
	// minPPS keeps ordinary traffic toward the same host from counting.
	*t = tracker{target: target, floor: max(pps/4, minPPS, 1), bucket: ts, n: int(pps * trackBucket.Seconds())}
}

func (t *tracker) roll(ts time.Time) {
	d := ts.Sub(t.bucket)
	switch {
	case d < trackBucket:
	case d < 2*trackBucket:
		t.prev, t.n = t.n, 0
		t.bucket = t.bucket.Add(trackBucket)
	default: // a gap of a whole bucket or more: nothing arrived in it
		t.prev, t.n = 0, 0
		t.bucket = ts
	}
}

func (t *tracker) add(ts time.Time) {
	t.roll(ts)
	t.n++
}

// on reports whether the flood is still going at ts: the last full bucket, or
// the current one so far, carries its floor rate.
func (t *tracker) on(ts time.Time) bool {
	t.roll(ts)
	need := t.floor * trackBucket.Seconds()
	return float64(t.prev) >= need || float64(t.n) >= need
}
