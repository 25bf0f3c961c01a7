package speech

import (
	"fmt"

	"github.com/packter/packter/wav"
)

// WAV is the PCM found in a RIFF/WAVE file. Data aliases the input.
type WAV struct {
	Rate     int // samples per second
	Channels int
	Bits     int    // bits per sample; ParseWAV accepts 16 only
	Data     []byte // little-endian interleaved samples, a whole number of frames
}

// Errors from ParseWAV, for errors.Is: the wav package's own.
var (
	ErrNotWAV      = wav.ErrNotWAV
	ErrWAVFormat   = wav.ErrFormat
	ErrWAVTruncate = wav.ErrTruncate
)

const (
	wavPCM        = wav.TagPCM
	wavExtensible = wav.TagExtensible
)

// ParseWAV reads a 16-bit PCM WAV file (what speech synthesisers write)
// through package wav, which walks the chunks, checks every size and accepts
// espeak-ng's streaming sizes. It never panics and does not allocate.
func ParseWAV(b []byte) (WAV, error) {
	f, err := wav.Parse(b)
	if err != nil {
		return WAV{}, err
	}
	if f.Bits != 16 || f.Float {
		return WAV{}, fmt.Errorf("%w: %d-bit samples, want 16-bit PCM", ErrWAVFormat, f.Bits)
	}
	return WAV{Rate: f.Rate, Channels: f.Channels, Bits: f.Bits, Data: f.Data}, nil
}

// Mono16 appends w's samples to dst as mono 16-bit PCM, averaging channels.
func (w WAV) Mono16(dst []int16) []int16 {
	if w.Channels < 1 || w.Bits != 16 {
		return dst
	}
	return wav.File{Rate: w.Rate, Channels: w.Channels, Bits: 16, Data: w.Data}.Mono16(dst)
}
