package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// PACKTER 3.0 ships a golden test for its agent (five checks: plain,
// traceback, bulk records, bulk framing, HMAC verified by an independent
// implementation). This is the same test against `packter agent`, with our
// own capture and expectations: the capture is written byte by byte here and
// the expected text follows PACKTER's record rules (docs/protocol.md), not
// our agent's code.

// goldenPkt is one packet of the golden capture.
type goldenPkt struct {
	src, dst     string
	proto        byte // 6 TCP, 17 UDP, 1 ICMP
	sport, dport uint16
	tcpFlags     byte
	icmpType     byte
	icmpCode     byte
}

var goldenPkts = []goldenPkt{
	{src: "10.0.0.1", dst: "192.0.2.10", proto: 6, sport: 40000, dport: 80, tcpFlags: 0x02}, // SYN
	{src: "192.0.2.10", dst: "10.0.0.1", proto: 6, sport: 80, dport: 40000, tcpFlags: 0x12}, // SYN+ACK: SYN wins
	{src: "10.0.0.1", dst: "192.0.2.10", proto: 6, sport: 40000, dport: 80, tcpFlags: 0x10}, // ACK
	{src: "10.0.0.1", dst: "192.0.2.10", proto: 6, sport: 40000, dport: 80, tcpFlags: 0x11}, // FIN+ACK
	{src: "192.0.2.10", dst: "10.0.0.1", proto: 6, sport: 80, dport: 40000, tcpFlags: 0x04}, // RST
	{src: "10.0.0.2", dst: "198.51.100.53", proto: 17, sport: 5353, dport: 53},              // UDP
	{src: "198.51.100.53", dst: "10.0.0.2", proto: 17, sport: 53, dport: 5353},              // UDP reply
	{src: "10.0.0.3", dst: "203.0.113.7", proto: 1, icmpType: 8},                            // echo request
	{src: "203.0.113.7", dst: "10.0.0.3", proto: 1, icmpType: 0},                            // echo reply
	{src: "203.0.113.1", dst: "10.0.0.3", proto: 1, icmpType: 3, icmpCode: 3},               // port unreachable
}

// ipPacket builds the IPv4 packet: a 20-byte header, then 8 bytes of
// transport header (enough for ports, flags, ICMP type and code).
func (p goldenPkt) ipPacket(id uint16) []byte {
	b := make([]byte, 28)
	b[0], b[1] = 0x45, 0x10 // version 4, IHL 5; TOS set so the traceback mask matters
	binary.BigEndian.PutUint16(b[2:], 28)
	binary.BigEndian.PutUint16(b[4:], id)
	b[6] = 0x40 // don't fragment
	b[8], b[9] = 64, p.proto
	s, d := netip.MustParseAddr(p.src).As4(), netip.MustParseAddr(p.dst).As4()
	copy(b[12:], s[:])
	copy(b[16:], d[:])
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(b[10:], ^uint16(sum))
	t := b[20:]
	switch p.proto {
	case 6, 17:
		binary.BigEndian.PutUint16(t[0:], p.sport)
		binary.BigEndian.PutUint16(t[2:], p.dport)
		if p.proto == 6 {
			// 8 bytes of TCP carry ports and sequence number; flags follow at
			// byte 13, so the test captures a full 20-byte TCP header.
			binary.BigEndian.PutUint32(t[4:], 1000)
		} else {
			binary.BigEndian.PutUint16(t[4:], 8)
		}
	case 1:
		t[0], t[1] = p.icmpType, p.icmpCode
	}
	if p.proto == 6 {
		tcp := make([]byte, 20)
		copy(tcp, t)
		tcp[12] = 5 << 4
		tcp[13] = p.tcpFlags
		binary.BigEndian.PutUint16(tcp[14:], 1024)
		b = append(b[:20], tcp...)
		binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
		// Total length changed: redo the header checksum.
		b[10], b[11] = 0, 0
		sum = 0
		for i := 0; i < 20; i += 2 {
			sum += uint32(binary.BigEndian.Uint16(b[i:]))
		}
		for sum > 0xffff {
			sum = sum&0xffff + sum>>16
		}
		binary.BigEndian.PutUint16(b[10:], ^uint16(sum))
	}
	return b
}

