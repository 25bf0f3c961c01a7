package sonify

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/packter/packter/wav"
)

// streamer is the engine as beep's speaker sees it: the audio callback. It
// renders, publishes where the device is, and hands the block to the WAV
// ring; it takes no lock, does no I/O and allocates nothing. It never ends.
type streamer struct{ e *Engine }

func (s streamer) Stream(samples [][2]float64) (int, bool) {
	e := s.e
	if e.closed.Load() {
		clear(samples)
		return len(samples), true
	}
	e.sh.obs.publish(time.Now(), e.r.rpos)
	done := 0
	for done < len(samples) {
		n := min(maxBlock, len(samples)-done)
		out := e.r.renderBlock(n)
		for i := 0; i < n; i++ {
			samples[done+i] = [2]float64{float64(out[2*i]), float64(out[2*i+1])}
		}
		if e.ring != nil {
			e.ring.write(out)
		}
		done += n
	}
	return done, true
}

func (s streamer) Err() error { return nil }

// sampleRing carries rendered samples from the renderer to the WAV writer's
// goroutine: single producer, single consumer, lock-free. When the writer
// falls more than the ring behind (a stalled disk), blocks are dropped and
// counted rather than the audio waiting.
type sampleRing struct {
	buf     []float32
	mask    uint64
	w, r    atomic.Uint64
	dropped atomic.Uint64 // samples
}

func newSampleRing(size int) *sampleRing {
	return &sampleRing{buf: make([]float32, size), mask: uint64(size - 1)}
}

func (q *sampleRing) write(s []float32) {
	w, r := q.w.Load(), q.r.Load()
	if uint64(len(q.buf))-(w-r) < uint64(len(s)) {
		q.dropped.Add(uint64(len(s)))
		return
	}
	for i, v := range s {
		q.buf[(w+uint64(i))&q.mask] = v
	}
	q.w.Store(w + uint64(len(s)))
}

// read moves what is there into dst and returns how many samples.
func (q *sampleRing) read(dst []float32) int {
	w, r := q.w.Load(), q.r.Load()
	n := min(int(w-r), len(dst))
	for i := range n {
		dst[i] = q.buf[(r+uint64(i))&q.mask]
	}
	q.r.Store(r + uint64(n))
	return n
}

// wavSink writes the ring to the WAV file on its own goroutine, so the
// audio path never waits for the disk. It drains what is left when ctx ends.
func (e *Engine) wavSink(ctx context.Context, w *wav.Writer) {
	defer e.wavWG.Done()
	buf := make([]float32, 16384)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	failed := false
	drain := func() {
		for {
			n := e.ring.read(buf)
			if n == 0 || failed {
				return
			}
			if err := w.Write(buf[:n]); err != nil {
				e.log.Error("sonify: writing the WAV file failed; it stops here", "err", err)
				failed = true
			}
		}
	}
	for {
		select {
		case <-ctx.Done():
			drain()
			return
		case <-t.C:
			drain()
		}
	}
}

// clockDriver renders by the wall clock when there is no sound card to pull
// samples: the WAV file then holds what would have been heard, in time.
func (e *Engine) clockDriver(ctx context.Context, start time.Time) {
	defer e.wg.Done()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			target := int64(now.Sub(start).Seconds() * float64(e.rate))
			for e.r.rpos < target {
				n := int(min(int64(maxBlock), target-e.r.rpos))
				e.ring.write(e.r.renderBlock(n))
			}
		}
	}
}

// openWAV starts the WAV writer for a live engine.
func (e *Engine) openWAV(ctx context.Context, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("sonify: wav output: %w", err)
	}
	w, err := wav.NewWriter(f, e.rate, 2)
	if err != nil {
		f.Close()
		return fmt.Errorf("sonify: wav output: %w", err)
	}
	e.wavFile, e.wavOut = f, w
	// Two seconds of stereo: far more than a disk hiccup.
	e.ring = newSampleRing(1 << 18)
	ctx, e.stopWAV = context.WithCancel(ctx)
	e.wavWG.Add(1)
	go e.wavSink(ctx, w)
	return nil
}
