package capture

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/packter/packter/samples"
)

// ipv4TCP is a hand-built IPv4 packet with 4 bytes of options and a TCP SYN:
// every field differs from zero so that masking mistakes show.
func ipv4TCP() []byte {
	b := []byte{
		0x46, 0xb8, 0x00, 0x30, // version 4, IHL 6; TOS 0xb8; total length 48
		0x12, 0x34, 0x40, 0x00, // id; DF
		0x3f, 0x06, 0xab, 0xcd, // TTL 63; TCP; checksum
		10, 1, 2, 3, // src
		192, 0, 2, 7, // dst
		0x01, 0x01, 0x04, 0x02, // options (NOP NOP + 2 bytes)
		0xc3, 0x50, 0x00, 0x50, // sport 50000, dport 80
		0x11, 0x22, 0x33, 0x44, // seq
		0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0, // ack, off, SYN, window, sum, urg
	}
	return b
}

func ipv6UDP() []byte {
	b := make([]byte, 40+8+4)
	b[0], b[1], b[2], b[3] = 0x6a, 0xbc, 0xde, 0xf1 // version 6, traffic class 0xab, flow label 0xcdef1
	binary.BigEndian.PutUint16(b[4:], 12)
	b[6], b[7] = 17, 57
	copy(b[8:], netip.MustParseAddr("2001:db8::1").AsSlice())
	copy(b[24:], netip.MustParseAddr("2001:db8:ff::53").AsSlice())
	binary.BigEndian.PutUint16(b[40:], 5353)
	binary.BigEndian.PutUint16(b[42:], 53)
	binary.BigEndian.PutUint16(b[44:], 12)
	return b
}

// TestTraceHashVectors builds the masked bytes from docs/protocol.md's rules
// ("Traceback hash") field by field (not by editing a copy) and compares digests.
func TestTraceHashVectors(t *testing.T) {
	p4 := ipv4TCP()
	// Expected IPv4 input: version/IHL kept, TOS 0, length 0, id kept, flags+offset 0,
	// TTL 0, protocol kept, checksum 0, addresses kept, options zeroed, 8 payload bytes kept.
	var want4 []byte
	want4 = append(want4, 0x46, 0, 0, 0, 0x12, 0x34, 0, 0, 0, 0x06, 0, 0)
	want4 = append(want4, 10, 1, 2, 3, 192, 0, 2, 7, 0, 0, 0, 0)
	want4 = append(want4, 0xc3, 0x50, 0x00, 0x50, 0x11, 0x22, 0x33, 0x44)
	p6 := ipv6UDP()
	// Expected IPv6 input: first byte 0x60 (upper traffic-class nibble cleared),
	// bytes 1..3 as sent (PACKTER's quirk), hop limit 0, first 48 bytes.
	want6 := append([]byte{0x60, 0xbc, 0xde, 0xf1, 0, 12, 17, 0}, p6[8:48]...)
	for _, tc := range []struct {
		name string
		ip   []byte
		v6   bool
		want []byte
	}{
		{"ipv4 with options", p4, false, want4},
		{"ipv6 udp", p6, true, want6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := TraceHash(tc.ip, tc.v6)
			if !ok {
				t.Fatal("no hash")
			}
			want := md5.Sum(tc.want)
			if got != want {
				t.Fatalf("hash %x, want %x", got, want)
			}
			if s := string(AppendHex(nil, got)); s != hex.EncodeToString(want[:]) {
				t.Fatalf("hex %s", s)
			}
		})
	}
	// Fixed literal for the option-less case, computed once with
	// `printf '\x45\0\0\0\0\x01\0\0\0\x11\0\0\x7f\0\0\x01\x7f\0\0\x02\x04\xd2\x16\x2e\0\x08\0\0' | md5sum`.
	udp := []byte{0x45, 0x10, 0x00, 0x1c, 0x00, 0x01, 0x40, 0x00, 0x40, 0x11, 0x12, 0x34, 127, 0, 0, 1, 127, 0, 0, 2,
		0x04, 0xd2, 0x16, 0x2e, 0x00, 0x08, 0x00, 0x00}
	got, _ := TraceHash(udp, false)
	if s := string(AppendHex(nil, got)); s != md5sum(t, []byte{0x45, 0, 0, 0, 0, 1, 0, 0, 0, 0x11, 0, 0, 127, 0, 0, 1, 127, 0, 0, 2, 0x04, 0xd2, 0x16, 0x2e, 0, 8, 0, 0}) {
		t.Fatalf("udp hash %s", s)
	}
	// Too short: no hash.
	if _, ok := TraceHash(p4[:31], false); ok {
		t.Fatal("hashed a packet shorter than IHL*4+8")
	}
	if _, ok := TraceHash(p6[:47], true); ok {
		t.Fatal("hashed an IPv6 packet shorter than 48 bytes")
	}
}

