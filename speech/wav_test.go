package speech

import (
	"encoding/binary"
	"errors"
	"testing"
)

// wavFile builds a RIFF/WAVE file: a fmt chunk, any extra chunks, then data.
// dataSize < 0 writes the size of data itself.
func wavFile(tag uint16, channels, rate, bits int, extra [][]byte, data []byte, dataSize int64) []byte {
	le := binary.LittleEndian
	fmtc := make([]byte, 16)
	le.PutUint16(fmtc[0:], tag)
	le.PutUint16(fmtc[2:], uint16(channels))
	le.PutUint32(fmtc[4:], uint32(rate))
	le.PutUint32(fmtc[8:], uint32(rate*channels*bits/8))
	le.PutUint16(fmtc[12:], uint16(channels*bits/8))
	le.PutUint16(fmtc[14:], uint16(bits))
	if tag == wavExtensible {
		ext := make([]byte, 24)
		le.PutUint16(ext[0:], 22)
		le.PutUint16(ext[8:], wavPCM) // sub-format GUID starts with the format tag
		fmtc = append(fmtc, ext...)
	}
	b := []byte("RIFF\xff\xff\xff\x7fWAVE")
	chunk := func(id string, body []byte, size int64) {
		b = append(b, id...)
		b = le.AppendUint32(b, uint32(size))
		b = append(b, body...)
		if len(body)%2 == 1 && id != "data" {
			b = append(b, 0)
		}
	}
	chunk("fmt ", fmtc, int64(len(fmtc)))
	for _, e := range extra {
		chunk(string(e[:4]), e[4:], int64(len(e)-4))
	}
	if dataSize < 0 {
		dataSize = int64(len(data))
	}
	chunk("data", data, dataSize)
	return b
}

func samples(v ...int16) []byte {
	b := make([]byte, 0, 2*len(v))
	for _, s := range v {
		b = binary.LittleEndian.AppendUint16(b, uint16(s))
	}
	return b
}

func TestParseWAV(t *testing.T) {
	mono := samples(1, -2, 300, -32768, 32767)
	for _, tc := range []struct {
		name     string
		in       []byte
		wantErr  error
		rate, ch int
		mono     []int16
	}{
		{"mono", wavFile(wavPCM, 1, 22050, 16, nil, mono, -1), nil, 22050, 1, []int16{1, -2, 300, -32768, 32767}},
		{"espeak streaming sizes", wavFile(wavPCM, 1, 22050, 16, nil, mono, 0x7ffff000), nil, 22050, 1, []int16{1, -2, 300, -32768, 32767}},
		{"odd LIST chunk before data", wavFile(wavPCM, 1, 16000, 16, [][]byte{[]byte("LISTabc")}, mono, -1), nil, 16000, 1, []int16{1, -2, 300, -32768, 32767}},
		{"stereo averaged", wavFile(wavPCM, 2, 44100, 16, nil, samples(100, 300, -4, -8, 5), -1), nil, 44100, 2, []int16{200, -6}},
		{"extensible", wavFile(wavExtensible, 1, 48000, 16, nil, mono[:4], -1), nil, 48000, 1, []int16{1, -2}},
		{"half a sample dropped", wavFile(wavPCM, 1, 22050, 16, nil, mono[:3], -1), nil, 22050, 1, []int16{1}},
		{"8-bit", wavFile(wavPCM, 1, 8000, 8, nil, mono, -1), ErrWAVFormat, 0, 0, nil},
		{"float", wavFile(3, 1, 8000, 16, nil, mono, -1), ErrWAVFormat, 0, 0, nil},
		{"silly rate", wavFile(wavPCM, 1, 10, 16, nil, mono, -1), ErrWAVFormat, 0, 0, nil},
		{"no channels", wavFile(wavPCM, 0, 8000, 16, nil, mono, -1), ErrWAVFormat, 0, 0, nil},
		{"not RIFF", []byte("RIFX\x00\x00\x00\x00WAVEfmt "), ErrNotWAV, 0, 0, nil},
		{"short", []byte("RIFF"), ErrNotWAV, 0, 0, nil},
		{"header only", []byte("RIFF\x04\x00\x00\x00WAVE"), ErrWAVTruncate, 0, 0, nil},
		{"fmt cut", wavFile(wavPCM, 1, 8000, 16, nil, nil, -1)[:30], ErrWAVFormat, 0, 0, nil},
		{"no data chunk", wavFile(wavPCM, 1, 8000, 16, nil, nil, -1)[:36], ErrWAVTruncate, 0, 0, nil},
		{"huge extra chunk", wavFile(wavPCM, 1, 8000, 16, [][]byte{[]byte("junk")}, mono, -1)[:40], ErrWAVTruncate, 0, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := ParseWAV(tc.in)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if w.Rate != tc.rate || w.Channels != tc.ch {
				t.Errorf("rate %d channels %d", w.Rate, w.Channels)
			}
			got := w.Mono16(nil)
			if len(got) != len(tc.mono) {
				t.Fatalf("samples %v, want %v", got, tc.mono)
			}
			for i := range got {
				if got[i] != tc.mono[i] {
					t.Fatalf("samples %v, want %v", got, tc.mono)
				}
			}
		})
	}
}

func TestParseWAVNoAlloc(t *testing.T) {
	b := wavFile(wavPCM, 1, 22050, 16, [][]byte{[]byte("LISTabcd")}, samples(1, 2, 3), -1)
	if n := testing.AllocsPerRun(100, func() { ParseWAV(b) }); n != 0 {
		t.Errorf("ParseWAV allocates %v times", n)
	}
}

func FuzzParseWAV(f *testing.F) {
	f.Add(wavFile(wavPCM, 1, 22050, 16, nil, samples(1, 2, 3), -1))
	f.Add(wavFile(wavPCM, 1, 22050, 16, nil, samples(1, 2, 3), 0x7ffff000))
	f.Add(wavFile(wavPCM, 2, 44100, 16, [][]byte{[]byte("LISTabc")}, samples(1, 2, 3, 4), -1))
	f.Add(wavFile(wavExtensible, 1, 48000, 16, nil, samples(7), -1))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVE"))
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := ParseWAV(b)
		if err != nil {
			return
		}
		if w.Channels < 1 || w.Rate < 1000 || w.Bits != 16 {
			t.Fatalf("accepted %+v", w)
		}
		if len(w.Data)%(2*w.Channels) != 0 || len(w.Data) > len(b) {
			t.Fatalf("data of %d bytes for %d channels from %d", len(w.Data), w.Channels, len(b))
		}
		if n := len(w.Mono16(nil)); n != len(w.Data)/(2*w.Channels) {
			t.Fatalf("Mono16 gave %d samples from %d bytes", n, len(w.Data))
		}
	})
}
