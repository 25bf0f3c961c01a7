package sonify

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gopxl/beep/v2"
	"github.com/gopxl/beep/v2/flac"
	"github.com/gopxl/beep/v2/mp3"
	"github.com/gopxl/beep/v2/vorbis"
	"github.com/packter/packter/internal/safefile"
	"github.com/packter/packter/wav"
)

// Limits on files named by datagrams.
const (
	maxNameLen    = 255
	maxFileBytes  = 32 << 20
	maxClipSecs   = 120
	cacheBudget   = 96 << 20 // bytes of decoded float32 PCM kept
	maxMissLogged = 64
)

// ErrBadName is returned for a file name that could leave the sounds directory.
var ErrBadName = errors.New("sound file name not allowed")

// clip is a decoded sound: interleaved stereo float32 at the engine's rate.
type clip struct {
	name string
	pcm  []float32
}

func (c *clip) bytes() int { return 4 * len(c.pcm) }

// validName accepts only plain relative names inside one directory tree: no
// "..", no absolute or volume paths, no backslashes or NULs.
func validName(name string) error {
	switch {
	case name == "", len(name) > maxNameLen:
		return fmt.Errorf("%w: %q: empty or too long", ErrBadName, name)
	case strings.ContainsAny(name, "\\\x00:"),
		strings.Contains(name, ".."),
		filepath.IsAbs(name), path.IsAbs(name),
		!filepath.IsLocal(name), !fs.ValidPath(name):
		return fmt.Errorf("%w: %q", ErrBadName, name)
	}
	return nil
}

// library resolves file names to decoded clips: the user's directory first
// (opened as an os.Root, so neither ".." nor a symlink can lead out of it),
// then the embedded set. Decoded clips are cached within a byte budget,
// least recently used first out.
type library struct {
	root     *os.Root // nil without --sounds
	embedded fs.FS
	rate     int

	mu     sync.Mutex
	cache  map[string]*clip
	order  []string // LRU: oldest first
	used   int
	missed map[string]bool
}

func newLibrary(dir string, embedded fs.FS, rate int) (*library, error) {
	l := &library{embedded: embedded, rate: rate, cache: map[string]*clip{}, missed: map[string]bool{}}
	if dir != "" {
		r, err := os.OpenRoot(dir)
		if err != nil {
			return nil, fmt.Errorf("sounds directory: %w", err)
		}
		l.root = r
	}
	return l, nil
}

func (l *library) close() {
	if l.root != nil {
		l.root.Close()
	}
}

// firstMiss reports whether a miss of this name is new (and so worth a log
// line); the set is bounded so a hostile sender cannot grow it.
func (l *library) firstMiss(name string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.missed[name] || len(l.missed) >= maxMissLogged {
		return false
	}
	l.missed[name] = true
	return true
}

// get returns the clip for a name, decoding it on first use.
func (l *library) get(name string) (*clip, error) {
	if err := validName(name); err != nil {
		return nil, err
	}
	l.mu.Lock()
	if c, ok := l.cache[name]; ok {
		l.touch(name)
		l.mu.Unlock()
		return c, nil
	}
	l.mu.Unlock()
	data, err := l.read(name)
	if err != nil {
		return nil, err
	}
	c, err := decodeClip(name, data, l.rate)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if old, ok := l.cache[name]; ok {
		return old, nil
	}
	for l.used+c.bytes() > cacheBudget && len(l.order) > 0 {
		old := l.order[0]
		l.order = l.order[1:]
		l.used -= l.cache[old].bytes()
		delete(l.cache, old)
	}
	if c.bytes() <= cacheBudget {
		l.cache[name] = c
		l.order = append(l.order, name)
		l.used += c.bytes()
	}
	return c, nil
}

func (l *library) touch(name string) {
	for i, n := range l.order {
		if n == name {
			copy(l.order[i:], l.order[i+1:])
			l.order[len(l.order)-1] = name
			return
		}
	}
}

