package collect

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuf is a bytes.Buffer safe for the collector's goroutine and the test.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestMalformedLoggedAtBoundedRate: a burst of garbage is counted in full but
// logged once per period, with the sender's address and how many were quiet.
func TestMalformedLoggedAtBoundedRate(t *testing.T) {
	var out syncBuf
	log := slog.New(slog.NewTextHandler(&out, nil))
	conn := listenLoopback(t)
	sink := newRecSink()
	var st Stats
	var mu sync.Mutex
	clock := t0
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	serve(t, func(ctx context.Context) error {
		return ServeFlows(ctx, conn, sink, log, Options{Stats: &st, Now: now, LogEvery: time.Minute})
	})
	c, err := net.Dial("udp", conn.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	good := v9(1000, uint32(t0.Unix()), 1, set(0, templateRec(256, tmpl4)), dataSet(256, r4(1)))
	for range 5 {
		c.Write([]byte{0, 9, 1}) // truncated v9 header
	}
	c.Write(good)
	if !sink.wait(10*time.Second, func(s *recSink) bool { return len(s.flows) == 1 }) {
		t.Fatalf("good datagram after garbage not decoded; stats %+v", st.Snapshot())
	}
	mu.Lock()
	clock = clock.Add(2 * time.Minute)
	mu.Unlock()
	c.Write([]byte{0, 9, 2})
	good2 := v9(1000, uint32(t0.Unix()), 1, dataSet(256, r4(2)))
	c.Write(good2)
	if !sink.wait(10*time.Second, func(s *recSink) bool { return len(s.flows) == 2 }) {
		t.Fatalf("second good datagram not decoded")
	}
	if s := st.Snapshot(); s.Malformed != 6 {
		t.Errorf("malformed %d, want 6", s.Malformed)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want 2 (one per minute):\n%s", len(lines), out.String())
	}
	from := c.LocalAddr().String()
	if !strings.Contains(lines[0], "from="+from) || !strings.Contains(lines[0], "suppressed=0") ||
		!strings.Contains(lines[1], "suppressed=4") {
		t.Errorf("log lines lack the sender %s or the suppressed count:\n%s", from, out.String())
	}
}
