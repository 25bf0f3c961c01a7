package agent

// Nothing is lost silently: unpaced real exporters through the agent, and a
// capture whose timestamps jump by a century.

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/packter/packter/capture"
	"github.com/packter/packter/internal/syncbuf"
)

// recordCounter counts the records -n prints (one "PACKTER\n" each: the
// agent flushes every datagram when its input is live).
type recordCounter struct {
	mu     sync.Mutex
	n      int             // records of the exporter's flows (from 10.1.1.1)
	ports  map[string]bool // their source ports: each flow has its own
	marked bool            // the test's marker record (from 10.9.9.9) came
	kick   chan struct{}
}

func (c *recordCounter) Write(p []byte) (int, error) {
	c.mu.Lock()
	for rec := range strings.SplitSeq(string(p), "PACKTER\n") {
		switch f := strings.Split(rec, ","); {
		case len(f) > 3 && f[0] == "10.1.1.1":
			c.n++
			c.ports[f[2]] = true
		case len(f) > 3 && f[0] == "10.9.9.9":
			c.marked = true
		}
	}
	c.mu.Unlock()
	select {
	case c.kick <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (c *recordCounter) count() (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n, c.marked
}

// TestCaptureGapCapped: two gaps of 63 years between three packets, read at
// capture speed, are each cut to MaxGap, and said once.
func TestCaptureGapCapped(t *testing.T) {
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	f := ether(ipv4Pkt(17, "10.0.0.1", "10.0.0.2", 1, udpHdr(5353, 53, "q")))
	start := time.Unix(1, 0)
	for _, ts := range []time.Time{start, start.AddDate(63, 0, 0), start.AddDate(126, 0, 0)} {
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(f), Length: len(f)}, f); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	var logs syncbuf.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second) // hang guard
	defer cancel()
	st, err := Run(ctx, Config{
		Input:  InputConfig{Reader: &buf, Speed: 1, MaxGap: 10 * time.Millisecond},
		Output: OutputConfig{PrintOnly: true, Stdout: &out},
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatalf("Run: %v (the agent waited through the gap)", err)
	}
	if st.Records != 3 || strings.Count(out.String(), "PACKTER\n") != 3 {
		t.Errorf("%d records, printed:\n%s", st.Records, out.String())
	}
	if n := strings.Count(logs.String(), "long gap"); n != 1 {
		t.Errorf("the gap was mentioned %d times, want once:\n%s", n, logs.String())
	}
}

// synCapture is a capture of n TCP SYNs, each its own flow (source ports
// 10000 up), 10 µs apart.
func synCapture(t *testing.T, n int) []byte {
	frames := make([][]byte, n)
	for i := range frames {
		frames[i] = ether(ipv4Pkt(6, "10.1.1.1", "10.2.2.2", uint16(i), tcpHdr(uint16(10000+i), 80, capture.TCPSyn)))
	}
	return pcapOf(t, frames, 10*time.Microsecond)
}

// unpacedFlows is how many flows (or sampled packets) the exporters send at
// once: several hundred datagrams, far over a default socket buffer.
const unpacedFlows = 10000

// missing lists the source ports of flows not printed.
func (c *recordCounter) missing() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	var m []int
	for i := range unpacedFlows {
		if !c.ports[strconv.Itoa(10000+i)] {
			m = append(m, 10000+i)
		}
	}
	return m
}

// runExporter starts the agent with the collector flag on a free loopback
// port, runs the exporter (given the address) and checks every record is
// printed, or that the shortfall is counted as losses by cause. tail is how
// many of the last flows the exporter may keep to itself when it exits.
func runExporter(t *testing.T, flag string, tail int, exporter func(t *testing.T, addr string), marker []byte) {
	counter := &recordCounter{kick: make(chan struct{}, 1), ports: map[string]bool{}}
	bound := make(chan string, 1)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	type result struct {
		st  Stats
		err error
	}
	done := make(chan result, 1)
	go func() {
		st, err := Run(ctx, Config{
			Input:  InputConfig{Collectors: map[string]string{flag: "127.0.0.1:0"}, Listening: func(_ string, a net.Addr) { bound <- a.String() }},
			Output: OutputConfig{PrintOnly: true, Stdout: counter},
		})
		done <- result{st, err}
	}()
	var addr string
	select {
	case addr = <-bound:
	case r := <-done:
		t.Fatalf("Run: %v", r.err)
	}
	exporter(t, addr)
	// The exporter has exited. One more datagram, from the test: once its
	// record is out, everything sent before it went through the socket and
	// the queue in order (printed, or counted as lost).
	if err := sendUDP(addr, marker)(); err != nil {
		t.Fatal(err)
	}
	deadline := time.NewTimer(30 * time.Second) // hang guard
	defer deadline.Stop()
	for _, marked := counter.count(); !marked; _, marked = counter.count() {
		select {
		case <-counter.kick:
		case <-deadline.C:
			t.Errorf("the marker sent after the exporter's datagrams never came out")
			marked = true
		}
	}
	cancel()
	r := <-done
	if r.err != nil {
		t.Fatalf("Run: %v", r.err)
	}
	got, _ := counter.count()
	lost := FormatLosses(r.st.Losses())
	t.Logf("%s: %d of %d records printed (%.1f %%); lost %s; inputs %+v", flag, got, unpacedFlows, 100*float64(got)/unpacedFlows, lost, r.st.Inputs)
	missing := counter.missing()
	switch {
	case got > unpacedFlows:
		t.Errorf("%d records, more than the %d flows sent", got, unpacedFlows)
	case len(missing) > 0 && r.st.TotalLost() == 0:
		if len(missing) <= tail && missing[0] >= 10000+unpacedFlows-tail {
			t.Logf("the exporter kept its last %d flows (source ports %v): never sent", len(missing), missing)
			return
		}
		t.Errorf("%d of %d records printed and no loss counted: lost silently (missing source ports %v)", got, unpacedFlows, missing[:min(len(missing), 20)])
	}
}

