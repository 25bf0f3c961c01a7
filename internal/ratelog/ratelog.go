// Package ratelog logs at a bounded rate: a flood of bad input must not become a
// flood of log lines.
package ratelog

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Limiter lets through at most Burst records per Interval and counts the rest,
// reporting how many were suppressed with the next record it lets through.
type Limiter struct {
	Log      *slog.Logger
	Interval time.Duration
	Burst    int

	mu         sync.Mutex
	start      time.Time
	n          int
	suppressed int
}

// New makes a limiter of burst records per interval.
func New(log *slog.Logger, burst int, interval time.Duration) *Limiter {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Limiter{Log: log, Burst: burst, Interval: interval}
}

// Warn logs at warning level unless the budget for this interval is spent.
func (l *Limiter) Warn(msg string, args ...any) {
	l.mu.Lock()
	now := time.Now()
	if now.Sub(l.start) >= l.Interval {
		l.start, l.n = now, 0
	}
	if l.n >= l.Burst {
		l.suppressed++
		l.mu.Unlock()
		return
	}
	l.n++
	sup := l.suppressed
	l.suppressed = 0
	l.mu.Unlock()
	if sup > 0 {
		args = append(args, "suppressed", sup)
	}
	l.Log.Log(context.Background(), slog.LevelWarn, msg, args...)
}
