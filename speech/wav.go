package speech

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// WAV is the PCM found in a RIFF/WAVE file. Data aliases the input.
type WAV struct {
	Rate     int // samples per second
	Channels int
	Bits     int    // bits per sample; ParseWAV accepts 16 only
	Data     []byte // little-endian interleaved samples, a whole number of frames
}

// Errors from ParseWAV, for errors.Is.
var (
	ErrNotWAV      = errors.New("not a RIFF/WAVE file")
	ErrWAVFormat   = errors.New("unsupported WAV format")
	ErrWAVTruncate = errors.New("WAV file truncated")
)

const (
	wavPCM        = 1
	wavExtensible = 0xFFFE
)

// ParseWAV reads the header of a 16-bit PCM WAV file and returns where its
// samples are. It walks the chunks (say and other writers add LIST, FLLR, ...),
// and accepts the "streaming" sizes espeak-ng --stdout writes when it cannot seek
// (RIFF and data sizes of 0x7ffff000 or more): a data chunk longer than the input
// is taken to end where the input ends. It never panics and does not allocate.
func ParseWAV(b []byte) (WAV, error) {
	var w WAV
	if len(b) < 12 {
		return w, fmt.Errorf("%w: %d bytes", ErrNotWAV, len(b))
	}
	if string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return w, ErrNotWAV
	}
	haveFmt := false
	for off := 12; ; {
		if len(b)-off < 8 {
			if haveFmt {
				return w, fmt.Errorf("%w: no data chunk", ErrWAVTruncate)
			}
			return w, fmt.Errorf("%w: no fmt chunk", ErrWAVTruncate)
		}
		id := b[off : off+4]
		size := uint64(binary.LittleEndian.Uint32(b[off+4 : off+8]))
		off += 8
		rest := uint64(len(b) - off)
		switch string(id) {
		case "fmt ":
			if size < 16 || size > rest {
				return w, fmt.Errorf("%w: fmt chunk of %d bytes", ErrWAVFormat, size)
			}
			f := b[off : off+16]
			tag := binary.LittleEndian.Uint16(f[0:2])
			w.Channels = int(binary.LittleEndian.Uint16(f[2:4]))
			w.Rate = int(binary.LittleEndian.Uint32(f[4:8]))
			w.Bits = int(binary.LittleEndian.Uint16(f[14:16]))
			if tag == wavExtensible && size >= 26 {
				tag = binary.LittleEndian.Uint16(b[off+24 : off+26]) // sub-format GUID's first two bytes
			}
			if tag != wavPCM {
				return w, fmt.Errorf("%w: format tag %#x, want PCM", ErrWAVFormat, tag)
			}
			if w.Bits != 16 || w.Channels < 1 || w.Channels > 8 || w.Rate < 1000 || w.Rate > 384000 {
				return w, fmt.Errorf("%w: %d-bit, %d channels, %d Hz", ErrWAVFormat, w.Bits, w.Channels, w.Rate)
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return w, fmt.Errorf("%w: data before fmt", ErrWAVFormat)
			}
			if size > rest {
				size = rest // streaming writer, or cut short: keep what is there
			}
			frame := uint64(2 * w.Channels)
			size -= size % frame
			w.Data = b[off : off+int(size)]
			return w, nil
		default:
			if size > rest {
				return w, fmt.Errorf("%w: %q chunk of %d bytes", ErrWAVTruncate, string(id), size)
			}
		}
		size += size & 1 // chunks are padded to even length
		if size > rest {
			size = rest
		}
		off += int(size)
	}
}

// Mono16 appends w's samples to dst as mono 16-bit PCM, averaging channels.
func (w WAV) Mono16(dst []int16) []int16 {
	ch := w.Channels
	if ch < 1 {
		return dst
	}
	frame := 2 * ch
	for i := 0; i+frame <= len(w.Data); i += frame {
		sum := 0
		for c := 0; c < ch; c++ {
			sum += int(int16(binary.LittleEndian.Uint16(w.Data[i+2*c:])))
		}
		dst = append(dst, int16(sum/ch))
	}
	return dst
}
