package detect

import (
	"math"
	"net/netip"
	"time"
)

// ewma is an exponentially weighted mean and variance (Roberts; West's form).
type ewma struct {
	mean, vr float64
	ready    bool
}

func (e *ewma) update(x, lambda float64) {
	if !e.ready {
		e.mean, e.vr, e.ready = x, 0, true
		return
	}
	d := x - e.mean
	e.mean += lambda * d
	e.vr = (1 - lambda) * (e.vr + lambda*d*d)
}

func (e *ewma) sd(floor float64) float64 { return max(math.Sqrt(max(e.vr, 0)), floor) }

// Adaptive is PACKTER 3.0's untuned judge.
type Adaptive struct {
	base
	warmup            int
	lambda, k, ck, ch float64
	windows           int
	e                 [nKinds]ewma
	imbal             ewma
	g                 float64 // CUSUM statistic
	hardCaps          [nKinds]float64
	fired             []Kind
}

// ratioFloor is the least noise assumed for a share, so a near-constant
// baseline does not make the band hypersensitive (PACKTER 3.0: 2 %).
const ratioFloor = 0.02

// Observe implements Detector.
func (a *Adaptive) Observe(ts time.Time, dst netip.Addr, m Mask) *Alert {
	a.track(ts, dst, m)
	a.w.add(ts, dst, m)
	if a.w.n < a.size {
		return nil
	}
	w := &a.w
	a.windows++
	warming := a.windows <= a.warmup
	var x [nKinds]float64
	for k := Kind(0); k < PPS; k++ {
		x[k] = w.share(k)
	}
	x[PPS] = float64(w.n) / w.seconds()
	imbal := x[SYN] - (x[FIN] + x[RST])

	fired := a.fired[:0]
	var limit [nKinds]float64
	if a.imbal.ready && !warming {
		a.g = max(0, a.g+(imbal-a.imbal.mean)/a.imbal.sd(ratioFloor)-a.ck)
		if a.g > a.ch {
			fired = append(fired, SYN)
			limit[SYN] = a.e[SYN].mean + a.k*a.e[SYN].sd(ratioFloor)
			a.g = 0
		}
	}
	for k := FIN; k < nKinds; k++ {
		floor := ratioFloor
		if k == PPS {
			floor = max(a.e[k].mean*0.25, 1)
		}
		lim := a.e[k].mean + a.k*a.e[k].sd(floor)
		if a.e[k].ready && !warming && x[k] > lim {
			fired = append(fired, k)
			limit[k] = lim
		}
	}
	for k := Kind(0); k < nKinds; k++ { // optional hard caps fire even while warming up
		if a.hardCaps[k] > 0 && x[k] > a.hardCaps[k] && !contains(fired, k) {
			fired = append(fired, k)
			limit[k] = a.hardCaps[k]
		}
	}
	sortKinds(fired)
	a.fired = fired
	// Learn, except what alarmed: an attack must not become the new normal.
	if !contains(fired, SYN) {
		a.e[SYN].update(x[SYN], a.lambda)
		a.imbal.update(imbal, a.lambda)
	}
	for k := FIN; k < nKinds; k++ {
		if !contains(fired, k) {
			a.e[k].update(x[k], a.lambda)
		}
	}
	al := a.finish(fired, &limit)
	a.w = window{}
	return al
}

func contains(s []Kind, k Kind) bool {
	for _, v := range s {
		if v == k {
			return true
		}
	}
	return false
}

func sortKinds(s []Kind) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
