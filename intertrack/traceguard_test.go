package intertrack

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/packter/packter/event"
)

func TestCheckTraceClient(t *testing.T) {
	local := []netip.Addr{netip.MustParseAddr("192.0.2.5"), netip.MustParseAddr("2001:db8::5")}
	for _, c := range []struct {
		name    string
		host    string
		allowed []string
		ok      bool
	}{
		{"loopback v4", "127.0.0.1", nil, true},
		{"loopback v4 with a port", "127.0.0.2:9999", nil, true},
		{"loopback v6", "[::1]:11301", nil, true},
		{"loopback v6 without a port", "::1", nil, true},
		{"localhost", "LocalHost", nil, true},
		{"this machine's address", "192.0.2.5", nil, true},
		{"this machine's v6 address", "[2001:db8::5]:11301", nil, true},
		{"v4-mapped loopback", "[::ffff:127.0.0.1]:11301", nil, true},
		{"another host", "203.0.113.9", nil, false},
		{"another host with a port", "203.0.113.9:53", nil, false},
		{"a name", "tc.example", nil, false},
		{"a name that says local", "localhost.evil.example", nil, false},
		{"configured host, any port", "203.0.113.9:53", []string{"203.0.113.9"}, true},
		{"configured host and port", "203.0.113.9", []string{"203.0.113.9:11301"}, true},
		{"configured host, other port", "203.0.113.9:53", []string{"203.0.113.9:11301"}, false},
		{"configured name, other case", "TC.example", []string{"tc.example"}, true},
		{"configured v6 written another way", "[2001:db8:0:0::9]:11301", []string{"2001:db8::9"}, true},
		{"configured v6 with a port", "2001:db8::9", []string{"[2001:db8::9]:11301"}, true},
		{"another configured host", "203.0.113.10", []string{"203.0.113.9"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := checkTraceClient(c.host, 11301, c.allowed, local)
			if c.ok && err != nil {
				t.Errorf("refused: %v", err)
			}
			if !c.ok && !errors.Is(err, ErrTraceClientNotAllowed) {
				t.Errorf("err = %v, want ErrTraceClientNotAllowed", err)
			}
		})
	}
}

func TestTraceClientErrorSaysHowToAllow(t *testing.T) {
	err := checkTraceClient("203.0.113.9", 11301, nil, nil)
	want := "not sent: the traceback client 203.0.113.9:11301 is not on this machine; allow it with --trace-client 203.0.113.9"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
	err = checkTraceClient("[2001:db8::9]:7", 11301, nil, nil)
	if err == nil || !strings.HasSuffix(err.Error(), "--trace-client 2001:db8::9") {
		t.Errorf("err = %v", err)
	}
}

// LaunchTrace itself refuses a client off this machine unless allowed: the
// console's T and the board's both go through it.
func TestLaunchTraceGuarded(t *testing.T) {
	ev := &event.Event{Desc: event.CleanText("0123456789abcdef0123456789abcdef-203.0.113.9", event.MaxText)}
	if err := LaunchTrace(t.Context(), ev, 0); !errors.Is(err, ErrTraceClientNotAllowed) {
		t.Errorf("not allowed: %v", err)
	}
	// Allowed on another port only: still refused on the default port.
	if err := LaunchTrace(t.Context(), ev, 0, "203.0.113.9:9"); !errors.Is(err, ErrTraceClientNotAllowed) {
		t.Errorf("allowed on port 9 only: %v", err)
	}
}
