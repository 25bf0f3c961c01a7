package journal

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/protocol"
)

func TestRecorderAppendsAndFlushes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.jsonl")
	if err := os.WriteFile(path, []byte(`{"time":"2026-01-01T00:00:00Z","kind":"voice","text":"earlier run"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Record(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Event(&event.Event{Time: time.Now(), Kind: event.KindVoice, Text: event.CleanText("buffered", event.MaxText)})
	r.Event(&event.Event{Time: time.Now(), Kind: event.KindAlert, Text: event.CleanText("SYN flood", event.MaxText)})
	// An alert is on disk at once, with everything before it.
	b, _ := os.ReadFile(path)
	if !bytes.Contains(b, []byte("earlier run")) || !bytes.Contains(b, []byte("buffered")) || !bytes.Contains(b, []byte("SYN flood")) {
		t.Fatalf("after an alert the file holds %q", b)
	}
	// Anything else is on disk within FlushEvery, without Close.
	r.Event(&event.Event{Time: time.Now(), Kind: event.KindVoice, Text: event.CleanText("ordinary", event.MaxText)})
	deadline := time.Now().Add(5 * FlushEvery)
	for {
		if b, _ := os.ReadFile(path); bytes.Contains(b, []byte("ordinary")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("an ordinary event was not flushed by the periodic flush")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(path)
	if n := bytes.Count(b, []byte("\n")); n != 4 {
		t.Errorf("journal has %d lines, want 4 (the earlier run's line kept)", n)
	}
}

func TestRecordRefusesNonRegular(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Record(fifo, nil)
		done <- err
	}()
	select {
	case err := <-done:
		// Opening a FIFO for writing with no reader fails or is refused.
		if err == nil {
			t.Error("a FIFO was accepted as a journal")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Record blocked on a FIFO")
	}
}

type sink struct{ evs []event.Event }

func (s *sink) Events(evs []event.Event)                   { s.evs = append(s.evs, evs...) }
func (s *sink) Datagrams(_ []protocol.Packet, done func()) { done() }

func TestReplayerSkipsBadAndOversizedLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.jsonl")
	lines := []string{
		`{"time":"2026-01-01T00:00:00Z","kind":"voice","text":"one"}`,
		`not json`,
		`{"time":"2026-01-01T00:00:01Z","kind":"voice","text":"` + strings.Repeat("x", MaxLine+10) + `"}`,
		`{"time":"2026-01-01T00:00:02Z","kind":"voice","text":"after the long line"}`,
		``,
		`{"time":"2026-01-01T00:00:03Z","kind":"nonsense"}`,
		`{"time":"2026-01-01T00:00:04Z","kind":"voice","text":"last, no newline"}`,
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	var s sink
	p := &Replayer{Path: path, Speed: 0}
	if err := p.Run(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range s.evs {
		got = append(got, e.Text.String())
	}
	if strings.Join(got, "|") != "one|after the long line|last, no newline" || p.Bad != 3 {
		t.Errorf("replayed %q with %d bad lines, want 3 events and 3 bad", got, p.Bad)
	}
}

func TestDecoderNamesTheBadLine(t *testing.T) {
	in := strings.Repeat("y", MaxLine+1) + "\n" + `{"time":"2026-01-01T00:00:00Z","kind":"voice","text":"ok"}` + "\nbad\n"
	d := NewDecoder(strings.NewReader(in))
	var ev event.Event
	if err := d.Next(&ev); err == nil || !strings.Contains(err.Error(), "line 1") || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("first line: %v", err)
	}
	if err := d.Next(&ev); err != nil || ev.Text.String() != "ok" {
		t.Fatalf("second line: %v %+v", err, ev)
	}
	if err := d.Next(&ev); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("third line: %v", err)
	}
}
