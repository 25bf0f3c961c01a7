package agent

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/packter/packter/samples"
)

// vethPair creates a network namespace and a veth pair: one end (returned
// first) stays here for capturing, the other sits in the namespace, where
// tcpreplay sends from. Everything is removed at the end of the test.
func vethPair(t *testing.T) (here, ns, there string) {
	t.Helper()
	if testing.Short() {
		t.Skip("network namespace lab: skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("live capture needs root (creates a network namespace and a veth pair)")
	}
	for _, tool := range []string{"ip", "tcpreplay", "tcpdump"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	id := fmt.Sprintf("%d%d", os.Getpid()%10000, time.Now().UnixNano()%1000)
	here, there, ns = "pka"+id, "pkb"+id, "packter-test-"+id
	run := func(args ...string) {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v\n%s", args, err, out)
		}
	}
	run("netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	run("link", "add", here, "type", "veth", "peer", "name", there)
	t.Cleanup(func() { exec.Command("ip", "link", "del", here).Run() })
	run("link", "set", there, "netns", ns)
	run("link", "set", here, "up")
	run("netns", "exec", ns, "ip", "link", "set", there, "up")
	return here, ns, there
}

func replayFile(t *testing.T, n int) string {
	var frames [][]byte
	for i := 0; i < n; i++ {
		i4 := ip4(layers.IPProtocolUDP)
		u := &layers.UDP{SrcPort: layers.UDPPort(20000 + i), DstPort: 9999}
		u.SetNetworkLayerForChecksum(i4)
		frames = append(frames, ser(t, eth(layers.EthernetTypeIPv4), i4, u, gopacket.Payload("x")))
		if i%10 == 0 { // noise the filter must drop
			t2 := ip4(layers.IPProtocolTCP)
			tc := &layers.TCP{SrcPort: 1, DstPort: 7777, ACK: true}
			tc.SetNetworkLayerForChecksum(t2)
			frames = append(frames, ser(t, eth(layers.EthernetTypeIPv4), t2, tc))
		}
	}
	path := filepath.Join(t.TempDir(), "replay.pcap")
	if err := os.WriteFile(path, pcapOf(t, frames, time.Microsecond), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLiveCaptureVeth captures for real on a veth pair while tcpreplay sends a
// capture through it, with a BPF filter from the trailing words, and checks
// every record arrives at a viewer on loopback.
func TestLiveCaptureVeth(t *testing.T) {
	here, ns, there := vethPair(t)
	const n = 200
	file := replayFile(t, n)
	viewer, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer viewer.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	done := make(chan Stats, 1)
	go func() {
		st, err := Run(ctx, Config{Input: InputConfig{Iface: here, Filter: "udp port 9999", Ready: func() { close(ready) }}, Output: OutputConfig{Viewers: []string{viewer.LocalAddr().String()}}})
		if err != nil {
			t.Errorf("Run: %v", err)
		}
		done <- st
	}()
	select {
	case <-ready:
	case st := <-done:
		t.Fatalf("agent ended early: %+v", st)
	}
	out, err := exec.Command("ip", "netns", "exec", ns, "tcpreplay", "-q", "-i", there, "--topspeed", file).CombinedOutput()
	if err != nil {
		t.Fatalf("tcpreplay: %v\n%s", err, out)
	}
	seen := map[string]bool{}
	buf := make([]byte, 2048)
	for len(seen) < n {
		viewer.SetReadDeadline(time.Now().Add(10 * time.Second))
		k, _, err := viewer.ReadFrom(buf)
		if err != nil {
			t.Fatalf("after %d of %d records: %v", len(seen), n, err)
		}
		s := string(buf[:k])
		if !strings.HasPrefix(s, "PACKTER\n10.0.0.1,192.0.2.9,") || !strings.Contains(s, ",9999,3,UDP src:10.0.0.1(") {
			t.Fatalf("unexpected datagram %q", s)
		}
		seen[s] = true
	}
	cancel()
	st := <-done
	if st.Records != n {
		t.Fatalf("records %d, want %d (the filter should drop the TCP noise): %+v", st.Records, n, st)
	}
}

func TestLiveErrors(t *testing.T) {
	_, err := Run(context.Background(), Config{Input: InputConfig{Iface: "nonexistent0"}, Output: OutputConfig{PrintOnly: true}})
	if err == nil || !strings.Contains(err.Error(), `there is no network interface named "nonexistent0"`) {
		t.Fatalf("missing interface: %v", err)
	}
}

// TestLiveMatchesFile replays the bundled sample (802.1Q and QinQ tags, IPv6
// extension headers, fragments) through a veth pair and checks that live
// capture yields exactly the records reading the file does: the kernel strips
// VLAN tags from AF_PACKET frames, and they must be put back.
func TestLiveMatchesFile(t *testing.T) {
	here, ns, there := vethPair(t)
	path := filepath.Join(t.TempDir(), "sample.pcapng")
	if err := os.WriteFile(path, samples.Capture(), 0o644); err != nil {
		t.Fatal(err)
	}
	want, _ := printRun(t, Config{}, samples.Capture())
	wantLines := recordLines(want)

	viewer, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer viewer.Close()
	viewer.(*net.UDPConn).SetReadBuffer(16 << 20)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	done := make(chan Stats, 1)
	go func() {
		// Only the replayed traffic: the veth's own IPv6 chatter (router
		// solicitations, MLD, duplicate address detection) comes from link-local
		// or unspecified addresses.
		st, err := Run(ctx, Config{Input: InputConfig{Iface: here, Filter: "not (src net fe80::/10 or src host ::)", Ready: func() { close(ready) }}, Output: OutputConfig{Viewers: []string{viewer.LocalAddr().String()}}})
		if err != nil {
			t.Errorf("Run: %v", err)
		}
		done <- st
	}()
	<-ready
	got := map[string]int{}
	n := 0
	recv := make(chan error, 1)
	go func() {
		buf := make([]byte, 2048)
		for n < len(wantLines) {
			viewer.SetReadDeadline(time.Now().Add(20 * time.Second))
			k, _, err := viewer.ReadFrom(buf)
			if err != nil {
				recv <- err
				return
			}
			for _, l := range recordLines(string(buf[:k])) {
				got[l]++
				n++
			}
		}
		recv <- nil
	}()
	out, err := exec.Command("ip", "netns", "exec", ns, "tcpreplay", "-q", "-i", there, "--pps", "8000", path).CombinedOutput()
	if err != nil {
		t.Fatalf("tcpreplay: %v\n%s", err, out)
	}
	if err := <-recv; err != nil {
		t.Fatalf("after %d of %d records: %v", n, len(wantLines), err)
	}
	cancel()
	<-done
	var missing []string
	for _, l := range wantLines {
		if got[l] == 0 {
			missing = append(missing, l)
			continue
		}
		got[l]--
	}
	if len(missing) > 0 {
		var extra []string
		for l, c := range got {
			if c > 0 {
				extra = append(extra, l)
			}
		}
		t.Fatalf("live capture lacks %d records, e.g. %q; it has instead %q", len(missing), missing[0], extra[:min(5, len(extra))])
	}
}

func recordLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l != "" && l != "PACKTER" {
			out = append(out, l)
		}
	}
	return out
}

// TestLiveWithoutPermission runs this test binary again without CAP_NET_RAW
// (setpriv drops it from the bounding set) and checks the one-sentence error.
func TestLiveWithoutPermission(t *testing.T) {
	if os.Getenv("PACKTER_NO_RAW_HELPER") == "1" {
		_, err := Run(context.Background(), Config{Input: InputConfig{Iface: "lo"}, Output: OutputConfig{PrintOnly: true}})
		fmt.Print(err)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to drop CAP_NET_RAW with setpriv")
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("setpriv is not installed")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("setpriv", "--bounding-set=-net_raw", "--inh-caps=-net_raw", "--", exe, "-test.run=^TestLiveWithoutPermission$")
	cmd.Env = append(os.Environ(), "PACKTER_NO_RAW_HELPER=1")
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), "capture on lo: live capture needs root or the CAP_NET_RAW capability") {
		t.Fatalf("without CAP_NET_RAW: %s", out)
	}
}

// TestPacingStopsOnCancel: with --speed a slow replay waits on capture time;
// cancelling must end it (the test would hang otherwise).
func TestPacingStopsOnCancel(t *testing.T) {
	viewer, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer viewer.Close()
	ctx, cancel := context.WithCancel(context.Background())
	fr := testFrames(t)
	c := pcapOf(t, fr[:2], time.Hour) // the second packet is an hour later
	done := make(chan Stats, 1)
	go func() {
		st, _ := Run(ctx, Config{Output: OutputConfig{Viewers: []string{viewer.LocalAddr().String()}}, Input: InputConfig{Reader: bytes.NewReader(c), Speed: 1}})
		done <- st
	}()
	buf := make([]byte, 2048)
	viewer.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, _, err := viewer.ReadFrom(buf); err != nil {
		t.Fatal(err)
	}
	cancel()
	if st := <-done; st.Sent != 1 {
		t.Fatalf("sent %d, want 1 before the cancel", st.Sent)
	}
}
