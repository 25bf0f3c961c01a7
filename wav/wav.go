// Package wav is Packter's one RIFF/WAVE reader and writer: Parse finds the PCM
// in a file's bytes (a pure function that checks every length before slicing
// and allocates nothing), Samples converts it, Writer streams 16-bit PCM to a
// seekable file and patches the sizes at the end, and Encode builds a whole
// file in memory.
package wav

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Errors from Parse, for errors.Is.
var (
	ErrNotWAV   = errors.New("not a RIFF/WAVE file")
	ErrFormat   = errors.New("unsupported WAV format")
	ErrTruncate = errors.New("WAV file truncated")
)

// Format tags Parse understands.
const (
	TagPCM        = 1
	TagFloat      = 3
	TagExtensible = 0xFFFE
)

// Limits Parse enforces: anything outside is ErrFormat.
const (
	MinRate     = 1000
	MaxRate     = 768000
	MaxChannels = 8
)

// File is the PCM found in a RIFF/WAVE file. Data aliases the input.
type File struct {
	Rate     int  // frames per second
	Channels int  // 1..MaxChannels
	Bits     int  // bits per sample: 8, 16, 24 or 32 (PCM); 32 or 64 (float)
	Float    bool // IEEE float samples
	Data     []byte
}

// FrameSize is the bytes of one frame (one sample per channel).
func (f File) FrameSize() int { return f.Channels * f.Bits / 8 }

// Frames is the number of whole frames in Data.
func (f File) Frames() int {
	if fs := f.FrameSize(); fs > 0 {
		return len(f.Data) / fs
	}
	return 0
}

// Parse reads a WAV file's chunks and returns where its samples are. It walks
// every chunk (writers add LIST, FLLR, fact, …) and checks each chunk's size
// against the bytes present before looking inside it, so a header claiming
// gigabytes costs nothing. A data chunk longer than the input is taken to end
// where the input ends: espeak-ng --stdout writes "streaming" sizes
// (0x7ffff000 and up) when it cannot seek, and a file cut short keeps what it
// has. Data is trimmed to whole frames. Parse never panics and never allocates.
func Parse(b []byte) (File, error) {
	var f File
	if len(b) < 12 {
		return f, fmt.Errorf("%w: %d bytes", ErrNotWAV, len(b))
	}
	if string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return f, ErrNotWAV
	}
	haveFmt := false
	le := binary.LittleEndian
	for off := 12; ; {
		if len(b)-off < 8 {
			if haveFmt {
				return f, fmt.Errorf("%w: no data chunk", ErrTruncate)
			}
			return f, fmt.Errorf("%w: no fmt chunk", ErrTruncate)
		}
		id := b[off : off+4]
		size := uint64(le.Uint32(b[off+4 : off+8]))
		off += 8
		rest := uint64(len(b) - off)
		switch string(id) {
		case "fmt ":
			if size < 16 || size > rest {
				return f, fmt.Errorf("%w: fmt chunk of %d bytes", ErrFormat, size)
			}
			if err := parseFmt(&f, b[off:off+int(size)]); err != nil {
				return f, err
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return f, fmt.Errorf("%w: data before fmt", ErrFormat)
			}
			size = min(size, rest) // streaming writer, or cut short
			size -= size % uint64(f.FrameSize())
			f.Data = b[off : off+int(size)]
			return f, nil
		default:
			if size > rest {
				return f, fmt.Errorf("%w: %q chunk of %d bytes, %d left", ErrTruncate, string(id), size, rest)
			}
		}
		size += size & 1 // chunks are padded to even length
		off += int(min(size, rest))
	}
}

// parseFmt reads a fmt chunk body of at least 16 bytes.
func parseFmt(f *File, c []byte) error {
	le := binary.LittleEndian
	tag := le.Uint16(c[0:2])
	f.Channels = int(le.Uint16(c[2:4]))
	f.Rate = int(le.Uint32(c[4:8]))
	f.Bits = int(le.Uint16(c[14:16]))
	if tag == TagExtensible && len(c) >= 26 {
		tag = le.Uint16(c[24:26]) // the sub-format GUID starts with the tag
	}
	switch {
	case tag == TagPCM && (f.Bits == 8 || f.Bits == 16 || f.Bits == 24 || f.Bits == 32):
	case tag == TagFloat && (f.Bits == 32 || f.Bits == 64):
		f.Float = true
	default:
		return fmt.Errorf("%w: format tag %#x with %d-bit samples", ErrFormat, tag, f.Bits)
	}
	if f.Channels < 1 || f.Channels > MaxChannels || f.Rate < MinRate || f.Rate > MaxRate {
		return fmt.Errorf("%w: %d channels, %d Hz", ErrFormat, f.Channels, f.Rate)
	}
	return nil
}

// Sample returns frame i's sample on channel ch as a float in [-1, 1]
// (floats beyond full scale are clamped, NaN is 0). i and ch must be in range.
func (f File) Sample(i, ch int) float32 {
	bs := f.Bits / 8
	p := f.Data[i*f.FrameSize()+ch*bs:]
	le := binary.LittleEndian
	var v float64
	switch {
	case f.Float && f.Bits == 32:
		v = float64(math.Float32frombits(le.Uint32(p)))
	case f.Float:
		v = math.Float64frombits(le.Uint64(p))
	case f.Bits == 8:
		v = float64(int(p[0])-128) / 128
	case f.Bits == 16:
		v = float64(int16(le.Uint16(p))) / 32768
	case f.Bits == 24:
		v = float64(int32(uint32(p[0])<<8|uint32(p[1])<<16|uint32(p[2])<<24)) / (1 << 31)
	default:
		v = float64(int32(le.Uint32(p))) / (1 << 31)
	}
	if !(v >= -1) { // also NaN
		if v != v {
			return 0
		}
		return -1
	}
	return float32(min(v, 1))
}

// Stereo appends f's frames to dst as interleaved stereo float32: mono is
// copied to both sides, more than two channels keep the first two.
func (f File) Stereo(dst []float32) []float32 {
	n := f.Frames()
	r := min(1, f.Channels-1)
	for i := 0; i < n; i++ {
		dst = append(dst, f.Sample(i, 0), f.Sample(i, r))
	}
	return dst
}

// Mono16 appends f's frames to dst as mono 16-bit PCM, averaging channels.
func (f File) Mono16(dst []int16) []int16 {
	n := f.Frames()
	for i := 0; i < n; i++ {
		if f.Bits == 16 && !f.Float {
			// Exact for 16-bit input: integer average, as the old speech reader did.
			sum := 0
			for c := 0; c < f.Channels; c++ {
				sum += int(int16(binary.LittleEndian.Uint16(f.Data[i*f.FrameSize()+2*c:])))
			}
			dst = append(dst, int16(sum/f.Channels))
			continue
		}
		sum := float32(0)
		for c := 0; c < f.Channels; c++ {
			sum += f.Sample(i, c)
		}
		dst = append(dst, ToInt16(sum/float32(f.Channels)))
	}
	return dst
}

// ToInt16 converts a float sample to 16-bit PCM, clamping to full scale and
// rounding half away from zero (as math.Round, without its cost: this runs
// for every sample the sound engine writes).
func ToInt16(v float32) int16 {
	x := float64(v) * 32767
	switch {
	case x >= 32767:
		return 32767
	case x <= -32767:
		return -32767
	case x < 0:
		return int16(x - 0.5)
	case x >= 0:
		return int16(x + 0.5)
	}
	return 0 // NaN
}