// goldenPcap writes the capture: classic pcap, Ethernet, the packets 0.5 s
// apart (so a bulk window measured in capture time would split them).
func goldenPcap(t *testing.T) string {
	var buf bytes.Buffer
	le := binary.LittleEndian
	hdr := make([]byte, 24)
	le.PutUint32(hdr[0:], 0xa1b2c3d4)
	le.PutUint16(hdr[4:], 2)
	le.PutUint16(hdr[6:], 4)
	le.PutUint32(hdr[16:], 65535)
	le.PutUint32(hdr[20:], 1) // Ethernet
	buf.Write(hdr)
	for i, p := range goldenPkts {
		frame := append([]byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00}, p.ipPacket(uint16(100+i))...)
		rec := make([]byte, 16)
		le.PutUint32(rec[0:], uint32(1700000000+i/2))
		le.PutUint32(rec[4:], uint32(i%2*500000))
		le.PutUint32(rec[8:], uint32(len(frame)))
		le.PutUint32(rec[12:], uint32(len(frame)))
		buf.Write(rec)
		buf.Write(frame)
	}
	path := filepath.Join(t.TempDir(), "golden.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// expectedRecord is a packet's record by PACKTER's rules: flag 1 SYN (wins
// over FIN and RST), 2 FIN or RST, 0 other TCP, 3 UDP, 4 ICMP; ICMP ports are
// type*256 and code*256; the default descriptions.
func (p goldenPkt) expectedRecord(desc string) string {
	sport, dport, flag := int(p.sport), int(p.dport), 0
	switch {
	case p.proto == 6 && p.tcpFlags&0x02 != 0:
		flag = 1
	case p.proto == 6 && p.tcpFlags&0x05 != 0:
		flag = 2
	case p.proto == 17:
		flag = 3
	case p.proto == 1:
		flag, sport, dport = 4, int(p.icmpType)*256, int(p.icmpCode)*256
	}
	if desc == "" {
		switch p.proto {
		case 6, 17:
			desc = fmt.Sprintf("%s src:%s(%d) dst:%s(%d)", map[byte]string{6: "TCP", 17: "UDP"}[p.proto], p.src, p.sport, p.dst, p.dport)
		default:
			desc = fmt.Sprintf("ICMPv4 src:%s dst:%s (type:%d code:%d)", p.src, p.dst, p.icmpType, p.icmpCode)
		}
	}
	return fmt.Sprintf("%s,%s,%d,%d,%d,%s", p.src, p.dst, sport, dport, flag, desc)
}

// traceHash is PACKTER's traceback hash: MD5 over the IPv4 header with TOS,
// total length, flags+fragment offset, TTL and checksum zeroed, plus 8 bytes.
func traceHash(ip []byte) string {
	m := append([]byte(nil), ip[:28]...)
	m[1] = 0
	m[2], m[3], m[6], m[7], m[8], m[10], m[11] = 0, 0, 0, 0, 0, 0, 0
	sum := md5.Sum(m)
	return hex.EncodeToString(sum[:])
}

func runAgentCLI(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(context.Background(), append([]string{"agent"}, args...), &out, &errb); code != 0 {
		t.Fatalf("packter agent %v: exit %d: %s", args, code, errb.String())
	}
	return out.String()
}

// withoutLines drops the lines that are TIME lines or exactly drop.
func withoutLines(s string, dropHeader bool) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if strings.HasPrefix(l, "TIME ") || dropHeader && l == "PACKTER\n" {
			continue
		}
		b.WriteString(l)
	}
	return b.String()
}