func softflowd(version string) func(t *testing.T, addr string) {
	return func(t *testing.T, addr string) {
		bin, err := exec.LookPath("softflowd")
		if err != nil {
			t.Skip("softflowd is not installed (scripts/setup.sh test installs it)")
		}
		dir := t.TempDir()
		pcap := filepath.Join(dir, "syns.pcap")
		if err := os.WriteFile(pcap, synCapture(t, unpacedFlows), 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, bin, "-d", "-a", "-r", pcap, "-n", addr, "-v", version, "-c", "none",
			"-m", "65536", "-p", filepath.Join(dir, "softflowd.pid")).CombinedOutput()
		if err != nil {
			t.Fatalf("softflowd: %v\n%s", err, out)
		}
	}
}

func pmacctSFlow(t *testing.T, addr string) {
	bin, err := exec.LookPath("pmacctd")
	if err != nil {
		t.Skip("pmacctd is not installed (scripts/setup.sh test installs it)")
	}
	dir := t.TempDir()
	pcap := filepath.Join(dir, "syns.pcap")
	if err := os.WriteFile(pcap, synCapture(t, unpacedFlows), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "pmacctd.conf")
	body := strings.Join([]string{
		"daemonize: false",
		"pidfile: " + filepath.Join(dir, "pmacctd.pid"),
		"pcap_savefile: " + pcap,
		"plugins: sfprobe[sf]",
		"sfprobe_receiver[sf]: " + addr,
		"sfprobe_agentip[sf]: 127.0.0.1",
		"sampling_rate[sf]: 1",
		"",
	}, "\n")
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	// pmacctd exits once it has read the file.
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-f", conf)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) } // it ignores SIGTERM
	cmd.WaitDelay = 5 * time.Second
	// Its exit status is sometimes 1 when its plugin ends first ("connection
	// lost to 'sf-sfprobe'"): what it sent is still checked.
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Logf("pmacctd: %v\n%s", err, out)
	}
}

// sfprobeTail: pmacct's sfprobe exits without sending the samples of its
// last, unfilled datagram (at most 9 of these 64-byte headers fit one).
const sfprobeTail = 9

// TestUnpacedExporters: real exporters reading a capture of 10,000 flows send
// as fast as they can. Every record must be printed, or what is missing
// counted by cause (the socket's kernel drops, the queue, ...).
func TestUnpacedExporters(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real exporters over 10,000 flows")
	}
	// NetFlow v5 serves as the marker for the flow collector (which decodes
	// v5, v9 and IPFIX alike).
	flowMarker := netflowV5(time.Now())
	copy(flowMarker[24:], []byte{10, 9, 9, 9})
	sflowMarker := sflowV5(ether(ipv4Pkt(17, "10.9.9.9", "10.2.2.2", 1, udpHdr(1, 2, "marker"))))
	t.Run("softflowd NetFlow v5", func(t *testing.T) { runExporter(t, "netflow", 0, softflowd("5"), flowMarker) })
	t.Run("softflowd NetFlow v9", func(t *testing.T) { runExporter(t, "netflow", 0, softflowd("9"), flowMarker) })
	t.Run("softflowd IPFIX", func(t *testing.T) { runExporter(t, "ipfix", 0, softflowd("10"), flowMarker) })
	t.Run("pmacct sFlow", func(t *testing.T) { runExporter(t, "sflow", sfprobeTail, pmacctSFlow, sflowMarker) })
}
