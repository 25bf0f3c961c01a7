package detect

import (
	"net/netip"
	"time"
)

// Threshold is PACKTER 2.5's fixed-bound judge.
type Threshold struct {
	base
	limit [nKinds]float64 // <= 0: off
	fired []Kind
}

// Observe implements Detector.
func (t *Threshold) Observe(ts time.Time, dst netip.Addr, m Mask) *Alert {
	t.track(ts, dst, m)
	t.w.add(ts, dst, m)
	if t.w.n < t.size {
		return nil
	}
	fired := t.fired[:0]
	for k := Kind(0); k < nKinds; k++ {
		if t.limit[k] <= 0 {
			continue
		}
		v := t.w.share(k)
		if k == PPS {
			v = float64(t.w.n) / t.w.seconds()
		}
		if v > t.limit[k] {
			fired = append(fired, k)
		}
	}
	t.fired = fired
	al := t.finish(fired, &t.limit)
	t.w = window{}
	return al
}

// Defaults of the threshold judge. PACKTER 2.5 had none (no threshold meant no
// alert); these catch a flood without firing on ordinary browsing, DNS or a
// port scan answered by resets.
var thresholdDefaults = [nKinds]float64{SYN: 0.6, FIN: 0.6, RST: 0.7, ICMP: 0.5}
