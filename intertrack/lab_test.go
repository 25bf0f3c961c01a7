package intertrack

// The lab: three network namespaces as three ASes joined by veth pairs,
//
//	AS 65001 "src" 10.91.1.1 ── 10.91.1.2 AS 65002 "tr" 10.91.2.1 ── 10.91.2.2 AS 65003 "dst"
//
// real UDP traffic from src to dst routed through tr, an agent with a digest
// store in each AS (the real `packter agent -i IFACE --as ASN --digests ADDR`
// binary, built by the test) answering on its lab address, a DP and a TC
// in the test process asking from the victim's AS (and the real `packter dp`
// and `packter tc` binaries run inside it), and a packet captured at the
// victim traced back to its source.
//
// To extend: newLab returns the lab; l.rig.view receives its TC's datagrams,
// or start another TC on l.dpAddr reporting to a real monitor, as
// labwav_test.go does to hear the spoken result in the monitor's WAV.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/sys/unix"

	"github.com/packter/packter/capture"
	"github.com/packter/packter/event"
	"github.com/packter/packter/protocol"
)

// labAS describes one AS of the lab.
type labAS struct {
	asn   uint32
	ns    string // network namespace
	iface string // where its agent captures
	addr  string // its agent's digest server, on its lab address
}

type lab struct {
	src, tr, dst labAS
	ases         []labAS
	dialer       *nsDialer
	dpAddr       string
	rig          *tcRig
	bin          string // the packter binary built for the lab
}

// inNetns runs f on an OS thread switched into the named network namespace;
// sockets f creates stay in that namespace.
func inNetns(name string, f func() error) error {
	runtime.LockOSThread()
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer orig.Close()
	target, err := os.Open(filepath.Join("/var/run/netns", name))
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("setns %s: %w", name, err)
	}
	defer func() {
		// A thread that cannot go back is left locked: it dies with the goroutine.
		if unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
	}()
	return f()
}

// nsDialer connects from inside a namespace: the in-process DP asks the
// agents from the victim's AS, as a DP deployed there would.
type nsDialer struct{ ns string }

func (d *nsDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var c net.Conn
	err := inNetns(d.ns, func() (err error) {
		c, err = (&net.Dialer{}).DialContext(ctx, network, addr)
		return err
	})
	return c, err
}

func mustRun(t testing.TB, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// newLab builds the namespaces and routes, starts the agents, a DP and a TC.
func newLab(t testing.TB, ctx context.Context) *lab {
	if testing.Short() {
		t.Skip("the traceback lab (network namespaces) is skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("the traceback lab needs root to create network namespaces (CI runs it as root)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("the traceback lab needs iproute2's ip")
	}
	id := os.Getpid() % 100000
	name := func(s string) string { return fmt.Sprintf("ptlab%d%s", id, s) }
	l := &lab{
		src: labAS{asn: 65001, ns: name("src"), iface: fmt.Sprintf("pt%da", id), addr: "10.91.1.1:9101"},
		tr:  labAS{asn: 65002, ns: name("tr"), iface: fmt.Sprintf("pt%db", id), addr: "10.91.1.2:9102"},
		dst: labAS{asn: 65003, ns: name("dst"), iface: fmt.Sprintf("pt%dd", id), addr: "10.91.2.2:9103"},
	}
	l.ases = []labAS{l.src, l.tr, l.dst}
	trDst := fmt.Sprintf("pt%dc", id) // transit's side of the tr—dst link
	for _, a := range l.ases {
		mustRun(t, "ip", "netns", "add", a.ns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", a.ns).Run() })
		mustRun(t, "ip", "-n", a.ns, "link", "set", "lo", "up")
	}
	mustRun(t, "ip", "link", "add", l.src.iface, "netns", l.src.ns, "type", "veth", "peer", "name", l.tr.iface, "netns", l.tr.ns)
	mustRun(t, "ip", "link", "add", trDst, "netns", l.tr.ns, "type", "veth", "peer", "name", l.dst.iface, "netns", l.dst.ns)
	for _, c := range [][3]string{
		{l.src.ns, l.src.iface, "10.91.1.1/24"}, {l.tr.ns, l.tr.iface, "10.91.1.2/24"},
		{l.tr.ns, trDst, "10.91.2.1/24"}, {l.dst.ns, l.dst.iface, "10.91.2.2/24"},
	} {
		mustRun(t, "ip", "-n", c[0], "addr", "add", c[2], "dev", c[1])
		mustRun(t, "ip", "-n", c[0], "link", "set", c[1], "up")
	}
	mustRun(t, "ip", "-n", l.src.ns, "route", "add", "default", "via", "10.91.1.2")
	mustRun(t, "ip", "-n", l.dst.ns, "route", "add", "default", "via", "10.91.2.1")
	mustRun(t, "ip", "netns", "exec", l.tr.ns, "sysctl", "-qw", "net.ipv4.ip_forward=1")

	l.dialer = &nsDialer{ns: l.dst.ns}
	l.startAgents(t, ctx)

	cfg := DPConfig{Home: l.dst.asn, Agents: map[uint32]string{}, Links: [][2]uint32{{65001, 65002}, {65002, 65003}}, Dialer: l.dialer}
	for _, a := range l.ases {
		cfg.Agents[a.asn] = a.addr
	}
	l.dpAddr = startDP(t, ctx, cfg)
	l.rig = startTC(t, ctx, TCConfig{DP: l.dpAddr})
	start := time.Now()
	l.warmUp(t, ctx)
	t.Logf("agents capturing after %v", time.Since(start).Round(time.Millisecond))
	return l
}

// startAgents runs the real agent binary, `packter agent -i IFACE --as ASN
// --digests ADDR`, in each AS.
func (l *lab) startAgents(t testing.TB, ctx context.Context) {
	start := time.Now()
	bin, err := buildPackter(t)
	if err != nil {
		t.Fatalf("the lab runs the real agent: %v", err)
	}
	t.Logf("go build: %v", time.Since(start).Round(time.Millisecond))
	l.bin = bin
	for _, a := range l.ases {
		cmd := exec.Command("ip", "netns", "exec", a.ns, bin, "agent", "-i", a.iface,
			"--as", fmt.Sprint(a.asn), "--digests", a.addr, "-n")
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			stopProcess(cmd)
			if t.Failed() {
				t.Logf("agent AS %d stderr:\n%s", a.asn, stderr.String())
			}
		})
	}
	// Ready when every digest server answers.
	for _, a := range l.ases {
		addr := a.addr
		var err error
		for i := 0; i < 100; i++ {
			qctx, cancel := context.WithTimeout(ctx, time.Second)
			_, err = QueryDigest(qctx, l.dialer, addr, [16]byte{}, time.Time{}, time.Time{})
			cancel()
			if err == nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("agent of AS %d never answered: %v", a.asn, err)
		}
	}
}

// stopProcess interrupts a command (SIGINT, as a user's ^C) and waits for it,
// killing it after 10 s.
func stopProcess(cmd *exec.Cmd) error {
	cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		return errors.New("still running 10 s after SIGINT")
	}
}

