// Package display tells whether packter-board can open a display, and holds
// its help text; package needdisplay acts on it before Ebiten starts. Like
// needdisplay it imports only os and syscall (see there why).
package display

import (
	"syscall"
)

// Usage is packter-board's help text. It lives here so that --help works
// without a display too.
const Usage = `Usage: packter-board [flags]

The visual board: PACKTER's sender and receiver boards with a ball flying
from one to the other for every record. Standalone it is a PACKTER viewer
listening for datagrams, with its own timeline to rewind; started by
'packter monitor --board' it follows the monitor's timeline: rewinding in the
console moves the board, and the board's rewind moves the console.

Flags:
  --listen ADDR       receive PACKTER datagrams on ADDR (default 127.0.0.1:11300)
  --stdin             follow the monitor's feed on standard input (clock and
                      journal lines) and write timeline requests on standard output
  --assets DIR        directory of the pictures and sky textures messages name
  --tc-port PORT      traceback client port when a record names none (default 11301)
  --trace-client HOST[:PORT]  a traceback client off this machine T may send to
                      (repeatable; loopback is always allowed)
  --size WxH          window size (default 1024x640)
  --fly D             flight time of a ball (default 3s)
  --max-balls N       balls in flight at most; more are dropped and counted (default 200000)
  --budget N          balls drawn one by one at most, the rest as density
                      (default 0: adapt to keep 30 frames a second, from 50000)
  --history N         records kept for rewinding when standalone (default 1000000)
  --globe             start on the globe (G switches): PACKTEARTH records
                      fly between countries, as on PACKTER 3.0's globe
  --readout           start with the frame rate readout shown (H), also
                      printed on stderr once a second as "status: ... fps=..."
  --screenshot PNG    write frame --frames as a PNG and exit
  --frames N          the frame to write (default 60)
  --wait-records K    count --frames only once K records have arrived (default 0)
  --synthetic N       keep N synthetic balls flying (load test; needs no input)
  --measure D         with --synthetic: print the frame rate over D and exit
  --vsync=false       do not wait for the vertical blank (use under Xvfb and
                      other virtual displays, which have none)
  -d                  debug: more status lines, and the X library's own messages
  --help              this help

Keys: click selects a ball, drag turns the view, the wheel zooms; T traces the
selected packet; Tab/N next, Shift+Tab previous; Space pauses, B rewinds 10 s,
L goes live; arrows/WASD turn, +/- zoom, R resets the view; H shows the frame
rate and balls in flight; G shows the globe (PACKTEARTH records) or the
boards; F1 or ? shows all keys.

The status line says LIVE, REWIND -0:42 x1 (playing back 42 s behind) or
PAUSED -0:42, and "showing N of M in flight" when not every ball is drawn.
Messages from the board itself go to stderr as lines starting "status: ".
`

// Missing returns why no X display can be opened ("" when one can, as far as
// a cheap check can tell): DISPLAY unset, or a local display with no server
// listening on its socket. (Ebiten's GLFW speaks X11; on Wayland it needs
// XWayland, which sets DISPLAY.)
func Missing(display, wayland string) string {
	if display == "" {
		if wayland != "" {
			return "no X display: WAYLAND_DISPLAY is set but DISPLAY is not (the board needs XWayland); run it under xvfb-run for screenshots."
		}
		return "no display: DISPLAY is not set (run it on a desktop, or under xvfb-run for screenshots)."
	}
	host, num, ok := split(display)
	if !ok || (host != "" && host != "unix") {
		return "" // remote or unusual displays: let the X library judge
	}
	path := "/tmp/.X11-unix/X" + num
	for _, name := range []string{"@" + path, path} {
		if dial(name) {
			return ""
		}
	}
	return "no display: nothing answers on DISPLAY " + display + " (is the X server running?)."
}

// split parses [host]:N[.S].
func split(d string) (host, num string, ok bool) {
	i := len(d) - 1
	for i >= 0 && d[i] != ':' {
		i--
	}
	if i < 0 {
		return "", "", false
	}
	host, rest := d[:i], d[i+1:]
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	if n == 0 || (n < len(rest) && rest[n] != '.') {
		return "", "", false
	}
	return host, rest[:n], true
}

func dial(name string) bool {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer syscall.Close(fd)
	return syscall.Connect(fd, &syscall.SockaddrUnix{Name: name}) == nil
}
