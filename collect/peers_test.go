package collect

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Tests against real exporters: softflowd (NetFlow v9, IPFIX), pmacct's
// sfprobe (sFlow v5) and Suricata (EVE over a Unix socket). With
// PACKTER_WRITE_SEEDS=1 the datagrams they send are also written into the fuzz
// seed corpora.

func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (scripts/setup.sh test installs it)", name)
	}
	return p
}

// recConn keeps a copy of every datagram read through it.
type recConn struct {
	net.PacketConn
	mu  sync.Mutex
	got [][]byte
}

func (c *recConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, a, err := c.PacketConn.ReadFrom(b)
	if err == nil {
		c.mu.Lock()
		c.got = append(c.got, append([]byte(nil), b[:n]...))
		c.mu.Unlock()
	}
	return n, a, err
}

// SyscallConn lets the collector size the socket's buffer and read its drop
// counter through the wrapper.
func (c *recConn) SyscallConn() (syscall.RawConn, error) {
	return c.PacketConn.(syscall.Conn).SyscallConn()
}

func (c *recConn) datagrams() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]byte(nil), c.got...)
}

// writeSeeds stores datagrams as fuzz seeds when PACKTER_WRITE_SEEDS=1.
func writeSeeds(t *testing.T, fuzz, prefix string, dgs [][]byte) {
	if os.Getenv("PACKTER_WRITE_SEEDS") != "1" {
		return
	}
	dir := filepath.Join("testdata", "fuzz", fuzz)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, d := range dgs {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", d)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d", prefix, i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func listenLoopback(t *testing.T) *recConn {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &recConn{PacketConn: c}
}

// serve runs fn in the background until the test ends, and checks it returned
// without error after cancellation.
func serve(t *testing.T, fn func(ctx context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- fn(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("collector: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("collector did not stop after cancel")
		}
	})
}

func findFlow(flows []Flow, src, dst netip.Addr, proto uint8) *Flow {
	for i := range flows {
		f := &flows[i]
		if f.Src == src && f.Dst == dst && f.Proto == proto {
			return f
		}
	}
	return nil
}

func testSoftflowd(t *testing.T, version string, fuzz string) {
	bin := needTool(t, "softflowd")
	dir := t.TempDir()
	capture := writeCapture(t, dir)
	conn := listenLoopback(t)
	sink := newRecSink()
	var st Stats
	serve(t, func(ctx context.Context) error { return ServeFlows(ctx, conn, sink, nil, Options{Stats: &st}) })

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-d", "-a", "-r", capture, "-n", conn.LocalAddr().String(),
		"-v", version, "-c", "none", "-p", filepath.Join(dir, "softflowd.pid"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("softflowd: %v\n%s", err, out)
	}
	// softflowd exports everything when the capture ends: the five IPv4 flows
	// (two per direction of TCP, UDP, ICMP echo and reply) and the IPv6 one.
	if !sink.wait(20*time.Second, func(s *recSink) bool { return len(s.flows) >= 6 }) {
		_, flows, _ := sink.snapshot()
		t.Fatalf("got %d flows, want 6: %+v; stats %+v; softflowd said:\n%s", len(flows), flows, st.Snapshot(), out)
	}
	_, flows, _ := sink.snapshot()
	writeSeeds(t, fuzz, "softflowd-v"+version, conn.datagrams())
	t.Logf("%d flows in %d datagrams; stats %+v", len(flows), len(conn.datagrams()), st.Snapshot())

	syn := findFlow(flows, capClient, capServer, 6)
	if syn == nil {
		t.Fatalf("no TCP flow client→server in %+v", flows)
	}
	if syn.SPort != 40000 || syn.DPort != 80 {
		t.Errorf("TCP ports %d→%d, want 40000→80", syn.SPort, syn.DPort)
	}
	if syn.TCPFlags&0x02 == 0 || syn.TCPFlags&0x01 == 0 {
		t.Errorf("TCP flags %#x, want SYN and FIN among them", syn.TCPFlags)
	}
	if syn.Packets != 4 {
		t.Errorf("client→server packets %d, want 4", syn.Packets)
	}
	// With -a the flow times are the capture's: within its 110 ms (softflowd
	// keeps seconds in some fields, so allow the second around it).
	if syn.Time.Before(capStart.Add(-time.Second)) || syn.Time.After(capStart.Add(2*time.Second)) {
		t.Errorf("flow time %v, want near capture start %v", syn.Time, capStart)
	}
	if f := findFlow(flows, capClient, capDNS, 17); f == nil || f.SPort != 5353 || f.DPort != 53 || f.Packets != 1 {
		t.Errorf("UDP flow: %+v", f)
	}
	if f := findFlow(flows, capClient, capPinged, 1); f == nil || f.ICMPType != 8 || f.ICMPCode != 0 {
		t.Errorf("ICMP echo flow: %+v", f)
	}
	if f := findFlow(flows, capPinged, capClient, 1); f == nil || f.ICMPType != 0 {
		t.Errorf("ICMP echo reply flow: %+v", f)
	}
	if f := findFlow(flows, capV6a, capV6b, 17); f == nil || f.SPort != 123 || f.DPort != 123 {
		t.Errorf("IPv6 UDP flow: %+v", f)
	}
	if s := st.Snapshot(); s.Malformed != 0 || s.Lost != 0 || s.Templates == 0 {
		t.Errorf("stats %+v: want no malformed or lost datagrams, some templates", s)
	}
}

func TestSoftflowdNetFlowV9(t *testing.T) { testSoftflowd(t, "9", "FuzzNetFlow") }
func TestSoftflowdIPFIX(t *testing.T)     { testSoftflowd(t, "10", "FuzzIPFIX") }

func TestPmacctSFlow(t *testing.T) {
	bin := needTool(t, "pmacctd")
	dir := t.TempDir()
	capture := writeCapture(t, dir)
	conn := listenLoopback(t)
	sink := newRecSink()
	var st Stats
	serve(t, func(ctx context.Context) error { return ServeSFlow(ctx, conn, sink, nil, Options{Stats: &st}) })

	conf := filepath.Join(dir, "pmacctd.conf")
	body := strings.Join([]string{
		"daemonize: false",
		"pidfile: " + filepath.Join(dir, "pmacctd.pid"),
		"pcap_savefile: " + capture,
		"plugins: sfprobe[sf]",
		"sfprobe_receiver[sf]: " + conn.LocalAddr().String(),
		"sfprobe_agentip[sf]: 127.0.0.1",
		"sampling_rate[sf]: 1",
		"",
	}, "\n")
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-f", conf)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) } // it ignores SIGTERM
	cmd.WaitDelay = 5 * time.Second
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	want := len(capPackets(t))
	ok := sink.wait(30*time.Second, func(s *recSink) bool { return len(s.frames) >= want })
	cancel()
	_ = cmd.Wait()
	frames, _, _ := sink.snapshot()
	if !ok {
		t.Fatalf("got %d sampled frames, want %d; stats %+v; pmacctd said:\n%s", len(frames), want, st.Snapshot(), out.String())
	}
	writeSeeds(t, "FuzzSFlow", "pmacct-sfprobe", conn.datagrams())
	t.Logf("%d frames in %d datagrams; stats %+v", len(frames), len(conn.datagrams()), st.Snapshot())
	// sampling_rate 1: every packet of the capture comes back, as its Ethernet
	// frame's first bytes.
	pkts := capPackets(t)
	for i, p := range pkts {
		found := false
		for _, f := range frames {
			n := min(len(f.data), len(p))
			if f.link == LinkEthernet && n >= 34 && string(f.data[:n]) == string(p[:n]) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("packet %d of the capture did not come back as a sampled header", i)
		}
	}
	if s := st.Snapshot(); s.Malformed != 0 {
		t.Errorf("stats %+v: want no malformed datagrams", s)
	}
}

// TestSuricataEVE runs Suricata on the capture with EVE output to each kind of
// input RunEVE takes.
func TestSuricataEVE(t *testing.T) {
	for _, c := range []struct{ filetype, prefix, name string }{
		{"unix_dgram", "unixgram:", "eve.sock"},
		{"unix_stream", "unix:", "eve.sock"},
		{"regular", "", "eve.json"},
	} {
		t.Run(c.filetype, func(t *testing.T) { testSuricata(t, c.filetype, c.prefix, c.name) })
	}
}

func testSuricata(t *testing.T, filetype, prefix, name string) {
	bin := needTool(t, "suricata")
	dir := t.TempDir()
	capture := writeCapture(t, dir)
	sock := filepath.Join(dir, name)
	sink := newRecSink()
	var st Stats
	// The socket is bound before Suricata starts: it connects at start-up.
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		errc <- ServeEVE(ctx, prefix+sock, 2, sink, nil, Options{Stats: &st, Ready: func() { close(ready) }})
	}()
	defer func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("eve: %v", err)
		}
	}()
	select {
	case <-ready:
	case err := <-errc:
		errc <- err // for the deferred check
		t.Fatalf("eve stopped before it was ready: %v", err)
	}
	rules := filepath.Join(dir, "local.rules")
	if err := os.WriteFile(rules, []byte(
		`alert tcp any any -> any 80 (msg:"PACKTER test SYN to web"; flags:S; sid:1000001; rev:3; priority:1;)`+"\n"+
			`alert icmp any any -> any any (msg:"PACKTER test echo"; itype:8; sid:1000002; rev:1; priority:3;)`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "suricata.yaml")
	if err := os.WriteFile(conf, []byte(`%YAML 1.1
---
default-log-dir: `+dir+`
outputs:
  - eve-log:
      enabled: yes
      filetype: `+filetype+`
      filename: `+sock+`
      types:
        - alert
logging:
  default-log-level: warning
  outputs:
    - console:
        enabled: yes
`), 0o644); err != nil {
		t.Fatal(err)
	}
	rctx, rcancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer rcancel()
	cmd := exec.CommandContext(rctx, bin, "-c", conf, "-r", capture, "-S", rules, "-l", dir, "-k", "none", "--runmode", "single")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("suricata: %v\n%s", err, out)
	}
	if !sink.wait(20*time.Second, func(s *recSink) bool { return len(s.flows) >= 2 }) {
		_, flows, _ := sink.snapshot()
		t.Fatalf("got %d alert records, want 2: %+v; stats %+v; suricata said:\n%s", len(flows), flows, st.Snapshot(), out)
	}
	_, flows, alerts := sink.snapshot()
	if filetype == "regular" {
		if b, err := os.ReadFile(sock); err == nil {
			var lines [][]byte
			for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
				lines = append(lines, l)
			}
			writeSeeds(t, "FuzzEVE", "suricata", lines)
		}
	}
	var syn, echo *Flow
	for i := range flows {
		switch {
		case strings.Contains(flows[i].Desc, "sid:1000001"):
			syn = &flows[i]
		case strings.Contains(flows[i].Desc, "sid:1000002"):
			echo = &flows[i]
		}
	}
	if syn == nil || echo == nil {
		t.Fatalf("alerts missing: %+v", flows)
	}
	if want := "Incident:PACKTER test SYN to web sid:1000001 gen:1 rev:3"; syn.Desc != want {
		t.Errorf("desc %q, want %q", syn.Desc, want)
	}
	if syn.Src != capClient || syn.Dst != capServer || syn.SPort != 40000 || syn.DPort != 80 || syn.Proto != 6 {
		t.Errorf("SYN alert record %+v", syn)
	}
	if echo.Proto != 1 || echo.ICMPType != 8 || echo.Dst != capPinged {
		t.Errorf("echo alert record %+v", echo)
	}
	if !syn.Time.Equal(capStart) {
		t.Errorf("alert time %v, want the packet's %v", syn.Time, capStart)
	}
	// Severity 1 (priority 1) is spoken with minSeverity 2; severity 3 is not.
	if len(alerts) != 1 || !strings.Contains(alerts[0], "SYN to web") {
		t.Errorf("spoken alerts %q, want only the severity 1 one", alerts)
	}
}
