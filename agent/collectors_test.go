package agent

// The collectors end to end through the agent: sFlow and IPFIX datagrams on
// loopback, Snort alert_unixsock and Suricata EVE datagrams on Unix sockets in
// a temporary directory, each turned by Run into the exact PACKTER wire text a
// viewer receives. The inputs are built here from the specifications (sFlow v5,
// RFC 7011, Snort 2's spo_alert_unixsock.h, Suricata's EVE JSON), apart from the
// collect package's decoders.

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/packter/packter/capture"
)

// be is a big-endian byte builder.
type be []byte

func (w be) u8(v uint8) be   { return append(w, v) }
func (w be) u16(v uint16) be { return binary.BigEndian.AppendUint16(w, v) }
func (w be) u32(v uint32) be { return binary.BigEndian.AppendUint32(w, v) }
func (w be) ip(s string) be  { return append(w, netip.MustParseAddr(s).AsSlice()...) }
func (w be) add(b []byte) be { return append(w, b...) }

func tcpHdr(sport, dport uint16, flags uint8) []byte {
	return be(nil).u16(sport).u16(dport).u32(1000).u32(0).u8(5 << 4).u8(flags).u16(65535).u16(0).u16(0)
}

func udpHdr(sport, dport uint16, payload string) []byte {
	return be(nil).u16(sport).u16(dport).u16(uint16(8 + len(payload))).u16(0).add([]byte(payload))
}

// ipv4Pkt is an IPv4 packet (no options, checksum filled in).
func ipv4Pkt(proto uint8, src, dst string, id uint16, l4 []byte) []byte {
	h := be(nil).u8(0x45).u8(0).u16(uint16(20 + len(l4))).u16(id).u16(0x4000).u8(64).u8(proto).u16(0).ip(src).ip(dst)
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(h[10:], ^uint16(sum))
	return h.add(l4)
}

func ipv6Pkt(next uint8, src, dst string, l4 []byte) []byte {
	return be(nil).u32(6<<28 | 0x12345).u16(uint16(len(l4))).u8(next).u8(64).ip(src).ip(dst).add(l4)
}

// ether frames an IP packet (IPv4 or IPv6 by its version nibble).
func ether(ip []byte) []byte {
	typ := uint16(0x0800)
	if ip[0]>>4 == 6 {
		typ = 0x86dd
	}
	return be(nil).add([]byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1}).u16(typ).add(ip)
}

func traceHex(t *testing.T, ip []byte) string {
	t.Helper()
	sum, ok := capture.TraceHash(ip, ip[0]>>4 == 6)
	if !ok {
		t.Fatal("no traceback hash for the test packet")
	}
	return hex.EncodeToString(sum[:])
}

// collectorRig runs the agent with collector inputs, sending to a viewer
// socket on loopback.
type collectorRig struct {
	viewer net.PacketConn
	cancel context.CancelFunc
	done   chan error
	bound  chan string // "flag addr" of each collector as it binds
}

func startCollectors(t *testing.T, cfg Config) *collectorRig {
	t.Helper()
	viewer, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Output.Viewers = []string{viewer.LocalAddr().String()}
	ctx, cancel := context.WithCancel(t.Context())
	r := &collectorRig{viewer: viewer, cancel: cancel, done: make(chan error, 1), bound: make(chan string, 8)}
	cfg.Input.Listening = func(flag string, addr net.Addr) { r.bound <- flag + " " + addr.String() }
	go func() {
		_, err := Run(ctx, cfg)
		r.done <- err
	}()
	t.Cleanup(func() {
		r.stop(t)
		viewer.Close()
	})
	return r
}

func (r *collectorRig) stop(t *testing.T) {
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second): // hang guard
		t.Error("Run did not return 10 s after its context ended")
	}
}