// buildPackter builds the packter binary once per test binary run.
func buildPackter(t testing.TB) (string, error) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "packter")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/packter/packter/cmd/packter")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v: %s", err, firstLine(out))
	}
	help, _ := exec.Command(bin, "agent", "--help").CombinedOutput()
	if !bytes.Contains(help, []byte("digests")) {
		return "", errors.New("this build's agent has no --digests")
	}
	return bin, nil
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return s
}

// send sends n UDP datagrams from src to dst carrying marker, and returns the
// first one as the victim's interface captured it (its IP packet).
func (l *lab) send(t testing.TB, ctx context.Context, marker string, n int) []byte {
	var h *pcapgo.EthernetHandle
	if err := inNetns(l.dst.ns, func() (err error) { h, err = pcapgo.NewEthernetHandle(l.dst.iface); return err }); err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	got := make(chan []byte, 1)
	go func() {
		for {
			frame, _, err := h.ReadPacketData()
			if err != nil {
				if errors.Is(err, net.ErrClosed) || ctx.Err() != nil || strings.Contains(err.Error(), "closed") {
					return
				}
				continue
			}
			if len(frame) > 14+28 && frame[12] == 0x08 && frame[13] == 0 && frame[14+9] == 17 && bytes.Contains(frame, []byte(marker)) {
				got <- bytes.Clone(frame[14:])
				return
			}
		}
	}()
	var pc net.PacketConn
	if err := inNetns(l.src.ns, func() (err error) { pc, err = net.ListenPacket("udp4", "10.91.1.1:0"); return err }); err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	to := &net.UDPAddr{IP: net.IPv4(10, 91, 2, 2), Port: 9999}
	for i := 0; i < n; i++ {
		if _, err := pc.WriteTo([]byte(fmt.Sprintf("%s #%d", marker, i)), to); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case p := <-got:
		return p
	case <-time.After(10 * time.Second): // hang guard
		t.Fatal("the victim never captured the traffic")
	}
	return nil
}

