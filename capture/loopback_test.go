package capture

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTcpdumpLoopbackCapture records real traffic with tcpdump (a capture we
// did not write: curl fetching from Python's http.server on loopback) and
// checks our decoding against tshark's on that file.
func TestTcpdumpLoopbackCapture(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("capturing on lo with tcpdump needs root")
	}
	for _, tool := range []string{"tcpdump", "tshark", "python3", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "index.html"), []byte(strings.Repeat("hello packter\n", 500)), 0o644)
	srv := exec.Command("python3", "-m", "http.server", "--bind", "127.0.0.1", "-d", dir, strconv.Itoa(port))
	srvErr, _ := srv.StderrPipe()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	go bufio.NewReader(srvErr).ReadString(0)

	path := filepath.Join(dir, "lo.pcap")
	const want = 150
	dump := exec.Command("tcpdump", "-i", "lo", "-U", "-c", strconv.Itoa(want), "-w", path, "tcp port "+strconv.Itoa(port))
	stderr, _ := dump.StderrPipe()
	if err := dump.Start(); err != nil {
		t.Fatal(err)
	}
	defer dump.Process.Kill()
	// tcpdump says "listening on lo" once it captures.
	br := bufio.NewReader(stderr)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("tcpdump did not start: %v", err)
		}
		if strings.Contains(line, "listening on") {
			break
		}
	}
	waited := make(chan error, 1)
	go func() { br.ReadString(0); waited <- dump.Wait() }()
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/index.html"
	deadline := time.Now().Add(30 * time.Second)
	for {
		// Each fetch is about 10 packets; fetch until tcpdump has its count.
		exec.Command("curl", "-s", "-o", os.DevNull, "--retry", "5", "--retry-connrefused", url).Run()
		select {
		case err := <-waited:
			if err != nil {
				t.Fatalf("tcpdump: %v", err)
			}
			compareTshark(t, path)
			return
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("tcpdump did not record enough packets")
		}
	}
}