// exchange sends the input (again every 200 ms while nothing comes back: the
// collector may not be listening yet) and compares the first len(want)
// datagrams the viewer receives with want, exactly and in order. A resent
// input can only repeat the whole sequence after it (one decoder per input).
func (r *collectorRig) exchange(t *testing.T, send func() error, want ...string) {
	t.Helper()
	var got []string
	buf := make([]byte, 64<<10)
	deadline := time.Now().Add(15 * time.Second) // hang guard
	var sendErr error
	for len(got) == 0 && time.Now().Before(deadline) {
		sendErr = send()
		r.viewer.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		if n, _, err := r.viewer.ReadFrom(buf); err == nil {
			got = append(got, string(buf[:n]))
		}
	}
	if len(got) == 0 {
		t.Fatalf("the viewer received nothing (last send: %v)", sendErr)
	}
	for len(got) < len(want) {
		r.viewer.SetReadDeadline(deadline)
		n, _, err := r.viewer.ReadFrom(buf)
		if err != nil {
			break
		}
		got = append(got, string(buf[:n]))
	}
	if !slices.Equal(got, want) {
		t.Errorf("the viewer received\n%swant\n%s", quoteAll(got), quoteAll(want))
	}
}

func quoteAll(ds []string) string {
	var b strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&b, "\t%q\n", d)
	}
	return b.String()
}

// addr waits for the collector of flag to bind (tests give port 0: the
// kernel picks a free port, with no race against other tests) and returns
// its address.
func (r *collectorRig) addr(t *testing.T, flag string) string {
	t.Helper()
	select {
	case b := <-r.bound:
		f, a, _ := strings.Cut(b, " ")
		if f != flag {
			t.Fatalf("collector %s bound first, want %s", f, flag)
		}
		return a
	case err := <-r.done:
		t.Fatalf("Run ended before %s bound: %v", flag, err)
	case <-time.After(10 * time.Second): // hang guard
		t.Fatalf("%s never bound", flag)
	}
	return ""
}

func sendUDP(addr string, b []byte) func() error {
	return func() error {
		c, err := net.Dial("udp", addr)
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write(b)
		return err
	}
}

// sendUnixgram writes b to a Unix datagram socket, as Snort and Suricata do;
// it fails while the agent has not created the socket yet.
func sendUnixgram(path string, b []byte) func() error {
	return func() error {
		c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write(b)
		return err
	}
}

// sFlow v5: a datagram of flow samples, each with one raw packet header
// record (format 1, header protocol 1 = Ethernet).
func sflowV5(frames ...[]byte) []byte {
	w := be(nil).u32(5).u32(1).ip("192.0.2.1").u32(0).u32(7).u32(123456).u32(uint32(len(frames)))
	for i, f := range frames {
		hdr := be(nil).u32(uint32(len(f))).add(f)
		for len(hdr)%4 != 0 {
			hdr = append(hdr, 0)
		}
		raw := be(nil).u32(1).u32(uint32(len(f) + 4)).u32(0).add(hdr) // protocol, frame length, stripped
		rec := be(nil).u32(1).u32(uint32(len(raw))).add(raw)
		body := be(nil).u32(uint32(i + 1)).u32(3).u32(256).u32(1000).u32(0).u32(3).u32(4).u32(1).add(rec)
		w = w.u32(1).u32(uint32(len(body))).add(body) // flow_sample
	}
	return w
}

// TestSFlowThroughAgent: sampled packet headers fly as their packets, with the
// traceback hash of the sampled IP packet under -T, in IPv4 and IPv6.
func TestSFlowThroughAgent(t *testing.T) {
	syn := ipv4Pkt(6, "10.1.1.1", "10.2.2.2", 7, tcpHdr(1234, 80, capture.TCPSyn))
	udp6 := ipv6Pkt(17, "2001:db8::1", "2001:db8::2", udpHdr(5353, 53, "query"))
	fin := ipv4Pkt(6, "10.3.3.3", "10.4.4.4", 9, tcpHdr(443, 40000, capture.TCPFin|capture.TCPAck))
	r := startCollectors(t, Config{Input: InputConfig{Collectors: map[string]string{"sflow": "127.0.0.1:0"}}, Trace: TraceConfig{Server: "192.0.2.9"}})
	addr := r.addr(t, "sflow")
	r.exchange(t, sendUDP(addr, sflowV5(ether(syn), ether(udp6), ether(fin))),
		"PACKTER\n10.1.1.1,10.2.2.2,1234,80,1,"+traceHex(t, syn)+"-192.0.2.9\n",
		"PACKTER\n2001:db8::1,2001:db8::2,5353,53,8,"+traceHex(t, udp6)+"-192.0.2.9\n",
		"PACKTER\n10.3.3.3,10.4.4.4,443,40000,2,"+traceHex(t, fin)+"-192.0.2.9\n",
	)
}