// seenBy polls, up to tries×25 ms, until every agent in ases has digested the
// hash (agents capture asynchronously from the victim's capture).
func (l *lab) seenBy(ctx context.Context, hash [16]byte, tries int, ases ...labAS) error {
	for _, a := range ases {
		var ans DigestAnswer
		for i := 0; i < tries; i++ {
			var err error
			ans, err = QueryDigest(ctx, l.dialer, a.addr, hash, time.Time{}, time.Time{})
			if err == nil && ans.Seen {
				break
			}
			time.Sleep(25 * time.Millisecond)
		}
		if !ans.Seen {
			return fmt.Errorf("the agent of AS %d never digested the packet", a.asn)
		}
	}
	return nil
}

func (l *lab) waitSeen(t testing.TB, ctx context.Context, hash [16]byte, ases ...labAS) {
	if err := l.seenBy(ctx, hash, 200, ases...); err != nil {
		t.Fatal(err)
	}
}

// warmUp sends probes until every agent digests one: an agent answers
// queries before its capture is open, so readiness is seeing traffic.
func (l *lab) warmUp(t testing.TB, ctx context.Context) {
	var err error
	for i := 0; i < 40; i++ {
		ip := l.send(t, ctx, fmt.Sprintf("packter-lab-warmup-%d", i), 1)
		h, _ := capture.TraceHash(ip, false)
		if err = l.seenBy(ctx, h, 20, l.ases...); err == nil {
			return
		}
	}
	t.Fatalf("agents not capturing: %v", err)
}

// victimEvent is the record the monitor shows for the captured packet, with
// PACKTER's traceback description naming the lab's TC.
func (l *lab) victimEvent(ip []byte, hash [16]byte) *event.Event {
	src, _ := netip.AddrFromSlice(ip[12:16])
	dst, _ := netip.AddrFromSlice(ip[16:20])
	return &event.Event{Kind: event.KindPacket, Src: protocol.AddrFrom(src), Dst: protocol.AddrFrom(dst),
		SPort: protocol.PortFrom(uint32(ip[20])<<8 | uint32(ip[21])), DPort: protocol.PortFrom(9999), Flag: 3,
		Desc: event.CleanText(fmt.Sprintf("%x-%s", hash, l.rig.addr), event.MaxText)}
}

func TestLabTraceback(t *testing.T) {
	ctx := t.Context()
	l := newLab(t, ctx)

	ip := l.send(t, ctx, "packter-lab-1", 3)
	if ttl := ip[8]; ttl != 63 {
		t.Errorf("TTL at the victim %d, want 63: the packet did not cross the transit AS", ttl)
	}
	hash, ok := capture.TraceHash(ip, false)
	if !ok {
		t.Fatal("no hash for the captured packet")
	}
	l.waitSeen(t, ctx, hash, l.src, l.tr, l.dst)

	if err := LaunchTrace(ctx, l.victimEvent(ip, hash), 0); err != nil {
		t.Fatal(err)
	}
	o := l.rig.next(t)
	want := "Traceback succeeded: the packet came from AS 65001, through AS 65002"
	if o.Kind != Succeeded || o.Voice != want || o.Hash != hash {
		t.Fatalf("outcome %v %q (%s), want %q", o.Kind, o.Voice, o.Reason, want)
	}
	for _, p := range []string{"PACKTERSOUND\n10000,Traceback.wav\n", "PACKTERSOUND\n10000,Success.wav\n", "PACKTERVOICE\n" + want + "\n"} {
		if !waitFor(func() bool { return l.rig.view.has(p) }) {
			t.Errorf("the monitor never got %q", p)
		}
	}
	all := l.rig.view.all()
	for _, line := range []string{"Depth 0: found AS:65003", "Depth 1: found AS:65002", "Depth 2: found AS:65001"} {
		if !strings.Contains(all, line) {
			t.Errorf("message lacks %q", line)
		}
	}

	t.Run("notfound", func(t *testing.T) {
		// The same flow with another IP ID: a packet no agent saw.
		other := bytes.Clone(ip)
		other[4] ^= 0xff
		h, _ := capture.TraceHash(other, false)
		if err := LaunchTrace(ctx, l.victimEvent(other, h), 0); err != nil {
			t.Fatal(err)
		}
		o := l.rig.next(t)
		if o.Kind != Failed || o.Voice != "Traceback failed: no agent saw the packet, not even in AS 65003" {
			t.Errorf("outcome %v %q", o.Kind, o.Voice)
		}
	})

	t.Run("bad decision points", func(t *testing.T) {
		down, _ := net.Listen("tcp", "127.0.0.1:0")
		downAddr := down.Addr().String()
		down.Close()
		slow, _ := net.Listen("tcp", "127.0.0.1:0")
		defer slow.Close()
		go func() { // accepts and reads, never answers
			for {
				c, err := slow.Accept()
				if err != nil {
					return
				}
				go func() { defer c.Close(); io.Copy(io.Discard, c) }()
			}
		}()
		garbage, _ := net.Listen("tcp", "127.0.0.1:0")
		defer garbage.Close()
		go func() {
			for {
				c, err := garbage.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					c.Write([]byte("<InterTrackMessage type=\"ClientTraceReply\">\x00\xff</InterTrackMessage>\n"))
				}()
			}
		}()
		for _, c := range []struct{ name, addr, reason string }{
			{"down", downAddr, "not reachable"},
			{"slow", slow.Addr().String(), "did not accept the request within"},
			{"garbage", garbage.Addr().String(), "unreadable message"},
		} {
			rig := startTC(t, ctx, TCConfig{DP: c.addr, AckTimeout: 300 * time.Millisecond})
			if err := LaunchTrace(ctx, &event.Event{Desc: event.CleanText(fmt.Sprintf("%x-%s", hash, rig.addr), event.MaxText)}, 0); err != nil {
				t.Fatal(err)
			}
			if o := rig.next(t); o.Kind != Failed || !strings.Contains(o.Voice, c.reason) {
				t.Errorf("%s: %v %q", c.name, o.Kind, o.Voice)
			}
		}
		// The lab's TC still serves.
		if err := LaunchTrace(ctx, l.victimEvent(ip, hash), 0); err != nil {
			t.Fatal(err)
		}
		if o := l.rig.next(t); o.Kind != Succeeded {
			t.Errorf("after the failures: %v %q", o.Kind, o.Voice)
		}
	})
}

