package collect

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"
)

// Errors of the decoders, for errors.Is.
var (
	ErrShort   = errors.New("truncated")
	ErrVersion = errors.New("unsupported version")
	ErrFormat  = errors.New("malformed")
)

// SFlowSample is one sampled packet header of an sFlow flow sample.
type SFlowSample struct {
	Link         uint32 // LINKTYPE_ of Header; 0 when the header protocol is one we cannot use
	Protocol     uint32 // sFlow header_protocol as sent
	Header       []byte // the sampled bytes; aliases the datagram
	FrameLength  uint32 // length of the original packet
	SamplingRate uint32
	Input        uint32
	Output       uint32
}

// SFlowDatagram is a decoded sFlow datagram. Samples is reused by DecodeSFlow, so
// after the first few datagrams decoding allocates nothing.
type SFlowDatagram struct {
	Version  uint32
	Agent    netip.Addr
	SubAgent uint32
	Sequence uint32
	Uptime   uint32 // milliseconds
	Samples  []SFlowSample
	Counters int // counter samples (counted only)
	Skipped  int // samples and flow records of other kinds, skipped
}

// sFlow header_protocol numbers we can hand to the packet path.
func sflowLink(proto uint32) uint32 {
	switch proto {
	case 1: // ETHERNET-ISO88023
		return LinkEthernet
	case 11, 12: // IPv4, IPv6
		return LinkRaw
	}
	return 0
}

// xdr reads big-endian XDR items, remembering the first shortfall.
type xdr struct {
	b   []byte
	err error
}

func (r *xdr) u32() uint32 {
	if len(r.b) < 4 {
		r.fail()
		return 0
	}
	v := binary.BigEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v
}

func (r *xdr) bytes(n uint32) []byte {
	if uint64(n) > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

// opaque reads n bytes padded to a multiple of 4.
func (r *xdr) opaque(n uint32) []byte {
	pad := (4 - n%4) % 4
	if uint64(n)+uint64(pad) > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n+pad:]
	return v
}

func (r *xdr) skip(n uint64) {
	if n > uint64(len(r.b)) {
		r.fail()
		return
	}
	r.b = r.b[n:]
}

func (r *xdr) fail() {
	if r.err == nil {
		r.err = ErrShort
	}
	r.b = nil
}

func (r *xdr) addr() netip.Addr {
	switch r.u32() {
	case 1:
		b := r.bytes(4)
		if b == nil {
			return netip.Addr{}
		}
		return netip.AddrFrom4([4]byte(b))
	case 2:
		b := r.bytes(16)
		if b == nil {
			return netip.Addr{}
		}
		return netip.AddrFrom16([16]byte(b))
	case 0: // UNKNOWN
		return netip.Addr{}
	}
	if r.err == nil {
		r.err = fmt.Errorf("%w: address type", ErrFormat)
	}
	r.b = nil
	return netip.Addr{}
}

// DecodeSFlow decodes an sFlow v5 or v4 (also v2) datagram into d. Header slices
// alias b. On error d holds what was decoded before the fault.
func DecodeSFlow(b []byte, d *SFlowDatagram) error {
	d.Samples = d.Samples[:0]
	d.Counters, d.Skipped = 0, 0
	r := xdr{b: b}
	d.Version = r.u32()
	if r.err != nil {
		return fmt.Errorf("sflow header: %w", r.err)
	}
	if d.Version != 5 && d.Version != 4 && d.Version != 2 {
		return fmt.Errorf("sflow: %w %d", ErrVersion, d.Version)
	}
	d.Agent = r.addr()
	d.SubAgent = 0
	if d.Version == 5 {
		d.SubAgent = r.u32()
	}
	d.Sequence = r.u32()
	d.Uptime = r.u32()
	n := r.u32()
	if r.err != nil {
		return fmt.Errorf("sflow header: %w", r.err)
	}
	// Every sample takes at least 8 bytes: a count beyond that is a lie.
	if uint64(n)*8 > uint64(len(r.b)) {
		return fmt.Errorf("sflow: %d samples in %d bytes: %w", n, len(r.b), ErrShort)
	}
	for i := uint32(0); i < n; i++ {
		var err error
		if d.Version == 5 {
			err = d.sample5(&r)
		} else {
			err = d.sample4(&r)
		}
		if err != nil {
			return fmt.Errorf("sflow v%d sample %d: %w", d.Version, i, err)
		}
	}
	return nil
}

