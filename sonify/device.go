package sonify

import (
	"time"
)

// streamer is the engine as beep sees it. It never ends.
type streamer struct{ e *Engine }

func (s streamer) Stream(samples [][2]float64) (int, bool) {
	e := s.e
	e.rmu.Lock()
	defer e.rmu.Unlock()
	e.syncClock(time.Now())
	done := 0
	for done < len(samples) {
		n := min(maxBlock, len(samples)-done)
		e.renderBlock(n)
		for i := 0; i < n; i++ {
			samples[done+i] = [2]float64{float64(e.out[2*i]), float64(e.out[2*i+1])}
		}
		if e.wav != nil {
			if err := e.wav.write(e.out[:2*n]); err != nil {
				e.log.Error("sonify: writing the WAV file failed; it stops here", "err", err)
				e.wav = nil
			}
		}
		done += n
	}
	return done, true
}

func (s streamer) Err() error { return nil }

// syncClock keeps the wall-clock-to-frame mapping on the device's clock: the
// device pulls frame rpos now, so an event at time T belongs at about
// rpos + (T-now) + latency. Pulls come in bursts, so small differences are
// slewed out; large ones (a stall, a device that does not keep real time)
// re-anchor at once. Without this a sound card a little slower than the wall
// clock would, after half an hour, make every event "late". Called with rmu held.
func (e *Engine) syncClock(now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	target := e.rpos + e.latency
	predicted, ok := e.framesSince(now)
	diff := target - predicted
	if !ok || diff > int64(e.rate)/5 || diff < -int64(e.rate)/5 {
		e.anchorT, e.anchorFrame = now, target
		return
	}
	e.anchorFrame += diff / 16
}
