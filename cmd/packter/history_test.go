package main

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/packter/packter/bus"
	"github.com/packter/packter/protocol"
)

// TestRewindIntoStreamInTerminal: as an operator lives it. Records were
// published to `packter hub` before the monitor started; in the monitor's
// accessible console, going 5 minutes back loads them from the stream, the
// console says how many and from when, and a packet of that history can be
// selected and read.
func TestRewindIntoStreamInTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a hub and the monitor in tmux")
	}
	url := startCommand(t, `JetStream at (nats://\S+)`, "hub", "--listen", "127.0.0.1:0", "--data", t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	nc, err := bus.Connect(ctx, bus.ClientOptions{URLs: url})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	p, err := bus.NewPublisher(nc, bus.PublisherConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(time.Second)
	publish := func(prefix string, n int) {
		for i := range n {
			r := protocol.Record{Src: protocol.AddrFrom(netip.MustParseAddr("10.1.0.7")), Dst: protocol.AddrFrom(netip.MustParseAddr("192.0.2.80")),
				SPort: protocol.PortFrom(uint32(40000 + i)), DPort: protocol.PortFrom(443), Flag: 1, Desc: []byte(fmt.Sprintf("%s-%d", prefix, i))}
			if err := p.Send(bus.Subject("lab", "edge-1"), protocol.AppendPacket(nil, r), ""); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	publish("history", 200)

	s := newPtySession(t, 200, 50)
	dir := t.TempDir()
	errLog := filepath.Join(dir, "stderr")
	s.tmux("send-keys", fmt.Sprintf("%s monitor --accessible --no-audio --voice none --listen 127.0.0.1:0 --nats %s 2>%s",
		packterBin, url, errLog), "Enter")
	waitFile(t, errLog, "the listening line", listeningLine)
	s.waitPane("the console", func(p string) bool { return strings.Contains(p, "Press ? for the keys") })
	publish("live", 5)
	s.waitPane("the live records", func(p string) bool { return strings.Contains(p, "Summary: 5 packets") })

	s.keys("g", "5m", "Enter")
	s.waitPane("the load's outcome", func(p string) bool { return strings.Contains(p, "From the stream: ") })
	got := regexp.MustCompile(`From the stream: (\d+) events, (\S+) to (\S+); at (\S+), (\d+) events behind live`).FindStringSubmatch(s.pane())
	if got == nil || got[1] != "200" || got[4] != got[2] || got[5] != "204" {
		t.Fatalf("load announced as %q, want 200 events, at the first, 204 behind live; pane:\n%s", got, s.pane())
	}
	// At the history's first packet: select it and read it.
	s.keys("1", "Enter")
	s.waitPane("the history's first packet read", func(p string) bool { return strings.Contains(p, "history-0") })
	s.keys("L")
	s.waitPane("live again", func(p string) bool { return strings.Contains(p, "Live, back from the stream's history") })
	s.keys("q")
	waitFile(t, errLog, "the closing line", statsLine)
	if b, _ := os.ReadFile(errLog); strings.Contains(string(b), "could not load") {
		t.Errorf("the log holds a load failure:\n%s", b)
	}
}
