package journal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/internal/safefile"
	"github.com/packter/packter/monitor"
)

// Replayer plays a journal back as a monitor source: its events arrive again
// with the recorded gaps divided by Speed (0: as fast as they can be taken),
// stamped with the time they are replayed. Bad and oversized lines are
// skipped, counted and logged with their line numbers.
type Replayer struct {
	Path   string
	Speed  float64
	Logger *slog.Logger
	Now    func() time.Time

	Bad int // lines skipped, once Run has returned
}

// Run replays the whole journal, then returns nil.
func (p *Replayer) Run(ctx context.Context, in monitor.Intake) error {
	log := p.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := p.Now
	if now == nil {
		now = time.Now
	}
	f, err := safefile.Open(p.Path) // a FIFO or device named by mistake would block or never end
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	defer f.Close()
	dec := NewDecoder(f)
	evs := make([]event.Event, 1)
	var first time.Time
	start := now()
	for {
		err := dec.Next(&evs[0])
		if errors.Is(err, io.EOF) {
			if p.Bad > 0 {
				log.Warn("replay skipped bad lines", "file", p.Path, "lines", p.Bad)
			}
			return nil
		}
		if err != nil {
			if !errors.Is(err, ErrLine) {
				return fmt.Errorf("replay %s: %w", p.Path, err)
			}
			if p.Bad++; p.Bad <= 10 {
				log.Warn("replay skipped a bad line", "file", p.Path, "err", err)
			}
			continue
		}
		ev := &evs[0]
		if first.IsZero() {
			first = ev.Time
		}
		if p.Speed > 0 {
			due := start.Add(time.Duration(float64(ev.Time.Sub(first)) / p.Speed))
			if d := due.Sub(now()); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-ctx.Done():
					t.Stop()
					return ctx.Err()
				case <-t.C:
				}
			}
		} else if ctx.Err() != nil {
			return ctx.Err()
		}
		ev.Time = now()
		in.Events(evs)
	}
}