func TestAgentGolden(t *testing.T) {
	pcap := goldenPcap(t)
	var plain, tb strings.Builder
	for i, p := range goldenPkts {
		plain.WriteString("PACKTER\n" + p.expectedRecord("") + "\n")
		tb.WriteString("PACKTER\n" + p.expectedRecord(traceHash(p.ipPacket(uint16(100+i)))+"-172.16.45.1") + "\n")
	}

	gotPlain := runAgentCLI(t, "-n", "-r", pcap)
	t.Run("plain", func(t *testing.T) {
		if got := withoutLines(gotPlain, false); got != plain.String() {
			t.Fatalf("got:\n%s\nwant:\n%s", got, plain.String())
		}
		if n := strings.Count(gotPlain, "TIME "); n != len(goldenPkts) {
			t.Fatalf("%d TIME lines for %d datagrams", n, len(goldenPkts))
		}
	})
	t.Run("traceback", func(t *testing.T) {
		if got := withoutLines(runAgentCLI(t, "-n", "-T", "172.16.45.1", "-r", pcap), false); got != tb.String() {
			t.Fatalf("got:\n%s\nwant:\n%s", got, tb.String())
		}
	})
	gotBulk := runAgentCLI(t, "-n", "-B", "1000", "-r", pcap)
	t.Run("bulk records", func(t *testing.T) {
		if got, want := withoutLines(gotBulk, true), withoutLines(plain.String(), true); got != want {
			t.Fatalf("got:\n%s\nwant:\n%s", got, want)
		}
	})
	t.Run("bulk framing", func(t *testing.T) {
		// PACKTER's check: fewer datagrams than without -B. Read as fast as
		// possible, the ten records fit one MTU-sized datagram, as pt_agent
		// prints them.
		if n := strings.Count(gotBulk, "PACKTER\n"); n != 1 || strings.Count(gotBulk, "TIME ") != 1 {
			t.Fatalf("%d datagrams with -B 1000, want 1:\n%s", n, gotBulk)
		}
	})
	t.Run("auth", func(t *testing.T) {
		checkAuth(t, 1, "-B", "1000", "-r", pcap) // PACKTER's check
		checkAuth(t, len(goldenPkts), "-r", pcap) // and one datagram per record
	})
}

// checkAuth verifies every datagram's HMAC with openssl, not our verifier,
// splitting the output at TIME lines as PACKTER's check_auth.py does.
func checkAuth(t *testing.T, want int, args ...string) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl (the independent HMAC implementation) is not installed")
	}
	const psk = "golden-test-psk-0123456789"
	keyFile := filepath.Join(t.TempDir(), "psk.txt")
	os.WriteFile(keyFile, []byte(psk+"\n"), 0o600)
	out := runAgentCLI(t, append([]string{"-n", "-A", "test-agent", "-K", keyFile}, args...)...)
	var datagrams []string
	cur := -1
	for _, l := range strings.SplitAfter(out, "\n") {
		if strings.HasPrefix(l, "TIME ") {
			datagrams = append(datagrams, "")
			cur++
			continue
		}
		if cur < 0 {
			t.Fatalf("text before the first TIME line: %q", l)
		}
		datagrams[cur] += l
	}
	now := time.Now().Unix()
	ok := 0
	for _, d := range datagrams {
		head, rest, _ := strings.Cut(d, "\n")
		fields := strings.Split(strings.TrimPrefix(head, "PACKTERAGENT "), ",")
		if !strings.HasPrefix(head, "PACKTERAGENT ") || len(fields) != 3 || fields[0] != "test-agent" {
			t.Fatalf("bad agent line %q", head)
		}
		ts, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil || ts < now-300 || ts > now+300 {
			t.Fatalf("timestamp %q out of the window", fields[1])
		}
		cmd := exec.Command(openssl, "dgst", "-sha256", "-hmac", psk, "-r")
		cmd.Stdin = strings.NewReader(fields[0] + "," + fields[1] + "\n" + rest)
		mac, err := cmd.Output()
		if err != nil {
			t.Fatalf("openssl: %v", err)
		}
		if got, _, _ := strings.Cut(string(mac), " "); got != fields[2] {
			t.Fatalf("HMAC mismatch on %q: openssl says %s, the agent sent %s", rest, got, fields[2])
		}
		ok++
	}
	if ok != want {
		t.Fatalf("%d datagrams verified, want %d:\n%s", ok, want, out)
	}
}