// md5sum runs the md5sum tool when present, so the literal digest comes from
// an implementation other than Go's.
func md5sum(t *testing.T, b []byte) string {
	t.Helper()
	if _, err := exec.LookPath("md5sum"); err != nil {
		s := md5.Sum(b)
		return hex.EncodeToString(s[:])
	}
	cmd := exec.Command("md5sum")
	cmd.Stdin = bytes.NewReader(b)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(out))[0]
}

func TestFlagFor(t *testing.T) {
	for _, tc := range []struct {
		v6    bool
		proto uint8
		flags uint8
		want  int
	}{
		{false, ProtoTCP, TCPAck, 0}, {false, ProtoTCP, TCPSyn, 1}, {false, ProtoTCP, TCPSyn | TCPAck, 1},
		{false, ProtoTCP, TCPSyn | TCPFin | TCPRst, 1}, {false, ProtoTCP, TCPFin | TCPAck, 2}, {false, ProtoTCP, TCPRst, 2},
		{false, ProtoUDP, 0, 3}, {false, ProtoICMP, 0, 4}, {true, ProtoTCP, TCPPsh | TCPAck, 5}, {true, ProtoTCP, TCPSyn, 6},
		{true, ProtoTCP, TCPRst | TCPAck, 7}, {true, ProtoUDP, 0, 8}, {true, ProtoICMPv6, 0, 9},
		{false, ProtoICMPv6, 0, -1}, {true, ProtoICMP, 0, -1}, {false, 47, 0, -1},
	} {
		if got := FlagFor(tc.v6, tc.proto, tc.flags); got != tc.want {
			t.Errorf("FlagFor(%v,%d,%#x) = %d, want %d", tc.v6, tc.proto, tc.flags, got, tc.want)
		}
	}
}

func TestDecodeLinkTypes(t *testing.T) {
	ip := ipv4TCP()
	eth := append([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x00}, ip...)
	vlan := append([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x81, 0x00, 0x00, 0x0a, 0x08, 0x00}, ip...)
	qinq := append([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x88, 0xa8, 0x01, 0x2c, 0x81, 0x00, 0x00, 0x0a, 0x08, 0x00}, ip...)
	null := append([]byte{2, 0, 0, 0}, ip...)
	loop := append([]byte{0, 0, 0, 2}, ip...)
	sll := append(append(make([]byte, 14), 0x08, 0x00), ip...)
	sll2 := append(append([]byte{0x08, 0x00}, make([]byte, 18)...), ip...)
	for _, tc := range []struct {
		name string
		link uint32
		data []byte
	}{
		{"ethernet", LinkEthernet, eth}, {"802.1Q", LinkEthernet, vlan}, {"QinQ", LinkEthernet, qinq},
		{"null", LinkNull, null}, {"loop", LinkLoop, loop}, {"raw", LinkRaw, ip}, {"ipv4", LinkIPv4, ip},
		{"sll", LinkSLL, sll}, {"sll2", LinkSLL2, sll2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p Packet
			if err := Decode(tc.link, tc.data, &p); err != nil {
				t.Fatal(err)
			}
			d := string(p.AppendDesc(nil))
			if d != "TCP src:10.1.2.3(50000) dst:192.0.2.7(80)" || p.Flag() != FlagSYN {
				t.Fatalf("got %q flag %d", d, p.Flag())
			}
		})
	}
	var p Packet
	if err := Decode(999, eth, &p); !errors.Is(err, ErrUnknownLink) {
		t.Fatalf("unknown link: %v", err)
	}
}

func TestDecodeIPv6ExtensionsAndFragments(t *testing.T) {
	base := ipv6UDP()
	// Hop-by-hop (8 bytes) then destination options (16 bytes) then UDP.
	ext := append([]byte{}, base[:40]...)
	ext[6] = 0
	ext = append(ext, 60, 0, 1, 4, 0, 0, 0, 0)                          // HBH -> dest opts, PadN
	ext = append(ext, 17, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) // dest opts (16) -> UDP
	ext = append(ext, base[40:]...)
	binary.BigEndian.PutUint16(ext[4:], uint16(len(ext)-40))
	var p Packet
	if err := Decode(LinkRaw, ext, &p); err != nil {
		t.Fatal(err)
	}
	if got := string(p.AppendDesc(nil)); got != "UDP src:2001:db8::1(5353) dst:2001:db8:ff::53(53)" || p.Flag() != FlagUDP6 {
		t.Fatalf("got %q %d", got, p.Flag())
	}
	// Non-first fragment: ports are not read.
	frag := append([]byte{}, base[:40]...)
	frag[6] = 44
	frag = append(frag, 17, 0, 0x00, 0xa8, 1, 2, 3, 4) // offset 21*8
	frag = append(frag, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0)
	if err := Decode(LinkRaw, frag, &p); err != nil {
		t.Fatal(err)
	}
	if !p.Fragment || p.SPort != 0 || p.DPort != 0 || p.Flag() != FlagUDP6 {
		t.Fatalf("fragment: %+v", p)
	}
	// IPv4 non-first fragment.
	ip := ipv4TCP()
	ip[6], ip[7] = 0x00, 0x10
	if err := Decode(LinkRaw, ip, &p); err != nil || !p.Fragment || p.SPort != 0 || p.Flag() != FlagTCP {
		t.Fatalf("v4 fragment: %v %+v", err, p)
	}
}