// IPFIX (RFC 7011): a template set and data sets.
func ipfixMsg(sets ...[]byte) []byte {
	n := 16
	for _, s := range sets {
		n += len(s)
	}
	w := be(nil).u16(10).u16(uint16(n)).u32(uint32(time.Now().Unix())).u32(1).u32(42)
	for _, s := range sets {
		w = w.add(s)
	}
	return w
}

func ipfixSet(id uint16, body []byte) []byte {
	return be(nil).u16(id).u16(uint16(4 + len(body))).add(body)
}

func ipfixTemplate(id uint16, fields ...[2]uint16) []byte {
	w := be(nil).u16(id).u16(uint16(len(fields)))
	for _, f := range fields {
		w = w.u16(f[0]).u16(f[1])
	}
	return w
}

// TestIPFIXThroughAgent: flows of each class (SYN wins, FIN, UDP, ICMP with
// PACKTER's type*256 ports, IPv6 SYN and RST) arrive as records with the
// default description (a flow has no packet to hash).
func TestIPFIXThroughAgent(t *testing.T) {
	// 256: IPv4 src, dst, sport, dport, proto, tcpflags, packets, octets.
	// 257: the same over IPv6 addresses. 258: IPv4 ICMP with icmpTypeCodeIPv4.
	tmpl := ipfixSet(2, be(nil).
		add(ipfixTemplate(256, [2]uint16{8, 4}, [2]uint16{12, 4}, [2]uint16{7, 2}, [2]uint16{11, 2}, [2]uint16{4, 1}, [2]uint16{6, 1}, [2]uint16{2, 4}, [2]uint16{1, 4})).
		add(ipfixTemplate(257, [2]uint16{27, 16}, [2]uint16{28, 16}, [2]uint16{7, 2}, [2]uint16{11, 2}, [2]uint16{4, 1}, [2]uint16{6, 1}, [2]uint16{2, 4}, [2]uint16{1, 4})).
		add(ipfixTemplate(258, [2]uint16{8, 4}, [2]uint16{12, 4}, [2]uint16{4, 1}, [2]uint16{32, 2}, [2]uint16{2, 4})))
	v4 := ipfixSet(256, be(nil).
		ip("10.1.1.1").ip("10.2.2.2").u16(1234).u16(80).u8(6).u8(capture.TCPSyn|capture.TCPFin|capture.TCPAck).u32(3).u32(180).
		ip("10.2.2.2").ip("10.1.1.1").u16(80).u16(1234).u8(6).u8(capture.TCPFin|capture.TCPAck).u32(2).u32(120).
		ip("10.5.5.5").ip("10.6.6.6").u16(5000).u16(53).u8(17).u8(0).u32(1).u32(60))
	v6 := ipfixSet(257, be(nil).
		ip("2001:db8::a").ip("2001:db8::b").u16(2000).u16(443).u8(6).u8(capture.TCPSyn).u32(1).u32(80).
		ip("2001:db8::b").ip("2001:db8::a").u16(443).u16(2000).u8(6).u8(capture.TCPRst).u32(1).u32(60))
	icmp := ipfixSet(258, be(nil).ip("10.7.7.7").ip("10.8.8.8").u8(1).u16(8<<8|0).u32(4))
	r := startCollectors(t, Config{Input: InputConfig{Collectors: map[string]string{"ipfix": "127.0.0.1:0"}}})
	addr := r.addr(t, "ipfix")
	r.exchange(t, sendUDP(addr, ipfixMsg(tmpl, v4, v6, icmp)),
		"PACKTER\n10.1.1.1,10.2.2.2,1234,80,1,TCP src:10.1.1.1(1234) dst:10.2.2.2(80)\n",
		"PACKTER\n10.2.2.2,10.1.1.1,80,1234,2,TCP src:10.2.2.2(80) dst:10.1.1.1(1234)\n",
		"PACKTER\n10.5.5.5,10.6.6.6,5000,53,3,UDP src:10.5.5.5(5000) dst:10.6.6.6(53)\n",
		"PACKTER\n2001:db8::a,2001:db8::b,2000,443,6,TCP src:2001:db8::a(2000) dst:2001:db8::b(443)\n",
		"PACKTER\n2001:db8::b,2001:db8::a,443,2000,7,TCP src:2001:db8::b(443) dst:2001:db8::a(2000)\n",
		"PACKTER\n10.7.7.7,10.8.8.8,2048,0,4,ICMPv4 src:10.7.7.7 dst:10.8.8.8 (type:8 code:0)\n",
	)
}

