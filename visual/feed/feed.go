// Package feed runs the visual board (packter-board) as a child of the
// monitor and streams the monitor's timeline to it: a timeline.Player steps
// the shared playhead about 60 times a second and writes, on the child's
// standard input, a clock line (visual.AppendClock) and the journal lines of
// the events due (journal.Append, with their arrival times). The board's
// timeline requests come back on its standard output and move the shared
// playhead, so the console follows them. Its own status lines (stderr lines
// starting "status: ") are logged at Info, never as warnings: they are not
// alerts.
//
// It does not import Ebiten: the monitor must run without a display.
package feed

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/journal"
	"github.com/packter/packter/timeline"
	"github.com/packter/packter/visual"
)

// Config sets up a board.
type Config struct {
	Timeline   *timeline.Timeline // the monitor's
	Playhead   *timeline.Playhead // the one every view follows
	Assets     string             // --assets DIR for pictures and sky textures ("" none)
	ExtraFlags []string           // more packter-board flags (e.g. --vsync=false)
	Logger     *slog.Logger
	Path       string        // packter-board; "" looks beside this executable, then on PATH
	Fly        time.Duration // the board's flight time (0: visual.DefaultFly)
	// Rate is how many steps a second (0: 60); MaxPerStep bounds the
	// events one step sends (0: 65536), the rest are skipped and counted.
	Rate       int
	MaxPerStep int
}

// StatusPrefix starts the board's own status lines on its stderr.
const StatusPrefix = "status: "

// Board is a running packter-board fed by the monitor.
type Board struct {
	cfg    Config
	log    *slog.Logger
	cmd    *exec.Cmd
	cancel context.CancelFunc
	wg     sync.WaitGroup
	reqs   chan visual.Request
	once   sync.Once
	done   chan struct{}

	mu    sync.Mutex
	stats Stats
}

// Stats counts what the feed sent.
type Stats struct {
	Steps, Events, Skipped, Resets uint64
}