func TestDecodeBadInput(t *testing.T) {
	ip := ipv4TCP()
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrShort},
		{"short ip", ip[:19], ErrShort},
		{"ihl beyond data", ip[:22], ErrShort},
		{"truncated tcp", ip[:30], ErrShort},
		{"ihl too small", append([]byte{0x44}, ip[1:]...), ErrMalformed},
		{"total length below header", func() []byte { b := append([]byte{}, ip...); b[3] = 10; return b }(), ErrMalformed},
		{"version 5", append([]byte{0x55}, ip[1:]...), ErrNotIP},
		{"gre", func() []byte { b := append([]byte{}, ip...); b[9] = 47; return b }(), ErrProtocol},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p Packet
			if err := Decode(LinkRaw, tc.data, &p); err != tc.want {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestAppendIPMatchesInetNtop(t *testing.T) {
	for in, want := range map[string]string{
		"::102:304": "::1.2.3.4", "::ffff:1.2.3.4": "::ffff:1.2.3.4", "::1": "::1", "2001:db8::1": "2001:db8::1",
		"2001:db8:0:1:0:0:0:1": "2001:db8:0:1::1", "10.0.0.1": "10.0.0.1",
	} {
		if got := string(AppendIP(nil, netip.MustParseAddr(in))); got != want {
			t.Errorf("AppendIP(%s) = %s, want %s", in, got, want)
		}
	}
}

// readAll reads every frame of a capture.
func readAll(t testing.TB, b []byte) (frames int, err error) {
	rd, err := NewReader(bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	var f Frame
	for {
		if err := rd.Next(&f); err != nil {
			if err == io.EOF {
				return frames, nil
			}
			return frames, err
		}
		frames++
	}
}

// writePcap writes frames with pcapgo in the requested byte order/resolution.
func writePcap(t *testing.T, frames [][]byte, nanos bool, link layers.LinkType) []byte {
	var buf bytes.Buffer
	var w *pcapgo.Writer
	if nanos {
		w = pcapgo.NewWriterNanos(&buf)
	} else {
		w = pcapgo.NewWriter(&buf)
	}
	if err := w.WriteFileHeader(65535, link); err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		ts := time.Unix(1700000000, int64(i)*1234567)
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(f), Length: len(f)}, f); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func TestReaderFormats(t *testing.T) {
	ip := ipv4TCP()
	frames := [][]byte{ip, ip, ip}
	us := writePcap(t, frames, false, layers.LinkTypeRaw)
	ns := writePcap(t, frames, true, layers.LinkTypeRaw)
	// Big-endian copy of the microsecond file, byte-swapped field by field.
	be := swapPcap(us)
	for name, b := range map[string][]byte{"pcap us": us, "pcap ns": ns, "pcap big-endian": be} {
		t.Run(name, func(t *testing.T) {
			rd, err := NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			var f Frame
			for i := 0; i < 3; i++ {
				if err := rd.Next(&f); err != nil {
					t.Fatal(err)
				}
				want := time.Unix(1700000000, int64(i)*1234567)
				if name != "pcap ns" {
					want = want.Truncate(time.Microsecond)
				}
				if !f.Time.Equal(want) || !bytes.Equal(f.Data, ip) || f.Link != LinkRaw {
					t.Fatalf("frame %d: %v %x link %d", i, f.Time, f.Data, f.Link)
				}
			}
			if err := rd.Next(&f); err != io.EOF {
				t.Fatalf("end: %v", err)
			}
		})
	}
}

func swapPcap(b []byte) []byte {
	out := append([]byte{}, b...)
	sw32 := func(o int) { binary.BigEndian.PutUint32(out[o:], binary.LittleEndian.Uint32(b[o:])) }
	sw16 := func(o int) { binary.BigEndian.PutUint16(out[o:], binary.LittleEndian.Uint16(b[o:])) }
	sw32(0)
	sw16(4)
	sw16(6)
	sw32(8)
	sw32(12)
	sw32(16)
	sw32(20)
	for o := 24; o+16 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[o+8:]))
		for i := 0; i < 16; i += 4 {
			sw32(o + i)
		}
		o += 16 + n
	}
	return out
}