func (d *SFlowDatagram) sample5(r *xdr) error {
	format := r.u32()
	length := r.u32()
	body := r.bytes(length)
	if r.err != nil {
		return r.err
	}
	s := xdr{b: body}
	switch format {
	case 1, 3: // flow_sample, flow_sample_expanded (enterprise 0)
		var rate, in, out uint32
		s.u32() // sequence
		if format == 1 {
			s.u32() // source id
		} else {
			s.u32() // source id type
			s.u32() // source id index
		}
		rate = s.u32()
		s.u32() // sample pool
		s.u32() // drops
		if format == 1 {
			in, out = s.u32(), s.u32()
		} else {
			s.u32()
			in = s.u32()
			s.u32()
			out = s.u32()
		}
		nrec := s.u32()
		if s.err != nil {
			return s.err
		}
		if uint64(nrec)*8 > uint64(len(s.b)) {
			return fmt.Errorf("%d records in %d bytes: %w", nrec, len(s.b), ErrShort)
		}
		for j := uint32(0); j < nrec; j++ {
			rf := s.u32()
			rl := s.u32()
			rb := s.bytes(rl)
			if s.err != nil {
				return fmt.Errorf("record %d: %w", j, s.err)
			}
			if rf != 1 { // only raw_packet_header; extended records are skipped
				d.Skipped++
				continue
			}
			h := xdr{b: rb}
			proto := h.u32()
			frameLen := h.u32()
			h.u32() // stripped
			hl := h.u32()
			hdr := h.bytes(hl) // padding is covered by the record length
			if h.err != nil {
				return fmt.Errorf("raw header record %d: %w", j, h.err)
			}
			d.Samples = append(d.Samples, SFlowSample{
				Link: sflowLink(proto), Protocol: proto, Header: hdr, FrameLength: frameLen,
				SamplingRate: rate, Input: in, Output: out,
			})
		}
	case 2, 4: // counters_sample, counters_sample_expanded
		d.Counters++
	default:
		d.Skipped++
	}
	return nil
}

// sample4 decodes one sFlow v2/v4 sample. These carry no lengths, so every
// structure must be walked to find the next one; an unknown kind ends the datagram.
func (d *SFlowDatagram) sample4(r *xdr) error {
	switch typ := r.u32(); typ {
	case 1: // FLOWSAMPLE
		r.u32() // sequence
		r.u32() // source id
		rate := r.u32()
		r.u32() // sample pool
		r.u32() // drops
		in, out := r.u32(), r.u32()
		switch kind := r.u32(); kind {
		case 1: // HEADER
			proto := r.u32()
			frameLen := r.u32()
			hl := r.u32()
			hdr := r.opaque(hl)
			if r.err != nil {
				return r.err
			}
			d.Samples = append(d.Samples, SFlowSample{
				Link: sflowLink(proto), Protocol: proto, Header: hdr, FrameLength: frameLen,
				SamplingRate: rate, Input: in, Output: out,
			})
		case 2: // IPV4 summary: length, protocol, src, dst, ports, tcp flags, tos
			r.skip(32)
			d.Skipped++
		case 3: // IPV6 summary: length, protocol, src, dst, ports, tcp flags, priority
			r.skip(56)
			d.Skipped++
		default:
			if r.err == nil {
				return fmt.Errorf("%w: packet data type %d", ErrFormat, kind)
			}
		}
		n := r.u32()
		if r.err != nil {
			return r.err
		}
		if uint64(n)*4 > uint64(len(r.b)) {
			return fmt.Errorf("%d extended records: %w", n, ErrShort)
		}
		for i := uint32(0); i < n; i++ {
			if err := skipExtended4(r, d.Version); err != nil {
				return fmt.Errorf("extended record %d: %w", i, err)
			}
		}
	case 2: // COUNTERSSAMPLE
		r.u32() // sequence
		r.u32() // source id
		r.u32() // sampling interval
		var size uint64
		switch ct := r.u32(); ct {
		case 1, 4, 6: // generic, FDDI, WAN: the generic interface counters
			size = 88
		case 2: // ethernet: generic + 13 dot3 counters
			size = 88 + 52
		case 3: // token ring: generic + 18 dot5 counters
			size = 88 + 72
		case 5: // 100BaseVG: generic + dot12 counters
			size = 88 + 80
		case 7: // vlan
			size = 28
		default:
			if r.err == nil {
				return fmt.Errorf("%w: counters type %d", ErrFormat, ct)
			}
		}
		r.skip(size)
		d.Counters++
	default:
		if r.err == nil {
			return fmt.Errorf("%w: sample type %d", ErrFormat, typ)
		}
	}
	return r.err
}

