package capture

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/packter/packter/capture/internal/gen"
)

// TestGeneratedAgainstTshark asks Wireshark's dissectors about every test
// capture: for each frame that must give a record, the innermost IP header
// with a TCP, UDP or ICMP header after it must have the addresses and ports
// the generator promises. This checks the generator's bytes against an
// implementation we did not write. Link types tshark cannot read (166, 205
// in Wireshark 4.0) are skipped with a log line.
func TestGeneratedAgainstTshark(t *testing.T) {
	if testing.Short() {
		t.Skip("runs tshark once per capture")
	}
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark is not installed")
	}
	for _, c := range gen.Cases() {
		t.Run(c.File, func(t *testing.T) {
			out, err := exec.Command("tshark", "-r", filepath.Join("testdata", c.File), "-n", "-T", "fields", "-E", "separator=|",
				"-e", "frame.protocols", "-e", "ip.src", "-e", "ip.dst", "-e", "ipv6.src", "-e", "ipv6.dst",
				"-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "udp.srcport", "-e", "udp.dstport",
				"-e", "icmp.type", "-e", "icmp.code").CombinedOutput()
			if err != nil {
				if strings.Contains(string(out), "unknown or unsupported") {
					t.Skipf("tshark cannot read link type %d", c.Link)
				}
				t.Fatalf("tshark: %v: %s", err, out)
			}
			var lines []string
			for _, l := range strings.Split(string(out), "\n") {
				if strings.Count(l, "|") == 10 {
					lines = append(lines, l)
				}
			}
			if len(lines) != len(c.Frames) {
				t.Fatalf("tshark read %d frames, want %d", len(lines), len(c.Frames))
			}
			for i, f := range c.Frames {
				if f.Want == "" {
					continue
				}
				if got := tsharkRecord(lines[i]); got != f.Want {
					t.Errorf("frame %d: Wireshark finds %q, the generator promises %q (%s)", i+1, got, f.Want, lines[i])
				}
			}
		})
	}
}

// tsharkRecord builds PACKTER's description from tshark's fields: the family
// is the last ip or ipv6 before the transport in frame.protocols, and the
// addresses are that family's last (innermost) values.
func tsharkRecord(line string) string {
	f := strings.Split(line, "|")
	protos := strings.Split(f[0], ":")
	v6, transport := false, ""
	for _, p := range protos {
		switch p {
		case "ip":
			v6 = false
		case "ipv6":
			v6 = true
		case "tcp", "udp", "icmp", "icmpv6":
			if transport == "" {
				transport = p
			}
		}
		if transport != "" {
			break
		}
	}
	last := func(s string) string { return s[strings.LastIndexByte(s, ',')+1:] }
	src, dst := last(f[1]), last(f[2])
	if v6 {
		src, dst = last(f[3]), last(f[4])
	}
	switch transport {
	case "tcp":
		return "TCP src:" + src + "(" + f[5] + ") dst:" + dst + "(" + f[6] + ")"
	case "udp":
		return "UDP src:" + src + "(" + f[7] + ") dst:" + dst + "(" + f[8] + ")"
	case "icmp":
		return "ICMPv4 src:" + src + " dst:" + dst + " (type:" + f[9] + " code:" + f[10] + ")"
	}
	return "no transport: " + f[0]
}
