package wav

import (
	"encoding/binary"
	"errors"
	"io"
	"math"
	"testing"
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
	case io.SeekEnd:
		m.pos = len(m.b) + int(off)
	default:
		m.pos += int(off)
	}
	return int64(m.pos), nil
}

// file builds a RIFF/WAVE file: a fmt chunk, extra chunks, then data with
// the given size field (-1: the data's own length).
func file(tag uint16, channels, rate, bits int, extra [][]byte, data []byte, dataSize int64) []byte {
	le := binary.LittleEndian
	fmtc := make([]byte, 16)
	le.PutUint16(fmtc[0:], tag)
	le.PutUint16(fmtc[2:], uint16(channels))
	le.PutUint32(fmtc[4:], uint32(rate))
	le.PutUint32(fmtc[8:], uint32(rate*channels*bits/8))
	le.PutUint16(fmtc[12:], uint16(channels*bits/8))
	le.PutUint16(fmtc[14:], uint16(bits))
	if tag == TagExtensible {
		ext := make([]byte, 24)
		le.PutUint16(ext[0:], 22)
		le.PutUint16(ext[8:], TagPCM)
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

func TestParseFormats(t *testing.T) {
	le := binary.LittleEndian
	f32 := le.AppendUint32(le.AppendUint32(nil, math.Float32bits(0.5)), math.Float32bits(-2))
	for _, tc := range []struct {
		name    string
		in      []byte
		wantErr error
		stereo  []float32 // first frames as interleaved stereo
	}{
		{"16-bit mono", file(TagPCM, 1, 22050, 16, nil, []byte{0, 0x40, 0, 0xc0}, -1), nil, []float32{0.5, 0.5, -0.5, -0.5}},
		{"8-bit", file(TagPCM, 1, 8000, 8, nil, []byte{192, 64}, -1), nil, []float32{0.5, 0.5, -0.5, -0.5}},
		{"24-bit stereo", file(TagPCM, 2, 48000, 24, nil, []byte{0, 0, 0x40, 0, 0, 0xc0}, -1), nil, []float32{0.5, -0.5}},
		{"float clamped", file(TagFloat, 1, 48000, 32, nil, f32, -1), nil, []float32{0.5, 0.5, -1, -1}},
		{"extensible", file(TagExtensible, 1, 48000, 16, nil, []byte{0, 0x40}, -1), nil, []float32{0.5, 0.5}},
		{"streaming sizes", file(TagPCM, 1, 22050, 16, nil, []byte{0, 0x40, 0}, 0x7ffff000), nil, []float32{0.5, 0.5}},
		{"odd LIST chunk", file(TagPCM, 1, 16000, 16, [][]byte{[]byte("LISTabc")}, []byte{0, 0x40}, -1), nil, []float32{0.5, 0.5}},
		{"12-bit", file(TagPCM, 1, 8000, 12, nil, nil, -1), ErrFormat, nil},
		{"alaw", file(6, 1, 8000, 8, nil, nil, -1), ErrFormat, nil},
		{"silly rate", file(TagPCM, 1, 10, 16, nil, nil, -1), ErrFormat, nil},
		{"no channels", file(TagPCM, 0, 8000, 16, nil, nil, -1), ErrFormat, nil},
		{"not RIFF", []byte("RIFX\x00\x00\x00\x00WAVEfmt "), ErrNotWAV, nil},
		{"short", []byte("RIFF"), ErrNotWAV, nil},
		{"no fmt", []byte("RIFF\x04\x00\x00\x00WAVE"), ErrTruncate, nil},
		{"data before fmt", []byte("RIFF\x04\x00\x00\x00WAVEdata\x00\x00\x00\x00"), ErrFormat, nil},
		{"junk chunk claims 2 GiB", file(TagPCM, 1, 8000, 16, [][]byte{[]byte("junk")}, nil, -1)[:40], ErrTruncate, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse(tc.in)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := f.Stereo(nil)
			if len(got) != len(tc.stereo) {
				t.Fatalf("got %v, want %v", got, tc.stereo)
			}
			for i := range got {
				if math.Abs(float64(got[i]-tc.stereo[i])) > 1e-4 {
					t.Fatalf("got %v, want %v", got, tc.stereo)
				}
			}
		})
	}
}

func TestParseAllocatesNothing(t *testing.T) {
	b := file(TagPCM, 1, 22050, 16, [][]byte{[]byte("LISTabcd")}, []byte{1, 2, 3, 4}, -1)
	if n := testing.AllocsPerRun(100, func() { Parse(b) }); n != 0 {
		t.Errorf("Parse allocates %v times", n)
	}
}

// What Writer writes, Parse reads back, sample for sample, with the sizes
// patched; Encode makes the same bytes in memory.
func TestWriterRoundTrip(t *testing.T) {
	in := []float32{0, 0.5, -0.5, 1, -1, 2, 0.25, -0.25}
	var m memWS
	w, err := NewWriter(&m, 48000, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(in[:3]); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(in[3:]); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Frames() != 4 {
		t.Errorf("frames %d", w.Frames())
	}
	f, err := Parse(m.b)
	if err != nil {
		t.Fatal(err)
	}
	if f.Rate != 48000 || f.Channels != 2 || f.Frames() != 4 || binary.LittleEndian.Uint32(m.b[4:]) != uint32(len(m.b)-8) {
		t.Fatalf("header %+v, RIFF size %d for %d bytes", f, binary.LittleEndian.Uint32(m.b[4:]), len(m.b))
	}
	for i, v := range f.Stereo(nil) {
		want := math.Max(-1, math.Min(1, float64(in[i])))
		if math.Abs(float64(v)-want) > 1.0/32000 {
			t.Errorf("sample %d: %v, want %v", i, v, want)
		}
	}
	in64 := make([]float64, len(in))
	for i, v := range in {
		in64[i] = float64(v)
	}
	if enc := Encode(in64, 48000, 2); string(enc) != string(m.b) {
		t.Error("Encode and Writer disagree")
	}
}

func TestMono16Averages(t *testing.T) {
	le := binary.LittleEndian
	var d []byte
	for _, v := range []int16{100, 300, -4, -8} {
		d = le.AppendUint16(d, uint16(v))
	}
	f, err := Parse(file(TagPCM, 2, 44100, 16, nil, d, -1))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Mono16(nil); len(got) != 2 || got[0] != 200 || got[1] != -6 {
		t.Errorf("Mono16 %v", got)
	}
}

// FuzzParse: whatever the bytes, Parse returns a file whose data lies inside
// them in whole frames, or an error; converting it never panics. The seeds in
// testdata/fuzz/FuzzParse include the headers that made beep's decoder
// allocate 2 GiB from 40 bytes.
func FuzzParse(f *testing.F) {
	f.Add(file(TagPCM, 1, 22050, 16, nil, []byte{1, 2, 3, 4}, -1))
	f.Add(file(TagFloat, 2, 48000, 64, nil, make([]byte, 32), -1))
	f.Add(file(TagExtensible, 1, 48000, 24, [][]byte{[]byte("LISTabc")}, make([]byte, 9), 0x7ffff000))
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := Parse(b)
		if err != nil {
			return
		}
		if w.Channels < 1 || w.Rate < MinRate || w.FrameSize() <= 0 {
			t.Fatalf("accepted %+v", w)
		}
		if len(w.Data)%w.FrameSize() != 0 || len(w.Data) > len(b) {
			t.Fatalf("data of %d bytes, frame %d, input %d", len(w.Data), w.FrameSize(), len(b))
		}
		s := w.Stereo(nil)
		if len(s) != 2*w.Frames() || len(w.Mono16(nil)) != w.Frames() {
			t.Fatalf("%d stereo samples for %d frames", len(s), w.Frames())
		}
		for _, v := range s {
			if !(v >= -1 && v <= 1) {
				t.Fatalf("sample %v", v)
			}
		}
	})
}

func TestToInt16(t *testing.T) {
	for _, v := range []float32{0, 0.5, -0.5, 1, -1, 2, -2, 1e-5, -1e-5, 0.49999 / 32767, 1.5 / 32767, -1.5 / 32767, 0.123456} {
		want := int16(math.Round(math.Max(-1, math.Min(1, float64(v))) * 32767))
		if got := ToInt16(v); got != want {
			t.Errorf("ToInt16(%v) = %d, want %d", v, got, want)
		}
	}
	if got := ToInt16(float32(math.NaN())); got != 0 {
		t.Errorf("NaN gives %d", got)
	}
}