// skipExtended4 walks one v2/v4 extended data structure.
func skipExtended4(r *xdr, version uint32) error {
	switch typ := r.u32(); typ {
	case 1: // switch: src vlan, src priority, dst vlan, dst priority
		r.skip(16)
	case 2: // router: next hop, src mask, dst mask
		r.addr()
		r.skip(8)
	case 3: // gateway
		if version >= 4 {
			r.addr() // next hop
		}
		r.skip(12) // as, src as, src peer as
		segs := r.u32()
		if version < 4 { // v2: a plain AS path
			r.skip(uint64(segs) * 4)
			break
		}
		if uint64(segs)*8 > uint64(len(r.b)) {
			r.fail()
			break
		}
		for i := uint32(0); i < segs && r.err == nil; i++ {
			r.u32() // segment type
			r.skip(uint64(r.u32()) * 4)
		}
		r.skip(uint64(r.u32()) * 4) // communities
		r.u32()                     // localpref
	case 4: // user: src user, dst user (strings)
		r.opaque(r.u32())
		r.opaque(r.u32())
	case 5: // url: direction, url
		r.u32()
		r.opaque(r.u32())
	default:
		if r.err == nil {
			return fmt.Errorf("%w: extended type %d", ErrFormat, typ)
		}
	}
	return r.err
}

// RunSFlow collects sFlow v5/v4 datagrams on UDP addr until ctx ends.
func RunSFlow(ctx context.Context, addr string, sink Sink, log *slog.Logger) error {
	return RunSFlowWith(ctx, addr, sink, log, Options{})
}

// RunSFlowWith is RunSFlow with options.
func RunSFlowWith(ctx context.Context, addr string, sink Sink, log *slog.Logger, o Options) error {
	c, err := listenUDP(addr)
	if err != nil {
		return fmt.Errorf("sflow: %w", err)
	}
	defer c.Close()
	log = orDiscard(log)
	log.Info("sflow collector listening", "addr", c.LocalAddr().String())
	return ServeSFlow(ctx, c, sink, log, o)
}

// ServeSFlow collects sFlow from an open connection until ctx ends.
func ServeSFlow(ctx context.Context, conn net.PacketConn, sink Sink, log *slog.Logger, o Options) error {
	o = o.withDefaults()
	log = orDiscard(log)
	ll := limitedLog{log: log, every: o.LogEvery}
	var d SFlowDatagram
	return servePackets(ctx, conn, o, log, func(from netip.AddrPort, b []byte, now time.Time) {
		err := DecodeSFlow(b, &d)
		// Samples decoded before a fault are still good: send them.
		for i := range d.Samples {
			s := &d.Samples[i]
			if s.Link == 0 {
				o.Stats.Skipped.Add(1)
				continue
			}
			sink.Frame(s.Link, s.Header, now, "")
			o.Stats.Frames.Add(1)
		}
		o.Stats.Counters.Add(uint64(d.Counters))
		o.Stats.Skipped.Add(uint64(d.Skipped))
		if err != nil {
			o.Stats.Malformed.Add(1)
			ll.warn(now, "sflow: bad datagram", from.String(), err)
		}
	})
}