// read returns the file's bytes: the user's directory wins, by name.
func (l *library) read(name string) ([]byte, error) {
	if l.root != nil {
		// Non-blocking: a FIFO named here would otherwise hold the loader for ever.
		f, err := l.root.OpenFile(name, os.O_RDONLY|safefile.NonBlock, 0)
		if err == nil {
			defer f.Close()
			st, err := f.Stat()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			if !st.Mode().IsRegular() || st.Size() > maxFileBytes {
				return nil, fmt.Errorf("%s: not a regular file of at most %d bytes", name, maxFileBytes)
			}
			return io.ReadAll(io.LimitReader(f, maxFileBytes))
		}
		if !errors.Is(err, fs.ErrNotExist) {
			// Escapes (a symlink out, "..") land here: os.Root refuses them.
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	b, err := fs.ReadFile(l.embedded, name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return b, nil
}

// decodeClip decodes WAV, MP3, Ogg Vorbis or FLAC (by extension) into stereo
// float32 at the given rate. A decoder panic on a hostile file becomes an error.
func decodeClip(name string, data []byte, rate int) (c *clip, err error) {
	defer func() {
		if p := recover(); p != nil {
			c, err = nil, fmt.Errorf("%s: decoder failed: %v", name, p)
		}
	}()
	rc := io.NopCloser(bytes.NewReader(data))
	var s beep.StreamSeekCloser
	var f beep.Format
	switch strings.ToLower(path.Ext(name)) {
	case ".wav", ".wave":
		// Our own reader: it checks every chunk size before using it (beep's
		// allocated 2 GiB from a 40-byte header).
		wf, err := wav.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		s, f = newPCMStreamer(wf.Stereo(make([]float32, 0, 2*wf.Frames()))), beep.Format{SampleRate: beep.SampleRate(wf.Rate), NumChannels: 2, Precision: 2}
	case ".mp3":
		s, f, err = mp3.Decode(rc)
	case ".ogg", ".oga":
		s, f, err = vorbis.Decode(rc)
	case ".flac":
		s, f, err = flac.Decode(bytes.NewReader(data))
	default:
		return nil, fmt.Errorf("%s: unsupported format (want .wav, .mp3, .ogg or .flac)", name)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer s.Close()
	if f.SampleRate <= 0 || f.SampleRate > 768000 {
		return nil, fmt.Errorf("%s: bad sample rate %d", name, f.SampleRate)
	}
	var st beep.Streamer = s
	if int(f.SampleRate) != rate {
		st = beep.Resample(3, f.SampleRate, beep.SampleRate(rate), s)
	}
	limit := maxClipSecs * rate
	pcm := make([]float32, 0, 2*min(limit, rate*4))
	buf := make([][2]float64, 1024)
	for empty := 0; len(pcm)/2 < limit && empty < 4; {
		n, ok := st.Stream(buf)
		for _, fr := range buf[:n] {
			pcm = append(pcm, float32(fr[0]), float32(fr[1]))
		}
		if !ok {
			break
		}
		// A decoder that keeps returning nothing on a broken file would
		// otherwise spin here for ever.
		if n == 0 {
			empty++
		} else {
			empty = 0
		}
	}
	if err := st.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	// Clamp: a file may hold samples beyond full scale.
	for i, v := range pcm {
		if v > 1 {
			pcm[i] = 1
		} else if v < -1 {
			pcm[i] = -1
		}
	}
	return &clip{name: name, pcm: pcm}, nil
}

// pcmStreamer plays decoded interleaved stereo through beep's resampler.
type pcmStreamer struct {
	pcm []float32
	pos int
}

func newPCMStreamer(pcm []float32) *pcmStreamer { return &pcmStreamer{pcm: pcm} }

func (p *pcmStreamer) Stream(s [][2]float64) (int, bool) {
	n := min(len(s), (len(p.pcm)-p.pos)/2)
	for i := range n {
		s[i] = [2]float64{float64(p.pcm[p.pos]), float64(p.pcm[p.pos+1])}
		p.pos += 2
	}
	return n, n > 0
}

func (p *pcmStreamer) Err() error     { return nil }
func (p *pcmStreamer) Len() int       { return len(p.pcm) / 2 }
func (p *pcmStreamer) Position() int  { return p.pos / 2 }
func (p *pcmStreamer) Seek(int) error { return errors.New("not seekable") }
func (p *pcmStreamer) Close() error   { return nil }
