package display

import (
	"net"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	for _, c := range []struct {
		in, host, num string
		ok            bool
	}{
		{":0", "", "0", true}, {":99.0", "", "99", true}, {"unix:1", "unix", "1", true},
		{"host:10.0", "host", "10", true}, {"[::1]:2", "[::1]", "2", true},
		{"0", "", "", false}, {":", "", "", false}, {":x", "", "", false}, {":1x", "", "", false},
	} {
		h, n, ok := split(c.in)
		if h != c.host || n != c.num || ok != c.ok {
			t.Errorf("split(%q) = %q %q %v", c.in, h, n, ok)
		}
	}
}

func TestMissing(t *testing.T) {
	if m := Missing("", ""); !strings.Contains(m, "DISPLAY is not set") {
		t.Errorf("no DISPLAY: %q", m)
	}
	if m := Missing("", "wayland-0"); !strings.Contains(m, "XWayland") {
		t.Errorf("Wayland only: %q", m)
	}
	if m := Missing(":98765", ""); !strings.Contains(m, "nothing answers") {
		t.Errorf("dead display: %q", m)
	}
	if m := Missing("remote:0", ""); m != "" {
		t.Errorf("remote display judged here: %q", m)
	}
	// A display with a listening socket passes: stand one up on an abstract
	// socket named as X would name display 987654.
	l, err := net.Listen("unix", "@/tmp/.X11-unix/X987654")
	if err != nil {
		t.Skipf("cannot listen on an abstract socket: %v", err)
	}
	defer l.Close()
	if m := Missing(":987654", ""); m != "" {
		t.Errorf("listening display refused: %q", m)
	}
}
