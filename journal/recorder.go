package journal

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/internal/safefile"
)

// Recorder is the journal as a monitor output: every event, one line each,
// appended to a file (an existing journal is continued, never truncated).
// It flushes at least every FlushEvery and at once after an alert, so a
// crash loses at most that much.
type Recorder struct {
	mu   sync.Mutex
	f    *os.File
	w    *bufio.Writer
	buf  []byte
	err  error
	log  *slog.Logger
	stop chan struct{}
	done chan struct{}
}

// FlushEvery bounds what a crash (kill -9, power) can take from the journal.
const FlushEvery = time.Second

// Record opens (creating or appending to) path.
func Record(path string, log *slog.Logger) (*Recorder, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND|safefile.NonBlock, 0o644)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	if fi, err := f.Stat(); err == nil && !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("journal: %s is not a regular file", path)
	}
	r := &Recorder{f: f, w: bufio.NewWriterSize(f, 256<<10), log: log, stop: make(chan struct{}), done: make(chan struct{})}
	go r.flusher()
	return r, nil
}

// Event writes one event; alerts are flushed at once.
func (r *Recorder) Event(ev *event.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return
	}
	r.buf = Append(r.buf[:0], ev)
	if _, err := r.w.Write(r.buf); err != nil {
		r.fail(err)
		return
	}
	if ev.Kind == event.KindAlert {
		r.flushLocked()
	}
}

func (r *Recorder) flusher() {
	defer close(r.done)
	t := time.NewTicker(FlushEvery)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			r.mu.Lock()
			r.flushLocked()
			r.mu.Unlock()
		}
	}
}

func (r *Recorder) flushLocked() {
	if r.err != nil || r.w.Buffered() == 0 {
		return
	}
	if err := r.w.Flush(); err != nil {
		r.fail(err)
	}
}

func (r *Recorder) fail(err error) {
	r.err = fmt.Errorf("journal: %w", err)
	r.log.Error("journal write failed; recording stopped", "err", err)
}

// Close flushes and closes the file; it returns the first write error.
func (r *Recorder) Close() error {
	select {
	case <-r.stop:
		return r.err
	default:
		close(r.stop)
	}
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flushLocked()
	if err := r.f.Close(); err != nil && r.err == nil && !errors.Is(err, fs.ErrClosed) {
		r.err = fmt.Errorf("journal: %w", err)
	}
	return r.err
}
