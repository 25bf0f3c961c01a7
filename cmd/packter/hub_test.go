package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/packter/packter/bus"
	"github.com/packter/packter/bus/hub"
	"github.com/packter/packter/event"
	"github.com/packter/packter/protocol"
)

// startCommand runs `packter args…` in process until the test ends and
// returns the first submatch of re in its stderr (an address it chose).
func startCommand(t *testing.T, re string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, args, io.Discard, pw)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if c := <-code; c != 0 {
			t.Errorf("packter %s: exit %d", args[0], c)
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		rx := regexp.MustCompile(re)
		for sc.Scan() {
			if m := rx.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				break
			}
		}
		io.Copy(io.Discard, pr) // keep the command's stderr flowing
	}()
	select {
	case s := <-found:
		return s
	case c := <-code:
		code <- c
		t.Fatalf("packter %s ended (exit %d) before saying %s", args[0], c, re)
	case <-time.After(20 * time.Second):
		t.Fatalf("packter %s did not say %s", args[0], re)
	}
	return ""
}

// firstDatagram is an Intake that keeps the first datagram handed to it.
type firstDatagram chan []byte

func (f firstDatagram) Datagrams(pkts []protocol.Packet, done func()) {
	for _, p := range pkts {
		select {
		case f <- append([]byte(nil), p.Data...):
		default:
		}
	}
	done()
}

func (f firstDatagram) Events([]event.Event) {}

// TestHubAndRelay: `packter hub` on a port of its choosing makes the stream;
// `packter relay` carries a PACKTER agent's datagram onto it unchanged.
func TestHubAndRelay(t *testing.T) {
	url := startCommand(t, `JetStream at (nats://\S+)`, "hub", "--listen", "127.0.0.1:0", "--data", t.TempDir())
	udp := startCommand(t, `listening on UDP (\S+),`, "relay", "--listen", "127.0.0.1:0", "--nats", url, "--site", "lab")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	nc, err := bus.Connect(ctx, bus.ClientOptions{URLs: url})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	src, err := bus.NewSource(nc, bus.SourceConfig{Filters: []string{"packter.lab.>"}, Start: time.Now().Add(-time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	got := make(firstDatagram, 1)
	go src.Run(ctx, got)

	want := "PACKTER\n10.0.0.1,192.0.2.9,40000,80,1,from a PACKTER 2.5 agent\n"
	c, err := net.Dial("udp", udp)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(want)); err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-got:
		if string(d) != want {
			t.Errorf("relayed %q, want %q", d, want)
		}
	case <-ctx.Done():
		t.Fatal("nothing relayed")
	}
}

// TestHubClusterChosenPorts: `packter hub` nodes on ports of their
// choosing say where they listen as soon as they do, before the stream
// (which needs the others) is made: that is how the next node learns where
// to route. Three of them, routed through a seed, then make the stream with
// three replicas.
func TestHubClusterChosenPorts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	seed, err := hub.Start(hub.Config{Listen: "127.0.0.1:0", ClusterListen: "127.0.0.1:0", Name: "seed", NoJetStream: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(seed.Shutdown)
	var clients []string
	for i := range 3 {
		// Each node is started only once the one before said where it
		// listens: the first says so while it is still alone.
		u := startCommand(t, `listening for clients at (nats://\S+), for other nodes at nats-route://127\.0\.0\.1:\d+$`, "hub",
			"--name", fmt.Sprintf("h%d", i), "--listen", "127.0.0.1:0", "--cluster", "127.0.0.1:0",
			"--routes", seed.ClusterURL(), "--replicas", "3", "--data", t.TempDir())
		clients = append(clients, u)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	nc, err := bus.Connect(ctx, bus.ClientOptions{URLs: strings.Join(clients, ",")})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	for {
		actx, acancel := context.WithTimeout(ctx, 2*time.Second)
		s, err := js.Stream(actx, bus.StreamName)
		acancel()
		if err == nil && s.CachedInfo().Config.Replicas == 3 && s.CachedInfo().Cluster != nil && len(s.CachedInfo().Cluster.Replicas) == 2 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no stream with 3 replicas: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func TestBusCommandsUsage(t *testing.T) {
	for _, args := range [][]string{
		{"relay", "--site", "x"},                            // no --nats
		{"relay", "--nats", "nats://x", "--nats-user", "u"}, // user without password
		{"hub", "--replicas", "9"},
		{"hub", "--user", "u"},
		{"hub", "--stream-only"}, // no --nats
		{"agent", "-r", "x.pcap", "--site", "tokyo", "-v", "127.0.0.1"},
		{"monitor", "--nats-filter", "other.>"},
	} {
		var stderr strings.Builder
		if code := run(context.Background(), args, io.Discard, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, stderr.String())
		}
	}
}
