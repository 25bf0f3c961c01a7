// Package journal is the monitor's record format: one JSON object per line per
// event (fields: docs/cli.md, "packter monitor"), written by --record and read
// back by --replay and by the board's feed.
package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/packter/packter/event"
	"github.com/packter/packter/protocol"
)

// MaxLine bounds one journal line when reading.
const MaxLine = 1 << 20

// Append appends ev as one JSON line (with its newline) to dst.
func Append(dst []byte, ev *event.Event) []byte {
	dst = append(dst, `{"time":"`...)
	dst = ev.Time.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","kind":"`...)
	dst = append(dst, ev.Kind.String()...)
	dst = append(dst, '"')
	switch ev.Kind {
	case event.KindPacket:
		dst = append(dst, `,"src":"`...)
		dst = ev.Src.AppendText(dst)
		dst = append(dst, `","dst":"`...)
		dst = ev.Dst.AppendText(dst)
		dst = append(dst, `","sport":`...)
		dst = ev.SPort.AppendText(dst)
		dst = append(dst, `,"dport":`...)
		dst = ev.DPort.AppendText(dst)
		dst = appendFlag(dst, ev)
		dst = appendString(dst, "desc", ev.Desc.String())
	case event.KindEarth:
		for i, v := range [4]float64{ev.Lat1, ev.Lon1, ev.Lat2, ev.Lon2} {
			dst = append(dst, `,"`...)
			dst = append(dst, earthNames[i]...)
			dst = append(dst, `":`...)
			dst = strconv.AppendFloat(dst, v, 'f', -1, 64)
		}
		dst = appendFlag(dst, ev)
		dst = appendString(dst, "desc", ev.Desc.String())
	default:
		dst = appendString(dst, "text", ev.Text.String())
		dst = appendString(dst, "file", ev.File.String())
		if ev.Kind == event.KindSound {
			dst = append(dst, `,"millis":`...)
			dst = strconv.AppendInt(dst, int64(ev.Millis), 10)
		}
	}
	dst = appendString(dst, "agent", ev.Agent.String())
	if !ev.Agent.Empty() {
		dst = append(dst, `,"authed":`...)
		dst = strconv.AppendBool(dst, ev.Authed)
	}
	return append(dst, "}\n"...)
}

var earthNames = [4]string{"lat1", "lon1", "lat2", "lon2"}

func appendFlag(dst []byte, ev *event.Event) []byte {
	dst = append(dst, `,"flag":`...)
	dst = strconv.AppendInt(dst, int64(ev.Flag), 10)
	return appendString(dst, "model", ev.Model.String())
}

