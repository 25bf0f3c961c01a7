package feed

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/journal"
	"github.com/packter/packter/timeline"
	"github.com/packter/packter/visual"
)

// The test binary doubles as a fake packter-board (FEED_FAKE_BOARD=1): it
// writes a status line and a noise line on stderr, waits for a clock line and
// two packets on stdin, asks for a rewind, then copies what it reads to the
// file FEED_FAKE_OUT until stdin closes.
func TestMain(m *testing.M) {
	if os.Getenv("FEED_FAKE_BOARD") == "1" {
		fakeBoard()
		return
	}
	os.Exit(m.Run())
}

func fakeBoard() {
	fmt.Fprintln(os.Stderr, "status: level=INFO msg=\"picture not shown\"")
	fmt.Fprintln(os.Stderr, "XGB: auth.go:40: could not get authority info")
	fmt.Fprintln(os.Stderr, "something broke")
	out, err := os.Create(os.Getenv("FEED_FAKE_OUT"))
	if err != nil {
		os.Exit(3)
	}
	defer out.Close()
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(nil, 1<<20)
	packets, asked := 0, false
	for sc.Scan() {
		fmt.Fprintf(out, "%s\n", sc.Bytes())
		if !visual.IsClockLine(sc.Bytes()) {
			packets++
		}
		if packets >= 2 && !asked {
			asked = true
			os.Stdout.Write(visual.AppendRequest(nil, visual.Request{Cmd: visual.CmdRewind, Seconds: 10}))
		}
	}
}

// logBuffer is a concurrency-safe log destination.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestFeedStreamsAndObeys(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	outFile := t.TempDir() + "/seen"
	t.Setenv("FEED_FAKE_BOARD", "1")
	t.Setenv("FEED_FAKE_OUT", outFile)
	t.Setenv("DISPLAY", ":999") // the fake needs none; Start insists on one

	tl := timeline.New(1000)
	ph := timeline.NewPlayhead(tl, nil)
	now := time.Now()
	// Two packets in flight now, one sound the board has no use for.
	at := []time.Time{now.Add(-2 * time.Second), now.Add(-time.Second)}
	for i, tm := range at {
		tl.Append(&event.Event{Time: tm, Kind: event.KindPacket, Flag: i + 1, Desc: event.CleanText("x", event.MaxText)})
	}
	tl.Append(&event.Event{Time: now, Kind: event.KindSound, File: event.CleanText("a.wav", event.MaxText)})

	var logs logBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := Start(ctx, Config{Timeline: tl, Playhead: ph, Logger: log, Path: exe})
	if err != nil {
		t.Fatal(err)
	}
	// The board's rewind request moves the shared playhead, by "board".
	changed := ph.Changed()
	select {
	case <-changed:
	case <-ctx.Done():
		t.Fatalf("the board's rewind never moved the playhead; log:\n%s", logs.String())
	}
	pos := ph.Position()
	if pos.Live || pos.By != "board" {
		t.Errorf("after the board's rewind: %+v", pos)
	}
	// Let the feed step at the new position, then stop.
	for b.Stats().Resets < 2 && ctx.Err() == nil {
		runtime.Gosched()
	}
	if err := b.Close(); err != nil {
		t.Logf("board exit: %v", err)
	}

	seen, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(seen)), "\n")
	c, err := visual.DecodeClock([]byte(lines[0]))
	if err != nil || !c.Reset || !c.Live {
		t.Fatalf("first line %q: want a live reset clock (%v)", lines[0], err)
	}
	var got []time.Time
	resets := 0
	for _, l := range lines {
		if visual.IsClockLine([]byte(l)) {
			if c, err := visual.DecodeClock([]byte(l)); err == nil && c.Reset {
				resets++
			}
			continue
		}
		var ev event.Event
		if err := journal.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		if ev.Kind != event.KindPacket {
			t.Errorf("sent a %v event to the board", ev.Kind)
		}
		got = append(got, ev.Time)
	}
	if len(got) < 2 || !got[0].Equal(at[0]) || !got[1].Equal(at[1]) {
		t.Errorf("packet times %v, want the arrival times %v first", got, at)
	}
	if resets < 2 {
		t.Errorf("%d reset clocks, want the start and the rewind", resets)
	}
	l := logs.String()
	if !strings.Contains(l, `level=INFO msg="board: level=INFO msg=\"picture not shown\""`) {
		t.Errorf("status line not logged at Info:\n%s", l)
	}
	if !strings.Contains(l, `level=WARN msg="board: something broke"`) || strings.Contains(l, "XGB") {
		t.Errorf("stderr lines: want the unknown one as a warning and no X library noise:\n%s", l)
	}
}
