package sonify

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/protocol"
	"github.com/packter/packter/sounds"
	"github.com/packter/packter/wav"
)

// memWS is an in-memory io.WriteSeeker.
type memWS struct {
	b   []byte
	pos int
}

func (m *memWS) Write(p []byte) (int, error) {
	if need := m.pos + len(p); need > len(m.b) {
		m.b = append(m.b, make([]byte, need-len(m.b))...)
	}
	copy(m.b[m.pos:], p)
	m.pos += len(p)
	return len(p), nil
}

func (m *memWS) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		m.pos = int(off)
	case io.SeekCurrent:
		m.pos += int(off)
	case io.SeekEnd:
		m.pos = len(m.b) + int(off)
	}
	if m.pos < 0 {
		return 0, errors.New("negative position")
	}
	return int64(m.pos), nil
}

// audio is a decoded stereo 16-bit WAV.
type audio struct {
	rate int
	l, r []float64
	raw  []int16
}

func decodeWAV(t testing.TB, b []byte) audio {
	t.Helper()
	if len(b) < 44 || string(b[:4]) != "RIFF" || string(b[8:16]) != "WAVEfmt " || string(b[36:40]) != "data" {
		t.Fatalf("not a canonical WAV header")
	}
	le := binary.LittleEndian
	if ch := le.Uint16(b[22:]); ch != 2 {
		t.Fatalf("channels %d", ch)
	}
	rate := int(le.Uint32(b[24:]))
	n := int(le.Uint32(b[40:]))
	if n != len(b)-44 || int(le.Uint32(b[4:])) != 36+n {
		t.Fatalf("header sizes %d/%d do not match %d data bytes", le.Uint32(b[4:]), n, len(b)-44)
	}
	a := audio{rate: rate}
	for i := 44; i+3 < len(b); i += 4 {
		x, y := int16(le.Uint16(b[i:])), int16(le.Uint16(b[i+2:]))
		a.raw = append(a.raw, x, y)
		a.l = append(a.l, float64(x)/32768)
		a.r = append(a.r, float64(y)/32768)
	}
	return a
}

// renderT renders events through an offline engine, after setup.
func renderT(t testing.TB, opts Options, setup func(*Engine), evs []*event.Event) audio {
	t.Helper()
	e, err := newOffline(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer e.lib.close()
	var w memWS
	ww, err := wav.NewWriter(&w, e.rate, 2)
	if err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(e)
	}
	if err := e.renderEvents(context.Background(), slices.Values(evs), ww.Write); err != nil {
		t.Fatal(err)
	}
	if err := ww.Close(); err != nil {
		t.Fatal(err)
	}
	return decodeWAV(t, w.b)
}

// renderBlock renders one block, as the device callback would.
func (e *Engine) renderBlock(n int) []float32 { return e.r.renderBlock(n) }

// frameAt maps an event time as the intake does.
func (e *Engine) frameAt(t time.Time) int64 {
	e.in.mu.Lock()
	defer e.in.mu.Unlock()
	return e.in.frame(t)
}

var t0 = time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)

func ip(s string) protocol.Addr { return protocol.AddrFrom(netip.MustParseAddr(s)) }

func pkt(at time.Duration, src string, sport, dport uint32, flag int) *event.Event {
	return &event.Event{Kind: event.KindPacket, Time: t0.Add(at), Src: ip(src), Dst: ip("192.0.2.80"),
		SPort: protocol.PortFrom(sport), DPort: protocol.PortFrom(dport), Flag: flag}
}

func (a audio) mono() []float64 {
	m := make([]float64, len(a.l))
	for i := range m {
		m[i] = a.l[i] + a.r[i]
	}
	return m
}

func energy(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v * v
	}
	return s
}

func rms(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	return math.Sqrt(energy(x) / float64(len(x)))
}

func peakAbs(x []float64) float64 {
	m := 0.0
	for _, v := range x {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

// firstAbove returns the first index whose |x| exceeds thr, or -1.
func firstAbove(x []float64, from int, thr float64) int {
	for i := from; i < len(x); i++ {
		if math.Abs(x[i]) > thr {
			return i
		}
	}
	return -1
}

// lastAbove returns the last index whose |x| exceeds thr, or -1.
func lastAbove(x []float64, thr float64) int {
	for i := len(x) - 1; i >= 0; i-- {
		if math.Abs(x[i]) > thr {
			return i
		}
	}
	return -1
}

// zcr is zero crossings per second over x: a pitch proxy for near-sines.
func zcr(x []float64, rate int) float64 {
	n := 0
	for i := 1; i < len(x); i++ {
		if (x[i-1] < 0) != (x[i] < 0) {
			n++
		}
	}
	return float64(n) * float64(rate) / float64(2*len(x))
}

// centroid is the spectral centroid (Hz) of x by a plain DFT on 2 kHz..
// resolution bins: enough for short test windows.
func centroid(x []float64, rate int) float64 {
	const bins = 256
	num, den := 0.0, 0.0
	for k := 1; k < bins; k++ {
		f := float64(k) * float64(rate) / 2 / bins
		re, im := 0.0, 0.0
		w := 2 * math.Pi * f / float64(rate)
		for i, v := range x {
			re += v * math.Cos(w*float64(i))
			im -= v * math.Sin(w*float64(i))
		}
		m := math.Hypot(re, im)
		num += f * m
		den += m
	}
	if den == 0 {
		return 0
	}
	return num / den
}

func captureLogs() (*slog.Logger, *bytes.Buffer) {
	var b bytes.Buffer
	return slog.New(slog.NewTextHandler(&b, nil)), &b
}

func fsEmbedded() fs.FS { return sounds.FS() }

func withTime(e *event.Event, t time.Time) *event.Event { e.Time = t; return e }
