package agent

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/packter/packter/bus"
	"github.com/packter/packter/bus/hub"
	"github.com/packter/packter/event"
	"github.com/packter/packter/protocol"
	"github.com/packter/packter/samples"
)

// natsHub starts an embedded server with the stream; both stop at the end.
func natsHub(t *testing.T) string {
	t.Helper()
	h, err := hub.Start(hub.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), Name: "agent-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Shutdown)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nc, err := bus.Connect(ctx, bus.ClientOptions{URLs: h.ClientURL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if _, err := bus.EnsureStream(ctx, nc, bus.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	return h.ClientURL()
}

// stored parses every datagram the stream holds for subject filter.
type stored struct {
	records int
	agents  map[string]int
}

func (s *stored) Datagrams(pkts []protocol.Packet, done func()) {
	for _, p := range pkts {
		var d protocol.Datagram
		if protocol.Parse(p.Data, &d) == nil {
			s.records += len(d.Records)
			s.agents[string(d.Agent.ID)]++
		}
	}
	done()
}

func (s *stored) Events([]event.Event) {}

// TestPublishesToNATS: the agent reads the sample with -A/-K and --nats
// alongside a UDP viewer; the stream holds every record sent, in signed bulk
// messages on the agent's subject, and the viewer still gets them.
func TestPublishesToNATS(t *testing.T) {
	url := natsHub(t)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	start := time.Now().Add(-time.Second)
	cfg := Config{
		Input:  InputConfig{Reader: bytes.NewReader(samples.Capture()), Speed: 0},
		Output: OutputConfig{Viewers: []string{pc.LocalAddr().String()}},
		Auth:   AuthConfig{AgentID: "edge-1", Key: []byte("k")},
		NATS:   NATSConfig{Client: bus.ClientOptions{URLs: url}, Site: "tokyo"},
	}
	st, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st.Sent == 0 {
		t.Fatal("nothing sent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nc, err := bus.Connect(ctx, bus.ClientOptions{URLs: url})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	h, err := bus.NewHistory(nc, bus.HistoryConfig{Filters: []string{"packter.tokyo.edge-1"}, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	got := &stored{agents: map[string]int{}}
	if err := h.Run(ctx, got); err != nil {
		t.Fatal(err)
	}
	if uint64(got.records) != st.Sent {
		t.Errorf("stream holds %d records, the agent sent %d", got.records, st.Sent)
	}
	if len(got.agents) != 1 || got.agents["edge-1"] == 0 {
		t.Errorf("datagrams by agent line: %v, want all signed by edge-1", got.agents)
	}
	if msgs := got.agents["edge-1"]; uint64(msgs)*10 > st.Sent {
		t.Errorf("%d messages for %d records: not bulk", msgs, st.Sent)
	}
	buf := make([]byte, 2048)
	pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := pc.ReadFrom(buf)
	if err != nil || !strings.HasPrefix(string(buf[:n]), "PACKTERAGENT edge-1,") {
		t.Errorf("the UDP viewer got %q, %v", buf[:n], err)
	}
}

func TestNATSUsage(t *testing.T) {
	for name, c := range map[string]Config{
		"site without nats":     {Output: OutputConfig{Viewers: []string{"127.0.0.1"}}, NATS: NATSConfig{Site: "x"}},
		"digests nats: alone":   {Output: OutputConfig{Viewers: []string{"127.0.0.1"}}, Trace: TraceConfig{Digests: "nats:", AS: 1}},
		"digests nats: no as":   {NATS: NATSConfig{Client: bus.ClientOptions{URLs: "nats://127.0.0.1:1"}}, Trace: TraceConfig{Digests: "nats:"}},
		"user without password": {NATS: NATSConfig{Client: bus.ClientOptions{URLs: "nats://127.0.0.1:1", User: "u"}}},
	} {
		err := c.Validate()
		var ue *UsageError
		if err == nil || !errors.As(err, &ue) {
			t.Errorf("%s: %v, want a usage error", name, err)
		}
	}
	ok := Config{NATS: NATSConfig{Client: bus.ClientOptions{URLs: "nats://127.0.0.1:1"}}}
	if err := ok.Validate(); err != nil {
		t.Errorf("--nats without -v: %v", err)
	}
}