// snortAlertpkt is Snort 2's Alertpkt as alert_unixsock writes it on this
// host (native byte order, 64-bit layout: Event aligned to 8 at 65832, 65880
// bytes in all). frame nil: an alert without a packet (NOPACKET_STRUCT).
func snortAlertpkt(msg string, gen, sid, rev uint32, frame []byte) []byte {
	b := make([]byte, 65880)
	ne := binary.NativeEndian
	copy(b[:255], msg)
	ne.PutUint32(b[256:], uint32(time.Now().Unix()))
	if frame == nil {
		ne.PutUint32(b[288:], 1) // val: NOPACKET_STRUCT
	} else {
		ne.PutUint32(b[264:], uint32(len(frame))) // caplen
		ne.PutUint32(b[268:], uint32(len(frame))) // len
		ne.PutUint32(b[272:], 0)                  // dlthdr
		ne.PutUint32(b[276:], 14)                 // nethdr
		ne.PutUint32(b[280:], 14+20)              // transhdr
		copy(b[292:], frame)
	}
	ne.PutUint32(b[65832:], gen)
	ne.PutUint32(b[65836:], sid)
	ne.PutUint32(b[65840:], rev)
	ne.PutUint32(b[65848:], 2) // priority
	return b
}

// TestSnortThroughAgent: an alert's packet flies with PACKTER's incident
// description, or with its traceback hash under -T; an alert without a
// packet is still shown and spoken.
func TestSnortThroughAgent(t *testing.T) {
	scan := ipv4Pkt(6, "198.51.100.7", "10.2.2.2", 77, tcpHdr(40000, 22, capture.TCPSyn))
	sock := func(t *testing.T) string { return filepath.Join(t.TempDir(), "snort_alert") }

	t.Run("incident", func(t *testing.T) {
		path := sock(t)
		r := startCollectors(t, Config{Input: InputConfig{Collectors: map[string]string{"snort": path}}})
		r.exchange(t, sendUnixgram(path, snortAlertpkt("ET SCAN Potential SSH Scan", 1, 2001219, 20, ether(scan))),
			"PACKTER\n198.51.100.7,10.2.2.2,40000,22,1,Incident:ET SCAN Potential SSH Scan sid:2001219 gen:1 rev:20\n")
	})
	t.Run("no packet", func(t *testing.T) {
		path := sock(t)
		r := startCollectors(t, Config{Input: InputConfig{Collectors: map[string]string{"snort": path}}})
		r.exchange(t, sendUnixgram(path, snortAlertpkt("Portscan <detected> & logged", 122, 1, 1, nil)),
			"PACKTERMSG\n,Incident:Portscan &lt;detected&gt; &amp; logged sid:1 gen:122 rev:1\n",
			"PACKTERSOUND\n30000,Detection.wav\n",
			"PACKTERVOICE\nIncident:Portscan <detected> & logged sid:1 gen:122 rev:1\n")
	})
	t.Run("traceback", func(t *testing.T) {
		path := sock(t)
		r := startCollectors(t, Config{Input: InputConfig{Collectors: map[string]string{"snort": path}}, Trace: TraceConfig{Server: "192.0.2.9"}})
		r.exchange(t, sendUnixgram(path, snortAlertpkt("ET SCAN Potential SSH Scan", 1, 2001219, 20, ether(scan))),
			"PACKTER\n198.51.100.7,10.2.2.2,40000,22,1,"+traceHex(t, scan)+"-192.0.2.9\n")
	})
}