// Find looks for packter-board beside this executable, then on PATH.
func Find() (string, error) {
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

// Start starts packter-board --stdin and feeds it until ctx ends or Close.
func Start(ctx context.Context, cfg Config) (*Board, error) {
	if cfg.Timeline == nil || cfg.Playhead == nil {
		return nil, errors.New("feed: a timeline and a playhead are needed")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Fly <= 0 {
		cfg.Fly = visual.DefaultFly
	}
	if cfg.Rate <= 0 {
		cfg.Rate = 60
	}
	if cfg.MaxPerStep <= 0 {
		cfg.MaxPerStep = 1 << 16
	}
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return nil, errors.New("there is no display (DISPLAY is not set)")
	}
	path := cfg.Path
	if path == "" {
		p, err := Find()
		if err != nil {
			return nil, err
		}
		path = p
	}
	args := []string{"--stdin", "--fly", cfg.Fly.String()}
	if cfg.Assets != "" {
		args = append(args, "--assets", cfg.Assets)
	}
	args = append(args, cfg.ExtraFlags...)
	ctx, cancel := context.WithCancel(ctx)
	// Not CommandContext: when the monitor stops, run closes the board's
	// input and the board exits by itself; Close kills it only if it hangs.
	cmd := exec.Command(path, args...)
	in, err1 := cmd.StdinPipe()
	out, err2 := cmd.StdoutPipe()
	errOut, err3 := cmd.StderrPipe()
	if err := errors.Join(err1, err2, err3); err != nil {
		cancel()
		return nil, fmt.Errorf("feed: pipes: %w", err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("starting packter-board: %w", err)
	}
	b := &Board{cfg: cfg, log: cfg.Logger, cmd: cmd, cancel: cancel, reqs: make(chan visual.Request, 16), done: make(chan struct{})}
	b.wg.Add(3)
	go func() { defer b.wg.Done(); b.run(ctx, in) }()
	go func() { defer b.wg.Done(); b.requests(out) }()
	go func() { defer b.wg.Done(); b.stderr(errOut) }()
	return b, nil
}

// run steps the player and writes to the board until ctx ends or the board
// stops reading. It is the only goroutine that moves the playhead for the
// board, so requests and steps never race.
func (b *Board) run(ctx context.Context, w io.WriteCloser) {
	defer w.Close()
	bw := bufio.NewWriterSize(w, 256<<10)
	pl := timeline.NewPlayer(b.cfg.Timeline, b.cfg.Playhead, b.cfg.Fly)
	ctl := NewControl(b.cfg.Timeline, b.cfg.Playhead, "board")
	ctl.LoadFrom(ctx, b.log)
	tick := time.NewTicker(time.Second / time.Duration(b.cfg.Rate))
	defer tick.Stop()
	var evs []event.Event
	var line []byte
	var last visual.Clock
	var lastSent time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.done:
			return
		case req := <-b.reqs:
			ctl.Do(req)
		case <-tick.C:
		}
		ctl.Tick()
		now := time.Now()
		f := pl.Step(now, evs, b.cfg.MaxPerStep)
		evs = f.Events
		c := visual.Clock{Time: f.Clock, Speed: f.Speed, Live: f.Live, Behind: f.Behind, Reset: f.Reset, Past: f.Past}
		// A clock line when something happened, else four a second so the
		// board's clock never drifts far.
		if !f.Reset && len(f.Events) == 0 && c.Live == last.Live && c.Speed == last.Speed && c.Behind == last.Behind && c.Past == last.Past && now.Sub(lastSent) < 250*time.Millisecond {
			continue
		}
		last, lastSent = c, now
		line = visual.AppendClock(line[:0], c)
		for i := range f.Events {
			if shown(f.Events[i].Kind) {
				line = journal.Append(line, &f.Events[i])
			}
		}
		b.count(&f)
		if _, err := bw.Write(line); err != nil {
			b.log.Info("the board stopped reading", "err", err)
			return
		}
		if err := bw.Flush(); err != nil {
			b.log.Info("the board stopped reading", "err", err)
			return
		}
	}
}

// shown: the board draws packets, messages and sky textures; sound and
// speech stay with the monitor.
func shown(k event.Kind) bool {
	switch k {
	case event.KindPacket, event.KindMessage, event.KindHTML, event.KindAlert, event.KindTrace, event.KindSky:
		return true
	}
	return false
}

func (b *Board) count(f *timeline.Frame) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stats.Steps++
	b.stats.Events += uint64(len(f.Events))
	b.stats.Skipped += f.Skipped
	if f.Reset {
		b.stats.Resets++
	}
}

// Stats returns the counts so far.
func (b *Board) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stats
}

// requests reads the board's timeline requests and hands them to run.
func (b *Board) requests(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		req, err := visual.DecodeRequest(sc.Bytes())
		if err != nil {
			b.log.Info("board sent a bad request", "err", err)
			continue
		}
		select {
		case b.reqs <- req:
		case <-b.done:
			return
		}
	}
}

// stderr logs the board's status lines at Info and anything else (a crash,
// the graphics library) as a warning.
func (b *Board) stderr(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, StatusPrefix):
			b.log.Info("board: " + strings.TrimPrefix(line, StatusPrefix))
		case strings.HasPrefix(line, "XGB:"):
			// the X library's chatter about a missing ~/.Xauthority (-d)
		default:
			b.log.Warn("board: " + line)
		}
	}
}

// Close stops feeding; the board exits when its input closes (killed after
// 3 s if it does not).
func (b *Board) Close() error {
	b.once.Do(func() { close(b.done) })
	waited := make(chan error, 1)
	go func() { waited <- b.cmd.Wait() }()
	var err error
	select {
	case err = <-waited:
	case <-time.After(3 * time.Second):
		b.cmd.Process.Kill()
		err = fmt.Errorf("packter-board did not exit when its input closed: %w", <-waited)
	}
	b.cancel()
	b.wg.Wait()
	return err
}
