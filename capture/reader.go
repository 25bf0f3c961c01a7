// Package capture turns packets into PACKTER records: a zero-copy pcap/pcapng
// reader, live AF_PACKET capture with BPF filters, link-layer and IP decoding,
// PACKTER's flag classification and descriptions, and the traceback hash.
package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"time"
)

// Link types (LINKTYPE_* of the pcap/pcapng specifications).
const (
	LinkNull     uint32 = 0   // BSD loopback: 4-byte address family, host byte order
	LinkEthernet uint32 = 1   // Ethernet II, with 802.1Q / QinQ tags
	LinkRaw      uint32 = 101 // raw IPv4 or IPv6
	LinkLoop     uint32 = 108 // OpenBSD loopback: 4-byte address family, network byte order
	LinkSLL      uint32 = 113 // Linux cooked capture v1
	LinkIPv4     uint32 = 228
	LinkIPv6     uint32 = 229
	LinkSLL2     uint32 = 276 // Linux cooked capture v2
	linkRawAlt   uint32 = 12  // DLT_RAW on some BSDs, seen in files
	linkRawAlt2  uint32 = 14  // DLT_RAW on OpenBSD
)

// Frame is one captured packet. Data aliases the reader's buffer and is valid
// until the next call to Next.
type Frame struct {
	Data    []byte
	Link    uint32
	Time    time.Time
	OrigLen int
}

// Errors from the capture readers. A *FormatError wraps ErrFormat.
var (
	ErrFormat    = errors.New("not a readable pcap or pcapng capture")
	ErrTruncated = errors.New("capture file ends in the middle of a packet")
)

// FormatError says where a capture file stopped making sense.
type FormatError struct {
	Offset int64
	Reason string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("capture is corrupt at byte %d: %s", e.Offset, e.Reason)
}

func (e *FormatError) Unwrap() error { return ErrFormat }

// Limits: no count read from a file makes us allocate more than this.
const (
	maxPacket   = 256 << 10 // largest packet we accept (pcap's own limit is 256 KiB)
	maxBlock    = 16 << 20  // largest pcapng block we skip over
	readBufSize = 1 << 20
)

// Reader reads pcap and pcapng files without copying or allocating per packet.
type Reader struct {
	r      io.Reader
	buf    []byte
	pos    int   // start of unread data in buf
	end    int   // end of valid data in buf
	off    int64 // file offset of buf[pos]
	rerr   error
	stalls int

	ng bool
	bo binary.ByteOrder

	// pcap
	link     uint32
	nanos    bool
	recExtra int // extra record-header bytes (modified pcap)

	// pcapng: per-interface link type and timestamp scale.
	ifaces []ngIface
}

type ngIface struct {
	link   uint32
	div    uint64 // timestamp units per second
	offset int64  // if_tsoffset, seconds
}

// NewReader detects pcap or pcapng (either byte order) and reads its header.
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{r: r, buf: make([]byte, readBufSize)}
	b, err := rd.peek(4)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, ErrTruncated) {
			return nil, &FormatError{0, "file is empty or shorter than a header"}
		}
		return nil, err
	}
	switch {
	case binary.BigEndian.Uint32(b) == 0x0A0D0D0A:
		rd.ng = true
		if err := rd.readSHB(); err != nil {
			return nil, err
		}
		return rd, nil
	default:
		return rd, rd.readPcapHeader()
	}
}

// fill makes at least n bytes available from pos, reading more as needed.
func (rd *Reader) fill(n int) error {
	if rd.end-rd.pos >= n {
		return nil
	}
	if n > len(rd.buf) {
		nb := make([]byte, max(n, 2*len(rd.buf)))
		rd.end = copy(nb, rd.buf[rd.pos:rd.end])
		rd.buf, rd.pos = nb, 0
	} else if rd.pos+n > len(rd.buf) {
		rd.end = copy(rd.buf, rd.buf[rd.pos:rd.end])
		rd.pos = 0
	}
	for rd.end-rd.pos < n {
		if rd.rerr != nil {
			if rd.end == rd.pos && errors.Is(rd.rerr, io.EOF) {
				return io.EOF
			}
			if errors.Is(rd.rerr, io.EOF) {
				return ErrTruncated
			}
			return rd.rerr
		}
		m, err := rd.r.Read(rd.buf[rd.end:])
		rd.end += m
		switch {
		case err != nil:
			rd.rerr = err
		case m == 0:
			rd.stalls++
			if rd.stalls > 100 {
				rd.rerr = io.ErrNoProgress
			}
		}
	}
	return nil
}

func (rd *Reader) peek(n int) ([]byte, error) {
	if err := rd.fill(n); err != nil {
		return nil, err
	}
	return rd.buf[rd.pos : rd.pos+n], nil
}

