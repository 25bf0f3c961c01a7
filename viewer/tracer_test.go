package viewer

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/intertrack"
	"github.com/packter/packter/monitor"
	"github.com/packter/packter/timeline"
)

// TestTracerRefusesBeforeSending: the console's tracer sends nothing for a
// refused host, and sends the record to an allowed one.
func TestTracerRefusesBeforeSending(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	const hash = "0123456789abcdef0123456789abcdef"
	tl := timeline.New(16)
	mon, err := monitor.New(monitor.Config{Timeline: tl})
	if err != nil {
		t.Fatal(err)
	}
	o := Options{TCPort: 11301}
	cfg := o.consoleConfig(&Session{Monitor: mon, Timeline: tl}, true, nil)
	refused := &event.Event{Kind: event.KindPacket, Desc: event.CleanText(hash+"-203.0.113.9", event.MaxText)}
	if err := cfg.Tracer.Trace(context.Background(), refused); !errors.Is(err, intertrack.ErrTraceClientNotAllowed) {
		t.Fatalf("trace to 203.0.113.9: %v", err)
	}
	if _, next := tl.Bounds(); next != 0 {
		t.Errorf("a refused trace put %d events on the timeline", next)
	}
	allowed := &event.Event{Kind: event.KindPacket, Desc: event.CleanText(hash+"-"+pc.LocalAddr().String(), event.MaxText)}
	if err := cfg.Tracer.Trace(context.Background(), allowed); err != nil {
		t.Fatalf("trace to loopback: %v", err)
	}
	pc.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 2048)
	n, _, err := pc.ReadFrom(buf)
	if err != nil || !strings.Contains(string(buf[:n]), hash) {
		t.Errorf("the loopback traceback client got %q, %v", buf[:n], err)
	}
	if _, next := tl.Bounds(); next != 1 {
		t.Errorf("a sent trace put %d events on the timeline, want 1 (traceback requested)", next)
	}
}
