package wav

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// header returns a canonical 44-byte header for 16-bit PCM.
func header(rate, channels int, dataBytes int64) []byte {
	dataBytes = min(max(dataBytes, 0), math.MaxUint32-36)
	le := binary.LittleEndian
	h := make([]byte, 0, 44)
	h = append(h, "RIFF"...)
	h = le.AppendUint32(h, uint32(36+dataBytes))
	h = append(h, "WAVEfmt "...)
	h = le.AppendUint32(h, 16)
	h = le.AppendUint16(h, TagPCM)
	h = le.AppendUint16(h, uint16(channels))
	h = le.AppendUint32(h, uint32(rate))
	h = le.AppendUint32(h, uint32(rate*channels*2))
	h = le.AppendUint16(h, uint16(channels*2))
	h = le.AppendUint16(h, 16)
	h = append(h, "data"...)
	h = le.AppendUint32(h, uint32(dataBytes))
	return h
}

// Encode returns a whole 16-bit PCM WAV file of interleaved float samples
// (clamped to ±1).
func Encode(samples []float64, rate, channels int) []byte {
	b := header(rate, channels, int64(2*len(samples)))
	b = append(make([]byte, 0, len(b)+2*len(samples)), b...)
	for _, v := range samples {
		b = binary.LittleEndian.AppendUint16(b, uint16(int16(math.Round(math.Max(-1, math.Min(1, v))*32767))))
	}
	return b
}

// Writer streams interleaved 16-bit PCM to a seekable destination; Close
// patches the RIFF and data sizes (capped at 4 GiB, as the format allows).
// It is not safe for concurrent use.
type Writer struct {
	w        io.WriteSeeker
	bw       *bufio.Writer
	channels int
	samples  int64
	buf      []byte
}

// NewWriter writes the header and returns a Writer.
func NewWriter(w io.WriteSeeker, rate, channels int) (*Writer, error) {
	if channels < 1 || channels > MaxChannels || rate < MinRate || rate > MaxRate {
		return nil, fmt.Errorf("wav: %d channels at %d Hz not supported", channels, rate)
	}
	ww := &Writer{w: w, bw: bufio.NewWriterSize(w, 256<<10), channels: channels, buf: make([]byte, 4096)}
	if _, err := ww.bw.Write(header(rate, channels, 0)); err != nil {
		return nil, fmt.Errorf("wav: header: %w", err)
	}
	return ww, nil
}

// Write appends interleaved float samples (clamped to ±1).
func (w *Writer) Write(s []float32) error {
	for len(s) > 0 {
		n := min(len(s), len(w.buf)/2)
		b := w.buf[:0]
		for _, v := range s[:n] {
			b = binary.LittleEndian.AppendUint16(b, uint16(ToInt16(v)))
		}
		if _, err := w.bw.Write(b); err != nil {
			return fmt.Errorf("wav: write: %w", err)
		}
		s = s[n:]
		w.samples += int64(n)
	}
	return nil
}

// Frames is how many whole frames have been written.
func (w *Writer) Frames() int64 { return w.samples / int64(w.channels) }

// Close flushes and patches the header's sizes; it does not close the
// destination. The position is left at the end.
func (w *Writer) Close() error {
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("wav: flush: %w", err)
	}
	data := min(2*w.samples, math.MaxUint32-36)
	var b [4]byte
	for _, p := range [2]struct {
		off int64
		v   int64
	}{{4, 36 + data}, {40, data}} {
		binary.LittleEndian.PutUint32(b[:], uint32(p.v))
		if _, err := w.w.Seek(p.off, io.SeekStart); err != nil {
			return fmt.Errorf("wav: patch header: %w", err)
		}
		if _, err := w.w.Write(b[:]); err != nil {
			return fmt.Errorf("wav: patch header: %w", err)
		}
	}
	if _, err := w.w.Seek(0, io.SeekEnd); err != nil {
		return fmt.Errorf("wav: patch header: %w", err)
	}
	return nil
}