func (rd *Reader) advance(n int) {
	rd.pos += n
	rd.off += int64(n)
}

// discard skips n bytes that may be larger than the buffer.
func (rd *Reader) discard(n int) error {
	for n > 0 {
		if rd.end == rd.pos {
			if err := rd.fill(1); err != nil {
				if errors.Is(err, io.EOF) {
					return ErrTruncated
				}
				return err
			}
		}
		k := min(n, rd.end-rd.pos)
		rd.advance(k)
		n -= k
	}
	return nil
}

func (rd *Reader) readPcapHeader() error {
	h, err := rd.peek(24)
	if err != nil {
		if errors.Is(err, ErrTruncated) || errors.Is(err, io.EOF) {
			return &FormatError{0, "file is shorter than a pcap header"}
		}
		return err
	}
	switch m := binary.LittleEndian.Uint32(h); m {
	case 0xa1b2c3d4:
		rd.bo = binary.LittleEndian
	case 0xa1b23c4d:
		rd.bo, rd.nanos = binary.LittleEndian, true
	case 0xa1b2cd34:
		rd.bo, rd.recExtra = binary.LittleEndian, 8
	case 0xd4c3b2a1:
		rd.bo = binary.BigEndian
	case 0x4d3cb2a1:
		rd.bo, rd.nanos = binary.BigEndian, true
	case 0x34cdb2a1:
		rd.bo, rd.recExtra = binary.BigEndian, 8
	default:
		return &FormatError{0, fmt.Sprintf("unknown magic number %#08x (not pcap or pcapng)", m)}
	}
	if major := rd.bo.Uint16(h[4:]); major != 2 {
		return &FormatError{4, fmt.Sprintf("unsupported pcap version %d", major)}
	}
	rd.link = rd.bo.Uint32(h[20:]) & 0xffff // upper bits carry FCS information
	rd.advance(24)
	return nil
}

// Next reads the next packet into f. It returns io.EOF at the clean end of the
// file, ErrTruncated when the file stops inside a packet, and a *FormatError
// when a length field makes no sense.
func (rd *Reader) Next(f *Frame) error {
	if rd.ng {
		return rd.nextNG(f)
	}
	hl := 16 + rd.recExtra
	h, err := rd.peek(hl)
	if err != nil {
		return err
	}
	sec := rd.bo.Uint32(h)
	frac := rd.bo.Uint32(h[4:])
	incl := rd.bo.Uint32(h[8:])
	orig := rd.bo.Uint32(h[12:])
	if incl > maxPacket {
		return &FormatError{rd.off + 8, fmt.Sprintf("packet length %d is larger than %d", incl, maxPacket)}
	}
	if err := rd.fill(hl + int(incl)); err != nil {
		if errors.Is(err, io.EOF) {
			return ErrTruncated
		}
		return err
	}
	ns := int64(frac)
	if !rd.nanos {
		ns *= 1000
	}
	f.Time = time.Unix(int64(sec), ns)
	f.Data = rd.buf[rd.pos+hl : rd.pos+hl+int(incl)]
	f.Link = rd.link
	f.OrigLen = int(orig)
	rd.advance(hl + int(incl))
	return nil
}

func (rd *Reader) readSHB() error {
	h, err := rd.peek(12)
	if err != nil {
		return &FormatError{rd.off, "file ends inside the pcapng section header"}
	}
	switch binary.LittleEndian.Uint32(h[8:]) {
	case 0x1A2B3C4D:
		rd.bo = binary.LittleEndian
	case 0x4D3C2B1A:
		rd.bo = binary.BigEndian
	default:
		return &FormatError{rd.off + 8, "bad pcapng byte-order magic"}
	}
	n := rd.bo.Uint32(h[4:])
	if n < 28 || n%4 != 0 || n > maxBlock {
		return &FormatError{rd.off + 4, fmt.Sprintf("bad section header length %d", n)}
	}
	rd.ifaces = rd.ifaces[:0] // interfaces are numbered per section
	if err := rd.discard(int(n)); err != nil {
		return &FormatError{rd.off, "file ends inside the pcapng section header"}
	}
	return nil
}