// TestEVEThroughAgent: every Suricata alert is a record with its incident
// description; those at least as severe as --eve-severity are also shown,
// sounded and spoken; other EVE events are not records.
func TestEVEThroughAgent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "eve.sock")
	lines := strings.Join([]string{
		`{"timestamp":"2026-11-28T05:00:00.123456+0000","event_type":"flow","src_ip":"10.9.9.9","dest_ip":"10.8.8.8","proto":"TCP"}`,
		`{"timestamp":"2026-11-28T05:00:01.000000+0000","event_type":"alert","src_ip":"203.0.113.5","src_port":51000,"dest_ip":"10.2.2.2","dest_port":80,"proto":"TCP","alert":{"signature":"ET WEB_SERVER Possible SQL Injection","signature_id":2006445,"gid":1,"rev":14,"severity":1,"category":"Web Application Attack"}}`,
		`{"timestamp":"2026-11-28T05:00:02.000000+0000","event_type":"alert","src_ip":"2001:db8::66","src_port":4444,"dest_ip":"2001:db8::2","dest_port":53,"proto":"UDP","alert":{"signature":"ET DNS Query to a Suspicious Domain","signature_id":2013,"gid":1,"rev":2,"severity":2}}`,
		`{"timestamp":"2026-11-28T05:00:03.000000+0000","event_type":"alert","src_ip":"10.7.7.7","dest_ip":"10.2.2.2","proto":"ICMP","icmp_type":8,"icmp_code":0,"alert":{"signature":"GPL ICMP PING","signature_id":2100384,"gid":1,"rev":5,"severity":3}}`,
	}, "\n") + "\n"
	r := startCollectors(t, Config{Input: InputConfig{EVESeverity: 2, Collectors: map[string]string{"eve": "unixgram:" + path}}})
	r.exchange(t, sendUnixgram(path, []byte(lines)),
		"PACKTER\n203.0.113.5,10.2.2.2,51000,80,0,Incident:ET WEB_SERVER Possible SQL Injection sid:2006445 gen:1 rev:14\n",
		"PACKTERMSG\n,Intrusion alert, severity 1: ET WEB_SERVER Possible SQL Injection, from 203.0.113.5\n",
		"PACKTERSOUND\n30000,Detection.wav\n",
		"PACKTERVOICE\nIntrusion alert, severity 1: ET WEB_SERVER Possible SQL Injection, from 203.0.113.5\n",
		"PACKTER\n2001:db8::66,2001:db8::2,4444,53,8,Incident:ET DNS Query to a Suspicious Domain sid:2013 gen:1 rev:2\n",
		"PACKTERMSG\n,Intrusion alert, severity 2: ET DNS Query to a Suspicious Domain, from 2001:db8::66\n",
		"PACKTERSOUND\n30000,Detection.wav\n",
		"PACKTERVOICE\nIntrusion alert, severity 2: ET DNS Query to a Suspicious Domain, from 2001:db8::66\n",
		"PACKTER\n10.7.7.7,10.2.2.2,2048,0,4,Incident:GPL ICMP PING sid:2100384 gen:1 rev:5\n",
	)
}