// appendString appends `,"name":"value"` unless value is empty, escaping as
// JSON requires (invalid UTF-8 becomes U+FFFD).
func appendString(dst []byte, name, v string) []byte {
	if v == "" {
		return dst
	}
	dst = append(dst, `,"`...)
	dst = append(dst, name...)
	dst = append(dst, `":"`...)
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, `\n`...)
			case c == '\r':
				dst = append(dst, `\r`...)
			case c == '\t':
				dst = append(dst, `\t`...)
			case c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&':
				dst = append(dst, `\u00`...)
				dst = append(dst, hexDigits[c>>4], hexDigits[c&15])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(v[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			dst = append(dst, `\u202`...)
			dst = append(dst, hexDigits[r&15])
		} else {
			dst = append(dst, v[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

// Writer writes a journal through a buffer; Flush on exit.
type Writer struct {
	w   *bufio.Writer
	buf []byte
}

// NewWriter wraps w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: bufio.NewWriterSize(w, 256<<10)} }

// Write appends one event.
func (j *Writer) Write(ev *event.Event) error {
	j.buf = Append(j.buf[:0], ev)
	_, err := j.w.Write(j.buf)
	return err
}

// Flush writes out what is buffered.
func (j *Writer) Flush() error { return j.w.Flush() }

// line is the JSON shape of one event.
type line struct {
	Time   string      `json:"time"`
	Kind   string      `json:"kind"`
	Src    string      `json:"src"`
	Dst    string      `json:"dst"`
	SPort  json.Number `json:"sport"`
	DPort  json.Number `json:"dport"`
	Flag   int         `json:"flag"`
	Model  string      `json:"model"`
	Desc   string      `json:"desc"`
	Text   string      `json:"text"`
	File   string      `json:"file"`
	Millis int         `json:"millis"`
	Agent  string      `json:"agent"`
	Authed bool        `json:"authed"`
	Lat1   float64     `json:"lat1"`
	Lon1   float64     `json:"lon1"`
	Lat2   float64     `json:"lat2"`
	Lon2   float64     `json:"lon2"`
}

// Decoder reads a journal line by line. A bad line, even one longer than
// MaxLine, costs only itself: Next says which line it was and goes on.
type Decoder struct {
	r    *bufio.Reader
	line int
	long bool // inside a line longer than MaxLine, skipping to its end
}

// NewDecoder reads from r.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{r: bufio.NewReaderSize(r, MaxLine)}
}

// ErrLine wraps what was wrong with one journal line.
var ErrLine = errors.New("bad journal line")

// Line is the number of the line Next read last (from 1).
func (d *Decoder) Line() int { return d.line }

// Next decodes the next event into ev. It returns io.EOF at the end; a bad line
// returns an error wrapping ErrLine and the decoder can go on with the next.
func (d *Decoder) Next(ev *event.Event) error {
	for {
		b, err := d.r.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			// Longer than MaxLine: skip the rest of it, then report it once.
			if !d.long {
				d.long = true
			}
			continue
		case d.long:
			d.long = false
			d.line++
			if err != nil && len(b) == 0 && !errors.Is(err, io.EOF) {
				return fmt.Errorf("line %d: %w", d.line, err)
			}
			return fmt.Errorf("line %d: %w: longer than %d bytes", d.line, ErrLine, MaxLine)
		case err != nil && !errors.Is(err, io.EOF):
			return fmt.Errorf("line %d: %w", d.line+1, err)
		case len(b) == 0 && err != nil:
			return io.EOF
		}
		d.line++
		b = bytes.TrimRight(b, "\r\n")
		if len(b) == 0 {
			if err != nil {
				return io.EOF
			}
			continue
		}
		if uerr := Unmarshal(b, ev); uerr != nil {
			return fmt.Errorf("line %d: %w", d.line, uerr)
		}
		return nil
	}
}

// Unmarshal decodes one journal line.
func Unmarshal(b []byte, ev *event.Event) error {
	var l line
	if err := json.Unmarshal(b, &l); err != nil {
		return fmt.Errorf("%w: %v", ErrLine, err)
	}
	t, err := time.Parse(time.RFC3339Nano, l.Time)
	if err != nil {
		return fmt.Errorf("%w: time: %v", ErrLine, err)
	}
	k, ok := event.ParseKind(l.Kind)
	if !ok {
		return fmt.Errorf("%w: unknown kind %q", ErrLine, l.Kind)
	}
	*ev = event.Event{
		// A journal is a file anyone could have written: its text is
		// cleaned like the wire's.
		Time: t, Kind: k, Flag: l.Flag, Millis: l.Millis, Authed: l.Authed,
		Model: event.CleanText(l.Model, event.MaxName), Desc: event.CleanText(l.Desc, event.MaxDesc),
		Text: event.CleanText(l.Text, event.MaxText), File: event.CleanText(l.File, event.MaxName),
		Agent: event.CleanText(l.Agent, event.MaxName),
		Lat1:  l.Lat1, Lon1: l.Lon1, Lat2: l.Lat2, Lon2: l.Lon2,
	}
	if k != event.KindPacket {
		return nil
	}
	if ev.Src, err = parseAddr(l.Src); err != nil {
		return fmt.Errorf("%w: src: %v", ErrLine, err)
	}
	if ev.Dst, err = parseAddr(l.Dst); err != nil {
		return fmt.Errorf("%w: dst: %v", ErrLine, err)
	}
	if ev.SPort, err = parsePort(l.SPort); err != nil {
		return fmt.Errorf("%w: sport: %v", ErrLine, err)
	}
	if ev.DPort, err = parsePort(l.DPort); err != nil {
		return fmt.Errorf("%w: dport: %v", ErrLine, err)
	}
	return nil
}

func parseAddr(s string) (protocol.Addr, error) {
	if ip, err := netip.ParseAddr(s); err == nil {
		return protocol.AddrFrom(ip), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || v >= 1 {
		return protocol.Addr{}, fmt.Errorf("%q is neither an address nor in [0,1)", s)
	}
	return protocol.NormAddr(v), nil
}

func parsePort(n json.Number) (protocol.Port, error) {
	if n == "" {
		return protocol.Port{}, nil
	}
	if v, err := strconv.ParseUint(string(n), 10, 32); err == nil && v <= 65536 {
		return protocol.PortFrom(uint32(v)), nil
	}
	v, err := strconv.ParseFloat(string(n), 64)
	if err != nil || v < 0 || v > 1 {
		return protocol.Port{}, fmt.Errorf("%q is neither a port nor in [0,1]", n)
	}
	return protocol.Port{Norm: v, IsNorm: true}, nil
}
