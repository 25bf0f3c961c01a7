package console

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/packter/packter/event"
	"github.com/packter/packter/protocol"
)

func pkt(src, dst string, sp, dp uint32, flag int, desc string) event.Event {
	return event.Event{
		Kind: event.KindPacket,
		Src:  protocol.AddrFrom(netip.MustParseAddr(src)), Dst: protocol.AddrFrom(netip.MustParseAddr(dst)),
		SPort: protocol.PortFrom(sp), DPort: protocol.PortFrom(dp), Flag: flag, Desc: event.CleanText(desc, event.MaxText),
	}
}

func TestDescribe(t *testing.T) {
	icmp := pkt("10.0.0.1", "10.0.0.2", 0, 0, 4, "ICMPv4 src:10.0.0.1 dst:10.0.0.2 (type:8 code:0)")
	icmp.SPort, icmp.DPort = protocol.ICMPPorts(8, 3)
	flood := pkt("192.0.2.1", "10.0.0.2", 1, 80, 0, "flood")
	flood.Model = event.CleanText("missile", event.MaxText)
	norm := event.Event{Kind: event.KindPacket, Src: protocol.NormAddr(0.25), Dst: protocol.NormAddr(0.5),
		SPort: protocol.Port{Norm: 0.5, IsNorm: true}, DPort: protocol.PortFrom(80), Flag: 13}
	tests := []struct {
		name string
		ev   event.Event
		want string
	}{
		{"syn", pkt("10.0.0.1", "127.0.0.1", 60000, 80, 1, "TCP src:10.0.0.1(60000) dst:127.0.0.1(80)"),
			"TCP SYN from 10.0.0.1 port 60000 to 127.0.0.1 port 80"},
		{"base added to flag", pkt("10.0.0.1", "127.0.0.1", 5353, 53, 23, ""),
			"UDP from 10.0.0.1 port 5353 to 127.0.0.1 port 53"},
		{"ipv6 fin", pkt("2001:db8::1", "2001:db8::2", 443, 5000, 7, "custom words"),
			"IPv6 TCP FIN or RST from 2001:db8::1 port 443 to 2001:db8::2 port 5000, custom words"},
		{"traceable", pkt("10.0.0.1", "10.0.0.2", 1, 2, 0, "0123456789abcdef0123456789abcdef-tc.example"),
			"TCP from 10.0.0.1 port 1 to 10.0.0.2 port 2"},
		{"icmp type and code", icmp, "ICMP from 10.0.0.1 type 8 to 10.0.0.2 code 3"},
		{"flood", flood, "Flood from 192.0.2.1 port 1 to 10.0.0.2 port 80, flood"},
		{"incident first", pkt("10.0.0.9", "10.0.0.2", 1, 2, 0, "Incident:SCAN nmap sid:1 gen:1 rev:1"),
			"Incident:SCAN nmap sid:1 gen:1 rev:1, TCP from 10.0.0.9 port 1 to 10.0.0.2 port 2"},
		{"normalised", norm, "UDP from 0.25 position 0.5 to 0.5 port 80"},
		{"message html and controls", event.Event{Kind: event.KindMessage, Text: event.CleanText("Traceback<br>trial\x1b[2J \a succeeded", event.MaxText)},
			"Message: Traceback trial[2J succeeded"}, // ESC and BEL gone when the text was made
		{"alert", event.Event{Kind: event.KindAlert, Text: event.CleanText("SYN flood to 10.0.0.2", event.MaxText)}, "Alert: SYN flood to 10.0.0.2"},
		{"sound file", event.Event{Kind: event.KindSE, File: event.CleanText("se1.wav", event.MaxText)}, "Sound effect: se1.wav"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Describe(&tc.ev); got != tc.want {
				t.Errorf("Describe = %q\nwant       %q", got, tc.want)
			}
		})
	}
}

func TestAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second: "0s", 400 * time.Millisecond: "0.4s", 12 * time.Second: "12s",
		3 * time.Minute: "3m", 5 * time.Hour: "5h",
	} {
		if got := Age(d); got != want {
			t.Errorf("Age(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestFilter(t *testing.T) {
	syn4 := pkt("10.0.0.1", "127.0.0.1", 60000, 80, 1, "")
	udp6 := pkt("2001:db8::1", "2001:db8::2", 5353, 53, 8, "mdns query")
	trace := pkt("192.0.2.7", "127.0.0.1", 1, 443, 10, "0123456789abcdef0123456789abcdef-tc")
	flood := pkt("192.0.2.1", "10.0.0.2", 1, 80, 0, "")
	flood.Model = event.CleanText("missile", event.MaxText)
	msg := event.Event{Kind: event.KindMessage, Text: event.CleanText("tcp", event.MaxText)}
	all := []event.Event{syn4, udp6, trace, flood, msg}
	checkFilters(t, all, []filterCase{
		{"", []bool{true, true, true, true, false}},
		{"tcp", []bool{true, false, true, false, false}},
		{"TCP SYN", []bool{true, false, false, false, false}},
		{"v6 udp", []bool{false, true, false, false, false}},
		{"syn udp", []bool{false, false, false, false, false}},
		{"flag:8", []bool{false, true, false, false, false}},
		{"flag=11", []bool{true, false, false, false, false}},
		{"10.0.0.0/8", []bool{true, false, false, true, false}},
		{"addr:2001:db8::2", []bool{false, true, false, false, false}},
		{"port:53", []bool{false, true, false, false, false}},
		{"80", []bool{true, false, false, true, false}},
		{"traceable", []bool{false, false, true, false, false}},
		{"flood", []bool{false, false, false, true, false}},
		{"MDNS", []bool{false, true, false, false, false}},
		{"from 10.0.0.0/8", []bool{true, false, false, false, false}},
		{"to 10.0.0.0/8", []bool{false, false, false, true, false}},
		{"src:192.0.2.0/24 tcp", []bool{false, false, true, false, false}}, // a flood record has no class
		{"dst:127.0.0.1 traceable", []bool{false, false, true, false, false}},
		{"from 2001:db8::1 to 2001:db8::2", []bool{false, true, false, false, false}},
		{"to", []bool{false, false, false, false, false}}, // a word of the description
	}, "flag:x", "port:70000", "port:-1", "from:nowhere")
}

func TestFilterMatchAllocatesNothing(t *testing.T) {
	f, err := ParseFilter("tcp 10.0.0.0/8 port:80 words")
	if err != nil {
		t.Fatal(err)
	}
	ev := pkt("10.0.0.1", "127.0.0.1", 60000, 80, 1, "some Words here")
	if n := testing.AllocsPerRun(100, func() { f.Match(&ev) }); n != 0 {
		t.Errorf("Match allocates %v times", n)
	}
	if !f.Match(&ev) {
		t.Error("filter should match")
	}
}

func TestKeyMapHelpCoversEveryBinding(t *testing.T) {
	km := DefaultKeyMap()
	lines := km.HelpLines()
	if len(lines) != len(km.Bindings()) {
		t.Fatalf("%d help lines for %d bindings", len(lines), len(km.Bindings()))
	}
	seen := map[string]string{}
	for _, b := range km.Bindings() {
		if b.Help().Key == "" || b.Help().Desc == "" {
			t.Errorf("binding %v has no help", b.Keys())
		}
		for _, k := range b.Keys() {
			if other, dup := seen[k]; dup {
				t.Errorf("key %q bound twice (%s, %s)", k, other, b.Help().Desc)
			}
			seen[k] = b.Help().Desc
		}
	}
}

func TestUseAccessible(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	pts := openPTY(t)
	tests := []struct {
		name string
		flag bool
		out  any
		env  func(string) string
		want bool
	}{
		{"terminal", false, pts, env("TERM", "xterm"), false},
		{"flag", true, pts, env("TERM", "xterm"), true},
		{"ACCESSIBLE=1", false, pts, env("TERM", "xterm", "ACCESSIBLE", "1"), true},
		{"ACCESSIBLE=0", false, pts, env("TERM", "xterm", "ACCESSIBLE", "0"), false},
		{"TERM=dumb", false, pts, env("TERM", "dumb"), true},
		{"not a terminal", false, &strings.Builder{}, env("TERM", "xterm"), true},
		{"a plain file", false, os.Stderr, env("TERM", "xterm"), !isTerminal(os.Stderr)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := UseAccessible(tc.flag, tc.out.(io.Writer), tc.env); got != tc.want {
				t.Errorf("UseAccessible = %v, want %v", got, tc.want)
			}
		})
	}
	if !NoColorEnv(env("NO_COLOR", "1")) || NoColorEnv(env()) {
		t.Error("NoColorEnv does not follow NO_COLOR")
	}
}

// openPTY returns the terminal end of a new pseudo-terminal.
func openPTY(t *testing.T) *os.File {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { ptmx.Close() })
	if err := unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pts.Close() })
	return pts
}

// filterCase is a filter and, for each event of a test's list, whether it
// matches.
type filterCase struct {
	filter string
	want   []bool
}

// checkFilters checks each case against every event, and that each of bad
// is refused.
func checkFilters(t *testing.T, all []event.Event, cases []filterCase, bad ...string) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.filter, func(t *testing.T) {
			f, err := ParseFilter(tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			for i := range all {
				if got := f.Match(&all[i]); got != tc.want[i] {
					t.Errorf("event %d (%s): Match = %v, want %v", i, Describe(&all[i]), got, tc.want[i])
				}
			}
		})
	}
	for _, b := range bad {
		if _, err := ParseFilter(b); err == nil {
			t.Errorf("ParseFilter(%q) accepted", b)
		}
	}
}
