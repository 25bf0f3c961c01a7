package intertrack

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

var (
	startTag = []byte("<InterTrackMessage")
	endTag   = []byte("</InterTrackMessage>")
)

// Framing errors.
var (
	ErrTooLarge = errors.New("intertrack: message larger than the limit")
	ErrGarbage  = errors.New("intertrack: too much data outside any message")
)

// Framer splits a stream of back-to-back InterTrack messages, as PACKTER's TC
// does: a message starts at `<InterTrackMessage` and ends after
// `</InterTrackMessage>`. Anything between messages (the XML declaration,
// newlines) is skipped, up to a limit. It accepts messages on one line or many.
type Framer struct {
	r     io.Reader
	max   int
	buf   []byte
	start int // unread data is buf[start:end]
	end   int
	skip  int // bytes skipped since the last message
	err   error
}

// NewFramer reads messages of at most max bytes (MaxMessageSize when max <= 0).
func NewFramer(r io.Reader, max int) *Framer {
	if max <= 0 {
		max = MaxMessageSize
	}
	return &Framer{r: r, max: max, buf: make([]byte, 0, 4096)}
}

// Next returns the next message. The bytes are valid until the next call.
// At a clean end of stream it returns io.EOF; a stream ending inside a message
// returns io.ErrUnexpectedEOF.
func (f *Framer) Next() ([]byte, error) {
	searchFrom := 0 // offset in buf[start:end] from which endTag may still begin
	for {
		data := f.buf[f.start:f.end]
		i := indexStart(data)
		if i < 0 {
			// Keep a tail that may be (the beginning of) a start tag.
			keep := min(len(data), len(startTag))
			f.skip += len(data) - keep
			f.start = f.end - keep
			searchFrom = 0
			if f.skip > f.max {
				return nil, fmt.Errorf("%w (%d bytes)", ErrGarbage, f.skip)
			}
		} else {
			if i > 0 {
				f.skip += i
				f.start += i
				data = data[i:]
				searchFrom = 0
			}
			if f.skip > f.max {
				return nil, fmt.Errorf("%w (%d bytes)", ErrGarbage, f.skip)
			}
			from := max(searchFrom, len(startTag))
			if j := bytes.Index(data[from:], endTag); j >= 0 {
				n := from + j + len(endTag)
				if n > f.max {
					return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, n, f.max)
				}
				msg := data[:n]
				f.start += n
				f.skip = 0
				return msg, nil
			}
			if len(data) > f.max {
				return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, f.max)
			}
			searchFrom = max(len(data)-len(endTag)+1, 0)
		}
		if f.err != nil {
			err := f.err
			if err == io.EOF && f.end-f.start > 0 && indexStart(f.buf[f.start:f.end]) >= 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		f.fill()
	}
}

// indexStart finds a start tag followed by a name delimiter.
func indexStart(b []byte) int {
	off := 0
	for {
		i := bytes.Index(b[off:], startTag)
		if i < 0 {
			return -1
		}
		k := off + i + len(startTag)
		if k >= len(b) {
			return -1 // cannot tell yet: the caller keeps this tail for more data
		}
		switch b[k] {
		case ' ', '\t', '\r', '\n', '>':
			return off + i
		}
		off = k
	}
}

// fill reads more data, compacting or growing the buffer within the limit.
func (f *Framer) fill() {
	if f.start > 0 && (f.start == f.end || f.end == cap(f.buf)) {
		n := copy(f.buf[:cap(f.buf)], f.buf[f.start:f.end])
		f.start, f.end = 0, n
	}
	if f.end == cap(f.buf) {
		nc := min(2*cap(f.buf), f.max+len(endTag)+4096)
		if nc <= cap(f.buf) {
			nc = cap(f.buf) + 4096
		}
		nb := make([]byte, f.end, nc)
		copy(nb, f.buf[:f.end])
		f.buf = nb
	}
	n, err := f.r.Read(f.buf[f.end:cap(f.buf)])
	f.buf = f.buf[:cap(f.buf)]
	f.end += n
	if err != nil {
		f.err = err
	}
}

// inMessage reports whether the unread data holds more than white space: part
// of a message (or of what comes before one) has arrived.
func (f *Framer) inMessage() bool { return hasText(f.buf[f.start:f.end]) }

// release drops the buffer when nothing but white space is unread in it (the
// framer would skip that anyway), so that a framer waiting on an idle
// connection holds no memory; the next read allocates anew. The message
// returned by Next is invalid afterwards.
func (f *Framer) release() {
	if !f.inMessage() && f.err == nil {
		f.buf, f.start, f.end = nil, 0, 0
	}
}