// TestLabTracebackBinaries runs the real `packter dp` and `packter tc` inside
// the victim's AS on their default ports, a viewer socket on 11300 there, and
// presses T from there.
func TestLabTracebackBinaries(t *testing.T) {
	ctx := t.Context()
	l := newLab(t, ctx)
	var view net.PacketConn
	if err := inNetns(l.dst.ns, func() (err error) { view, err = net.ListenPacket("udp", "127.0.0.1:11300"); return err }); err != nil {
		t.Fatal(err)
	}
	defer view.Close()
	start := func(args ...string) {
		cmd := exec.Command("ip", append([]string{"netns", "exec", l.dst.ns, l.bin}, args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := stopProcess(cmd); err != nil {
				t.Errorf("packter %s did not end cleanly on SIGINT: %v\n%s", args[0], err, stderr.String())
			}
		})
	}
	start("dp", "--home", "65003", "--agent", "65001="+l.src.addr, "--agent", "65002="+l.tr.addr, "--agent", "65003="+l.dst.addr,
		"--link", "65001:65002", "--link", "65002:65003")
	start("tc", "--dp", "127.0.0.1", "--viewer", "127.0.0.1")

	ip := l.send(t, ctx, "packter-lab-binaries", 2)
	hash, _ := capture.TraceHash(ip, false)
	l.waitSeen(t, ctx, hash, l.ases...)
	ev := l.victimEvent(ip, hash)
	ev.Desc = event.CleanText(fmt.Sprintf("%x-127.0.0.1", hash), event.MaxText) // PACKTER's default: the TC on port 11301

	want := "PACKTERVOICE\nTraceback succeeded: the packet came from AS 65001, through AS 65002\n"
	buf := make([]byte, 64<<10)
	var got []string
	// The TC may still be binding its socket: press T again until it answers.
	for press := 0; press < 20; press++ {
		if err := inNetns(l.dst.ns, func() error { return LaunchTrace(ctx, ev, 0) }); err != nil {
			t.Fatal(err)
		}
		view.SetReadDeadline(time.Now().Add(time.Second))
		for {
			n, _, err := view.ReadFrom(buf)
			if err != nil {
				break
			}
			got = append(got, string(buf[:n]))
			if string(buf[:n]) == want {
				return
			}
			view.SetReadDeadline(time.Now().Add(5 * time.Second))
		}
	}
	t.Fatalf("the monitor never heard %q; it got %q", want, got)
}

// BenchmarkLabTraceLatency: request-to-answer latency of a whole trace in the
// lab (TC → DP → three agents in three namespaces → outcome).
func BenchmarkLabTraceLatency(b *testing.B) {
	ctx := b.Context()
	l := newLab(b, ctx)
	ip := l.send(b, ctx, "packter-lab-bench", 1)
	hash, _ := capture.TraceHash(ip, false)
	l.waitSeen(b, ctx, hash, l.src, l.tr, l.dst)
	tc, err := NewTC(TCConfig{DP: l.dpAddr, Viewer: l.rig.view.pc.LocalAddr().String()})
	if err != nil {
		b.Fatal(err)
	}
	defer tc.Close()
	b.ResetTimer()
	for b.Loop() {
		if o := tc.Trace(ctx, hash); o.Kind != Succeeded {
			b.Fatalf("%v %s", o.Kind, o.Reason)
		}
	}
}
