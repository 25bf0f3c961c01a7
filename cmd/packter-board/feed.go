package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/ingest"
	"github.com/packter/packter/journal"
	"github.com/packter/packter/protocol"
	"github.com/packter/packter/timeline"
	"github.com/packter/packter/visual"
)

// maxLine bounds one line of the monitor's feed.
const maxLine = 1 << 20

// readFeed feeds the board from the monitor: clock lines and journal lines.
// Bad lines are skipped with a status line (the first ten); it returns at the
// end of the input.
func readFeed(r io.Reader, in *visual.Inbox, log *slog.Logger) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	var ev event.Event
	bad := 0
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var err error
		if visual.IsClockLine(line) {
			var c visual.Clock
			if c, err = visual.DecodeClock(line); err == nil {
				in.SetClock(c, time.Now())
			}
		} else if err = journal.Unmarshal(line, &ev); err == nil {
			in.Push(&ev)
		}
		if err != nil {
			if bad++; bad <= 10 {
				log.Info("skipped a bad line from the monitor", "err", err)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading the monitor's feed: %w", err)
	}
	return nil
}

// serveUDP is the standalone viewer: PACKTER datagrams on addr, decoded as
// the monitor decodes them (package ingest, without agent keys: a standalone
// board shows what reaches it, on loopback unless told otherwise) onto the
// board's own timeline.
func serveUDP(ctx context.Context, l *protocol.Listener, tl *timeline.Timeline, received *atomic.Uint64, log *slog.Logger) error {
	ing, err := ingest.New(ingest.Config{Logger: log})
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	dec := ing.NewDecoder()
	var evs []event.Event
	return l.Serve(ctx, func(b *protocol.Batch) {
		for i := range b.Packets {
			p := &b.Packets[i]
			evs = dec.Decode(p.Data, p.From, p.Time, evs[:0])
			for j := range evs {
				tl.Append(&evs[j])
			}
			received.Add(uint64(len(evs)))
		}
	})
}