// TestSoftflowdIPFIXThroughAgent: the real softflowd (-v 10) exports a
// capture's flows as IPFIX to the agent, which sends one record per flow.
func TestSoftflowdIPFIXThroughAgent(t *testing.T) {
	bin, err := exec.LookPath("softflowd")
	if err != nil {
		t.Skip("softflowd is not installed (scripts/setup.sh test installs it)")
	}
	dir := t.TempDir()
	frames := [][]byte{
		ether(ipv4Pkt(6, "10.1.1.1", "10.2.2.2", 1, tcpHdr(40000, 80, capture.TCPSyn))),
		ether(ipv4Pkt(6, "10.2.2.2", "10.1.1.1", 2, tcpHdr(80, 40000, capture.TCPSyn|capture.TCPAck))),
		ether(ipv4Pkt(6, "10.1.1.1", "10.2.2.2", 3, tcpHdr(40000, 80, capture.TCPAck))),
		ether(ipv4Pkt(6, "10.1.1.1", "10.2.2.2", 4, tcpHdr(40000, 80, capture.TCPFin|capture.TCPAck))),
		ether(ipv4Pkt(17, "10.1.1.1", "10.3.3.3", 5, udpHdr(5353, 53, "query"))),
		ether(ipv6Pkt(17, "2001:db8::1", "2001:db8::2", udpHdr(5353, 53, "query"))),
	}
	pcap := filepath.Join(dir, "flows.pcap")
	if err := os.WriteFile(pcap, pcapOf(t, frames, 10*time.Millisecond), 0o644); err != nil {
		t.Fatal(err)
	}
	r := startCollectors(t, Config{Input: InputConfig{Collectors: map[string]string{"ipfix": "127.0.0.1:0"}}})
	addr := r.addr(t, "ipfix")
	// softflowd sends once: first make sure the collector listens, with a
	// hand-built flow whose record is told apart by its address.
	probe := ipfixMsg(
		ipfixSet(2, ipfixTemplate(256, [2]uint16{8, 4}, [2]uint16{12, 4}, [2]uint16{4, 1}, [2]uint16{2, 4})),
		ipfixSet(256, be(nil).ip("192.0.2.77").ip("192.0.2.78").u8(17).u32(1)))
	probeRec := "PACKTER\n192.0.2.77,192.0.2.78,0,0,3,UDP src:192.0.2.77(0) dst:192.0.2.78(0)\n"
	r.exchange(t, sendUDP(addr, probe), probeRec)

	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "-d", "-a", "-r", pcap, "-n", addr, "-v", "10", "-c", "none",
		"-p", filepath.Join(dir, "softflowd.pid")).CombinedOutput()
	if err != nil {
		t.Fatalf("softflowd: %v\n%s", err, out)
	}
	want := []string{
		"PACKTER\n10.1.1.1,10.2.2.2,40000,80,1,TCP src:10.1.1.1(40000) dst:10.2.2.2(80)\n",
		"PACKTER\n10.1.1.1,10.3.3.3,5353,53,3,UDP src:10.1.1.1(5353) dst:10.3.3.3(53)\n",
		"PACKTER\n10.2.2.2,10.1.1.1,80,40000,1,TCP src:10.2.2.2(80) dst:10.1.1.1(40000)\n",
		"PACKTER\n2001:db8::1,2001:db8::2,5353,53,8,UDP src:2001:db8::1(5353) dst:2001:db8::2(53)\n",
	}
	var got []string
	buf := make([]byte, 64<<10)
	r.viewer.SetReadDeadline(time.Now().Add(15 * time.Second)) // hang guard
	for len(got) < len(want) {
		n, _, err := r.viewer.ReadFrom(buf)
		if err != nil {
			break
		}
		if d := string(buf[:n]); d != probeRec { // late copies of the probe
			got = append(got, d)
		}
	}
	slices.Sort(got) // softflowd's export order is its flow table's
	if !slices.Equal(got, want) {
		t.Errorf("the viewer received\n%swant\n%ssoftflowd said:\n%s", quoteAll(got), quoteAll(want), out)
	}
}
