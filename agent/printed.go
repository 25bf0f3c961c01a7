package agent

import (
	"bytes"
	"errors"
	"strconv"
	"time"
)

// Printed is one datagram of `packter agent -n` output (or PACKTER's
// pt_agent -n, which prints the same).
type Printed struct {
	Time  time.Time // from its TIME line; zero when the text had none
	Timed bool      // a TIME line came before it
	Data  []byte    // the datagram's text, as it would be sent (a slice of the input)
}

// ErrPrinted is returned for text that is not -n output.
var ErrPrinted = errors.New("not agent -n output")

// SplitPrinted splits -n output into datagrams. It accepts the text with TIME
// lines (what PACKTER's agents and ours print) or without (what Packter
// printed before): with TIME lines, each one starts a datagram; without, a
// datagram starts at each header line (PACKTER, PACKTERMSG, …, or a
// PACKTERAGENT line with the header after it). A datagram that does not end
// in a newline (PACKTERSE's does not) runs into the next TIME line or header
// on the same line, as PACKTER prints it; the split is made there. Data
// slices alias b.
func SplitPrinted(b []byte) ([]Printed, error) {
	var out []Printed
	timed := false
	start := -1 // start of the current datagram's data, -1 for none
	afterAgent := false
	for off := 0; off < len(b); {
		end := bytes.IndexByte(b[off:], '\n')
		next := len(b)
		if end >= 0 {
			end += off
			next = end + 1
		} else {
			end = len(b)
		}
		line := b[off:end]
		if at, ts, ok := timeLine(line); ok && (timed || len(out) == 0 && start < 0) {
			out = closePrinted(out, b, start, off+at)
			out = append(out, Printed{Time: ts, Timed: true})
			timed, start, afterAgent = true, next, false
			off = next
			continue
		}
		if !timed {
			if at, ok := headerAt(line); ok && !(afterAgent && at == 0) {
				out = closePrinted(out, b, start, off+at)
				out = append(out, Printed{})
				start = off + at
			}
			afterAgent = bytes.HasPrefix(line, []byte("PACKTERAGENT "))
		}
		if start < 0 {
			return nil, ErrPrinted
		}
		off = next
	}
	return closePrinted(out, b, start, len(b)), nil
}

// closePrinted ends the last datagram in out at end.
func closePrinted(out []Printed, b []byte, start, end int) []Printed {
	if len(out) > 0 && start >= 0 && start <= end {
		out[len(out)-1].Data = b[start:end]
	}
	return out
}

// timeLine finds "TIME <sec> <usec>" ending line (PACKTER prints it right
// after a datagram that has no final newline) and returns where it starts.
func timeLine(line []byte) (int, time.Time, bool) {
	at := bytes.LastIndex(line, []byte("TIME "))
	if at < 0 {
		return 0, time.Time{}, false
	}
	sec, usec, ok := bytes.Cut(line[at+len("TIME "):], []byte(" "))
	if !ok {
		return 0, time.Time{}, false
	}
	s, err1 := strconv.ParseInt(string(sec), 10, 64)
	u, err2 := strconv.ParseInt(string(usec), 10, 64)
	if err1 != nil || err2 != nil || s < 0 || u < 0 || u >= 1e6 || s > 1<<40 {
		return 0, time.Time{}, false
	}
	return at, time.Unix(s, u*1000), true
}

// headers are the first lines a datagram can start with.
var headers = [][]byte{[]byte("PACKTER"), []byte("PACKTERMSG"), []byte("PACKTERMESG"), []byte("PACKTERHTML"),
	[]byte("PACKTERSOUND"), []byte("PACKTERSE"), []byte("PACKTERVOICE"), []byte("PACKTERSKYDOMETEXTURE"),
	[]byte("PACKTEARTH"), []byte("PACKTERBALLISTIC"), []byte("PACKTERWITHGATEWAY")}

// headerAt reports whether line is a header line, or ends in one (after a
// datagram without a final newline), and where the header starts.
func headerAt(line []byte) (int, bool) {
	line = bytes.TrimSuffix(line, []byte("\r"))
	if bytes.HasPrefix(line, []byte("PACKTERAGENT ")) {
		return 0, true
	}
	best := -1
	for _, h := range headers {
		if bytes.HasSuffix(line, h) && (best < 0 || len(line)-len(h) < best) {
			best = len(line) - len(h)
		}
	}
	return best, best >= 0
}