func TestReaderBadFiles(t *testing.T) {
	good := samples.Capture()
	n, err := readAll(t, good)
	if err != nil || n < 10000 {
		t.Fatalf("sample: %d frames, %v", n, err)
	}
	ip := ipv4TCP()
	pc := writePcap(t, [][]byte{ip, ip}, false, layers.LinkTypeRaw)
	lying := append([]byte{}, pc...)
	binary.LittleEndian.PutUint32(lying[24+8:], 1<<30) // incl_len of the first record
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrFormat},
		{"text", []byte("hello, this is not a capture at all"), ErrFormat},
		{"short header", pc[:10], ErrFormat},
		{"truncated pcap", pc[:len(pc)-5], ErrTruncated},
		{"truncated pcapng", good[:len(good)-7], ErrTruncated},
		{"lying length", lying, ErrFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readAll(t, tc.b)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// TestAgainstTshark decodes the bundled sample and a capture written by a
// different program, and compares addresses, ports and ICMP type/code with
// what tshark reads from the same file.
func TestAgainstTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark is not installed")
	}
	path := filepath.Join(t.TempDir(), "sample.pcapng")
	if err := os.WriteFile(path, samples.Capture(), 0o644); err != nil {
		t.Fatal(err)
	}
	compareTshark(t, path)
}

func compareTshark(t *testing.T, path string) {
	t.Helper()
	out, err := exec.Command("tshark", "-r", path, "-n", "-T", "fields", "-E", "separator=|",
		"-e", "ip.src", "-e", "ip.dst", "-e", "ipv6.src", "-e", "ipv6.dst",
		"-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "udp.srcport", "-e", "udp.dstport",
		"-e", "icmp.type", "-e", "icmp.code", "-e", "icmpv6.type", "-e", "icmpv6.code", "-e", "tcp.flags").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var f Frame
	var p Packet
	compared := 0
	for i := 0; ; i++ {
		if err := rd.Next(&f); err == io.EOF {
			if i != len(lines) {
				t.Fatalf("we read %d frames, tshark %d", i, len(lines))
			}
			break
		} else if err != nil {
			t.Fatal(err)
		}
		fl := strings.Split(lines[i], "|")
		err := Decode(f.Link, f.Data, &p)
		tsrc, tdst := first(fl[0]), first(fl[1])
		if fl[2] != "" {
			tsrc, tdst = first(fl[2]), first(fl[3])
		}
		if err == ErrNotIP {
			if tsrc != "" {
				t.Fatalf("frame %d: tshark sees IP %s, we see none", i+1, tsrc)
			}
			continue
		}
		if err != nil {
			continue // tshark decodes protocols we ignore
		}
		if p.Src.String() != tsrc || p.Dst.String() != tdst {
			t.Fatalf("frame %d: %s > %s, tshark %s > %s", i+1, p.Src, p.Dst, tsrc, tdst)
		}
		var sp, dp string
		switch {
		case p.Fragment:
			continue
		case p.Proto == ProtoTCP:
			sp, dp = fl[4], fl[5]
			tf, _ := strconv.ParseUint(strings.TrimPrefix(fl[12], "0x"), 16, 16)
			if uint8(tf) != p.TCPFlags {
				t.Fatalf("frame %d: tcp flags %#x, tshark %s", i+1, p.TCPFlags, fl[12])
			}
		case p.Proto == ProtoUDP:
			sp, dp = first(fl[6]), first(fl[7])
		case p.V6:
			sp, dp = fl[10], fl[11]
		default:
			sp, dp = first(fl[8]), first(fl[9])
		}
		if sp == "" && dp == "" && strings.Trim(strings.Join(fl[4:12], ""), " ") == "" {
			continue // a first fragment: tshark decodes its transport only after reassembly
		}
		var ws, wd string
		if p.Proto == ProtoTCP || p.Proto == ProtoUDP {
			ws, wd = strconv.Itoa(int(p.SPort)), strconv.Itoa(int(p.DPort))
		} else {
			ws, wd = strconv.Itoa(int(p.ICMPType)), strconv.Itoa(int(p.ICMPCode))
		}
		if ws != sp || wd != dp {
			t.Fatalf("frame %d: ports %s/%s, tshark %s/%s (%s)", i+1, ws, wd, sp, dp, lines[i])
		}
		compared++
	}
	if compared < 100 {
		t.Fatalf("only %d packets compared", compared)
	}
	t.Logf("%d packets agree with tshark", compared)
}

// first is the outer value of a tshark field that lists several (ICMP errors
// quote the offending packet's header).
func first(s string) string {
	s, _, _ = strings.Cut(s, ",")
	return s
}