func (rd *Reader) nextNG(f *Frame) error {
	for {
		h, err := rd.peek(8)
		if err != nil {
			return err
		}
		typ := rd.bo.Uint32(h)
		if typ == 0x0A0D0D0A { // a new section may switch byte order
			if err := rd.readSHB(); err != nil {
				return err
			}
			continue
		}
		n := rd.bo.Uint32(h[4:])
		if n < 12 || n%4 != 0 || n > maxBlock {
			return &FormatError{rd.off + 4, fmt.Sprintf("bad block length %d", n)}
		}
		switch typ {
		case 1, 2, 3, 6: // IDB, obsolete packet, simple packet, enhanced packet
			if n > maxPacket+64<<10 {
				return &FormatError{rd.off + 4, fmt.Sprintf("packet block length %d too large", n)}
			}
			if err := rd.fill(int(n)); err != nil {
				if errors.Is(err, io.EOF) {
					return ErrTruncated
				}
				return err
			}
			blk := rd.buf[rd.pos : rd.pos+int(n)]
			body := blk[8 : n-4]
			start := rd.off
			rd.advance(int(n))
			switch typ {
			case 1:
				if err := rd.addIface(body, start); err != nil {
					return err
				}
			case 6, 2:
				ok, err := rd.packetBlock(typ, body, f, start)
				if err != nil {
					return err
				}
				if ok {
					return nil
				}
			case 3:
				if len(rd.ifaces) == 0 || len(body) < 4 {
					return &FormatError{start, "simple packet block without an interface"}
				}
				orig := rd.bo.Uint32(body)
				data := body[4:]
				if uint64(orig) < uint64(len(data)) {
					data = data[:orig]
				}
				f.Data, f.Link, f.OrigLen, f.Time = data, rd.ifaces[0].link, int(orig), time.Time{}
				return nil
			}
		default:
			if err := rd.discard(int(n)); err != nil {
				return err
			}
		}
	}
}

func (rd *Reader) addIface(body []byte, start int64) error {
	if len(body) < 8 {
		return &FormatError{start, "interface block too short"}
	}
	if len(rd.ifaces) >= 4096 {
		return &FormatError{start, "more than 4096 interfaces"}
	}
	ifc := ngIface{link: uint32(rd.bo.Uint16(body)), div: 1_000_000}
	opts := body[8:]
	for len(opts) >= 4 {
		code := rd.bo.Uint16(opts)
		l := int(rd.bo.Uint16(opts[2:]))
		if code == 0 || 4+l > len(opts) {
			break
		}
		v := opts[4 : 4+l]
		switch {
		case code == 9 && l >= 1: // if_tsresol
			r := v[0]
			if r&0x80 != 0 {
				if r&0x7f > 63 {
					return &FormatError{start, "timestamp resolution out of range"}
				}
				ifc.div = 1 << (r & 0x7f)
			} else {
				if r > 19 {
					return &FormatError{start, "timestamp resolution out of range"}
				}
				ifc.div = 1
				for i := byte(0); i < r; i++ {
					ifc.div *= 10
				}
			}
		case code == 14 && l >= 8: // if_tsoffset
			ifc.offset = int64(rd.bo.Uint64(v))
		}
		opts = opts[4+(l+3)&^3:]
	}
	rd.ifaces = append(rd.ifaces, ifc)
	return nil
}

// packetBlock decodes an enhanced (6) or obsolete (2) packet block body.
func (rd *Reader) packetBlock(typ uint32, body []byte, f *Frame, start int64) (bool, error) {
	if len(body) < 20 {
		return false, &FormatError{start, "packet block too short"}
	}
	var id uint32
	if typ == 6 {
		id = rd.bo.Uint32(body)
	} else {
		id = uint32(rd.bo.Uint16(body))
	}
	if int(id) >= len(rd.ifaces) {
		return false, &FormatError{start, fmt.Sprintf("packet names interface %d, which was not described", id)}
	}
	ifc := &rd.ifaces[id]
	ts := uint64(rd.bo.Uint32(body[4:]))<<32 | uint64(rd.bo.Uint32(body[8:]))
	capl := rd.bo.Uint32(body[12:])
	orig := rd.bo.Uint32(body[16:])
	if uint64(capl) > uint64(len(body)-20) {
		return false, &FormatError{start + 20, fmt.Sprintf("captured length %d exceeds its block", capl)}
	}
	var sec, ns uint64
	switch ifc.div { // constant divisors compile to multiplications: the common cases
	case 1e6:
		sec, ns = ts/1e6, ts%1e6*1e3
	case 1e9:
		sec, ns = ts/1e9, ts%1e9
	default:
		sec = ts / ifc.div
		hi, lo := bits.Mul64(ts%ifc.div, 1e9)
		ns, _ = bits.Div64(hi, lo, ifc.div) // the remainder is < div, so the quotient fits
	}
	f.Time = time.Unix(int64(sec)+ifc.offset, int64(ns))
	f.Data = body[20 : 20+capl]
	f.Link = ifc.link
	f.OrigLen = int(orig)
	return true, nil
}

// LinkType is the first interface's link type (pcapng) or the file's (pcap).
func (rd *Reader) LinkType() uint32 {
	if rd.ng {
		if len(rd.ifaces) > 0 {
			return rd.ifaces[0].link
		}
		return LinkEthernet
	}
	return rd.link
}
