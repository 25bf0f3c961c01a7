package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/journal"
	"github.com/packter/packter/visual"
)

// boardFeed runs packter-board as a child and feeds it journal lines on its
// stdin; the board asks for pause, rewind and live on its stdout, and those act
// on what the monitor sends it from its timeline.
type boardFeed struct {
	s      *session
	cmd    *exec.Cmd
	lines  chan []byte
	paused atomic.Bool
	live   atomic.Bool
	drops  atomic.Uint64

	done  chan struct{}
	close sync.Once

	mu         sync.Mutex
	stopReplay context.CancelFunc
}

// findBoard looks for packter-board beside this executable, then on PATH.
func findBoard() (string, error) {
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "packter-board")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	if p, err := exec.LookPath("packter-board"); err == nil {
		return p, nil
	}
	return "", errors.New("packter-board is not built (run 'make build', then use bin/packter)")
}

func startBoard(ctx context.Context, s *session) (*boardFeed, error) {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return nil, errors.New("there is no display (DISPLAY is not set)")
	}
	path, err := findBoard()
	if err != nil {
		return nil, err
	}
	args := []string{"--stdin"}
	if s.opts.assets != "" {
		args = append(args, "--assets", s.opts.assets)
	}
	args = append(args, strings.Fields(s.opts.boardFlags)...)
	cmd := exec.CommandContext(ctx, path, args...)
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	errOut, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting packter-board: %w", err)
	}
	b := &boardFeed{s: s, cmd: cmd, lines: make(chan []byte, 8192), done: make(chan struct{})}
	b.live.Store(true)
	go b.write(in)
	go b.requests(ctx, out)
	go func() {
		sc := bufio.NewScanner(errOut)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "XGB:") {
				continue // the X library's chatter about a missing ~/.Xauthority
			}
			s.log.Warn("board: " + sc.Text())
		}
	}()
	return b, nil
}

// Event forwards live events unless the board paused or is rewound.
func (b *boardFeed) Event(ev *event.Event) {
	if b.paused.Load() || !b.live.Load() {
		return
	}
	b.send(ev)
}

func (b *boardFeed) send(ev *event.Event) {
	select {
	case b.lines <- journal.Append(nil, ev):
	default:
		b.drops.Add(1) // the board is behind: it shows a sample, never stalls the monitor
	}
}

func (b *boardFeed) write(w io.WriteCloser) {
	defer w.Close()
	bw := bufio.NewWriterSize(w, 64<<10)
	for {
		select {
		case <-b.done:
			bw.Flush()
			return
		case line := <-b.lines:
			if _, err := bw.Write(line); err != nil {
				return
			}
			if len(b.lines) == 0 && bw.Flush() != nil {
				return
			}
		}
	}
}

func (b *boardFeed) requests(ctx context.Context, r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		req, err := visual.DecodeRequest(sc.Bytes())
		if err != nil {
			b.s.log.Warn("board sent a bad request", "err", err)
			continue
		}
		switch req.Cmd {
		case "pause":
			b.paused.Store(true)
		case "resume":
			b.paused.Store(false)
		case "live":
			b.stop()
			b.paused.Store(false)
			b.live.Store(true)
		case "rewind":
			b.rewind(ctx, time.Duration(req.Seconds*float64(time.Second)))
		}
	}
}

func (b *boardFeed) stop() {
	b.mu.Lock()
	if b.stopReplay != nil {
		b.stopReplay()
		b.stopReplay = nil
	}
	b.mu.Unlock()
}

// rewind replays the timeline from d ago at capture pace, then goes live.
func (b *boardFeed) rewind(ctx context.Context, d time.Duration) {
	b.stop()
	b.live.Store(false)
	b.paused.Store(false)
	tl := b.s.tl
	from := tl.Search(time.Now().Add(-d))
	rctx, cancel := context.WithCancel(ctx)
	b.mu.Lock()
	b.stopReplay = cancel
	b.mu.Unlock()
	go func() {
		tl.Replay(rctx, from, 1, func(seq uint64, ev *event.Event) error {
			_, next := tl.Bounds()
			if seq+1 >= next { // caught up: hand over to the live feed
				b.live.Store(true)
				cancel()
				return context.Canceled
			}
			if !b.paused.Load() {
				e := *ev
				e.Time = time.Now()
				b.send(&e)
			}
			return nil
		})
	}()
}

// Close ends the feed; the board exits when its stdin closes.
func (b *boardFeed) Close() {
	b.stop()
	b.close.Do(func() { close(b.done) })
	done := make(chan struct{})
	go func() { b.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		b.cmd.Process.Kill()
	}
}
