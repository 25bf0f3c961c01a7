package sonify

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// wavWriter writes 16-bit stereo PCM; finish patches the sizes in the header.
type wavWriter struct {
	w      io.WriteSeeker
	bw     *bufio.Writer
	frames int64
	buf    []byte
}

func newWAVWriter(w io.WriteSeeker, rate int) (*wavWriter, error) {
	ww := &wavWriter{w: w, bw: bufio.NewWriterSize(w, 256<<10), buf: make([]byte, 4*maxBlock)}
	le := binary.LittleEndian
	h := make([]byte, 0, 44)
	h = append(h, "RIFF"...)
	h = le.AppendUint32(h, 36)
	h = append(h, "WAVEfmt "...)
	h = le.AppendUint32(h, 16)
	h = le.AppendUint16(h, 1)
	h = le.AppendUint16(h, 2)
	h = le.AppendUint32(h, uint32(rate))
	h = le.AppendUint32(h, uint32(rate*4))
	h = le.AppendUint16(h, 4)
	h = le.AppendUint16(h, 16)
	h = append(h, "data"...)
	h = le.AppendUint32(h, 0)
	if _, err := ww.bw.Write(h); err != nil {
		return nil, err
	}
	return ww, nil
}

// write appends interleaved stereo samples (already within ±1).
func (w *wavWriter) write(s []float32) error {
	for len(s) > 0 {
		n := min(len(s), len(w.buf)/2)
		b := w.buf[:0]
		for _, v := range s[:n] {
			b = binary.LittleEndian.AppendUint16(b, uint16(int16(math.Round(float64(v)*32767))))
		}
		if _, err := w.bw.Write(b); err != nil {
			return err
		}
		s = s[n:]
		w.frames += int64(n / 2)
	}
	return nil
}

func (w *wavWriter) finish() error {
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("sonify: wav output: %w", err)
	}
	data := w.frames * 4
	if data > math.MaxUint32-36 {
		data = math.MaxUint32 - 36
	}
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(36+data))
	if _, err := w.w.Seek(4, io.SeekStart); err != nil {
		return fmt.Errorf("sonify: wav output: %w", err)
	}
	if _, err := w.w.Write(b[:]); err != nil {
		return fmt.Errorf("sonify: wav output: %w", err)
	}
	binary.LittleEndian.PutUint32(b[:], uint32(data))
	if _, err := w.w.Seek(40, io.SeekStart); err != nil {
		return fmt.Errorf("sonify: wav output: %w", err)
	}
	if _, err := w.w.Write(b[:]); err != nil {
		return fmt.Errorf("sonify: wav output: %w", err)
	}
	_, err := w.w.Seek(0, io.SeekEnd)
	return err
}
