package collect

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"
)

// FlowResult is what one datagram yielded. Flows is reused by Decode: after the
// templates are known, decoding allocates nothing.
type FlowResult struct {
	Version   uint16
	Flows     []Flow
	Templates int // templates learnt or changed
	Withdrawn int // templates withdrawn (IPFIX)
	Rejected  int // templates refused: over the caps, or nonsensical
	Options   int // options data records (exporter metadata, not flows): skipped
	Pending   int // data sets held until their template comes
	Lost      int // held data sets that expired or did not fit: their records are lost
}

// FlowDecoder decodes NetFlow v5, v9 and IPFIX datagrams. Its state is the
// template cache, keyed by exporter address, source id / observation domain and
// template id, and the data sets held while their template is awaited. Time only
// enters through the now argument. A FlowDecoder is used by one goroutine.
type FlowDecoder struct {
	MaxTemplates    int           // default 4096; beyond it new templates are refused
	MaxPerExporter  int           // templates of one exporter address, default 512: one cannot starve the rest
	MaxFields       int           // fields per template, default 128
	TemplateTTL     time.Duration // unrefreshed templates expire, default 30 min
	PendingTTL      time.Duration // data sets wait this long for their template, default 3 s
	MaxPending      int           // data sets held, default 256
	MaxPendingBytes int           // bytes held, default 1 MiB

	templates    map[tmplKey]*template
	perExporter  map[netip.Addr]int
	pending      []pendingSet
	pendingBytes int
	lastSweep    time.Time
}

type tmplKey struct {
	exporter netip.Addr
	domain   uint32
	id       uint16
	ipfix    bool
}

// Field kinds we map into a Flow.
const (
	fNone uint8 = iota
	fSrc4
	fDst4
	fSrc6
	fDst6
	fSPort
	fDPort
	fProto
	fFlags
	fICMPTypeCode
	fICMPType
	fICMPCode
	fPackets
	fBytes
	fLastUptime  // v9 LAST_SWITCHED, IPFIX flowEndSysUpTime: ms of exporter uptime
	fEndSeconds  // IPFIX flowEndSeconds
	fEndMillis   // IPFIX flowEndMilliseconds
	fFirstUptime // used only when no end time is given
)

// fieldKind maps a NetFlow v9 field type / IPFIX information element (they agree
// below 128, and IPFIX extends them) to the part of a Flow it fills.
func fieldKind(id uint16, length uint16) uint8 {
	switch id {
	case 8:
		if length == 4 {
			return fSrc4
		}
	case 12:
		if length == 4 {
			return fDst4
		}
	case 27:
		if length == 16 {
			return fSrc6
		}
	case 28:
		if length == 16 {
			return fDst6
		}
	case 7:
		return fSPort
	case 11:
		return fDPort
	case 4:
		return fProto
	case 6:
		return fFlags
	case 32, 139: // icmpTypeCodeIPv4/IPv6: type*256+code
		return fICMPTypeCode
	case 176, 178:
		return fICMPType
	case 177, 179:
		return fICMPCode
	case 2, 86: // packetDeltaCount, packetTotalCount
		return fPackets
	case 1, 85: // octetDeltaCount, octetTotalCount
		return fBytes
	case 21:
		return fLastUptime
	case 22:
		return fFirstUptime
	case 151:
		return fEndSeconds
	case 153:
		return fEndMillis
	}
	return fNone
}

type tfield struct {
	off  uint16 // offset in the record, for fixed-length templates
	len  uint16 // 0xffff: IPFIX variable length
	kind uint8
}

type template struct {
	raw     []byte // the field specifiers as sent: a resent template is compared, not rebuilt
	fields  []tfield
	used    []tfield // fields with a kind, fixed-length templates only
	recLen  int      // record length; 0 when some field has variable length
	minLen  int      // shortest possible record
	options bool
	seen    time.Time
}

type pendingSet struct {
	key  tmplKey
	at   time.Time
	base timeBase
	data []byte
}

// timeBase converts exporter uptimes to wall time.
type timeBase struct {
	exportMs int64  // export time, ms since the epoch
	uptime   uint32 // exporter uptime at export, ms (v5/v9)
}

func (tb timeBase) fromUptime(ms uint32) time.Time {
	return time.UnixMilli(tb.exportMs - int64(int32(tb.uptime-ms)))
}

func (fd *FlowDecoder) init() {
	if fd.templates == nil {
		fd.templates = make(map[tmplKey]*template)
		fd.perExporter = make(map[netip.Addr]int)
	}
	if fd.MaxPerExporter <= 0 {
		fd.MaxPerExporter = 512
	}
	if fd.MaxTemplates <= 0 {
		fd.MaxTemplates = 4096
	}
	if fd.MaxFields <= 0 {
		fd.MaxFields = 128
	}
	if fd.TemplateTTL <= 0 {
		fd.TemplateTTL = 30 * time.Minute
	}
	if fd.PendingTTL <= 0 {
		fd.PendingTTL = 3 * time.Second
	}
	if fd.MaxPending <= 0 {
		fd.MaxPending = 256
	}
	if fd.MaxPendingBytes <= 0 {
		fd.MaxPendingBytes = 1 << 20
	}
}

// Templates reports how many templates are cached.
func (fd *FlowDecoder) Templates() int { return len(fd.templates) }

// Decode decodes one NetFlow v5, v9 or IPFIX datagram from exporter into res
// (which it resets). Records of data sets decoded before a fault stay in res.
func (fd *FlowDecoder) Decode(exporter netip.Addr, b []byte, now time.Time, res *FlowResult) error {
	fd.init()
	*res = FlowResult{Flows: res.Flows[:0]}
	fd.sweep(now, res)
	if len(b) < 2 {
		return fmt.Errorf("netflow header: %w", ErrShort)
	}
	res.Version = binary.BigEndian.Uint16(b)
	var err error
	switch res.Version {
	case 5:
		err = decodeV5(b, res)
	case 9:
		err = fd.decodeV9(exporter, b, now, res)
	case 10:
		err = fd.decodeIPFIX(exporter, b, now, res)
	default:
		err = fmt.Errorf("netflow: %w %d", ErrVersion, res.Version)
	}
	return err
}

func decodeV5(b []byte, res *FlowResult) error {
	const hdr, rec = 24, 48
	if len(b) < hdr {
		return fmt.Errorf("netflow v5 header: %w", ErrShort)
	}
	n := int(binary.BigEndian.Uint16(b[2:]))
	if n*rec > len(b)-hdr {
		return fmt.Errorf("netflow v5: %d records in %d bytes: %w", n, len(b)-hdr, ErrShort)
	}
	tb := timeBase{
		exportMs: int64(binary.BigEndian.Uint32(b[8:]))*1000 + int64(binary.BigEndian.Uint32(b[12:]))/1e6,
		uptime:   binary.BigEndian.Uint32(b[4:]),
	}
	for i := range n {
		r := b[hdr+i*rec : hdr+(i+1)*rec]
		f := Flow{
			Time:     tb.fromUptime(binary.BigEndian.Uint32(r[28:])),
			Src:      netip.AddrFrom4([4]byte(r[0:4])),
			Dst:      netip.AddrFrom4([4]byte(r[4:8])),
			Packets:  uint64(binary.BigEndian.Uint32(r[16:])),
			Bytes:    uint64(binary.BigEndian.Uint32(r[20:])),
			SPort:    binary.BigEndian.Uint16(r[32:]),
			DPort:    binary.BigEndian.Uint16(r[34:]),
			TCPFlags: r[37],
			Proto:    r[38],
		}
		icmpFromPort(&f)
		res.Flows = append(res.Flows, f)
	}
	return nil
}

// icmpFromPort follows the NetFlow convention of carrying ICMP type and code in
// the destination port (type*256+code) when no ICMP field was given.
func icmpFromPort(f *Flow) {
	if (f.Proto == 1 || f.Proto == 58) && f.ICMPType == 0 && f.ICMPCode == 0 {
		f.ICMPType, f.ICMPCode = uint8(f.DPort>>8), uint8(f.DPort)
	}
}

func (fd *FlowDecoder) decodeV9(exporter netip.Addr, b []byte, now time.Time, res *FlowResult) error {
	if len(b) < 20 {
		return fmt.Errorf("netflow v9 header: %w", ErrShort)
	}
	tb := timeBase{
		exportMs: int64(binary.BigEndian.Uint32(b[8:])) * 1000,
		uptime:   binary.BigEndian.Uint32(b[4:]),
	}
	domain := binary.BigEndian.Uint32(b[16:])
	return fd.sets(exporter, domain, false, b[20:], tb, now, res)
}

func (fd *FlowDecoder) decodeIPFIX(exporter netip.Addr, b []byte, now time.Time, res *FlowResult) error {
	if len(b) < 16 {
		return fmt.Errorf("ipfix header: %w", ErrShort)
	}
	n := int(binary.BigEndian.Uint16(b[2:]))
	if n < 16 || n > len(b) {
		return fmt.Errorf("ipfix: message length %d of %d bytes: %w", n, len(b), ErrShort)
	}
	tb := timeBase{exportMs: int64(binary.BigEndian.Uint32(b[4:])) * 1000}
	domain := binary.BigEndian.Uint32(b[12:])
	return fd.sets(exporter, domain, true, b[16:n], tb, now, res)
}

// sets walks the flowsets (v9) or sets (IPFIX) of a datagram. Templates are
// learnt first wherever they sit, so data that precedes its template in the
// same datagram is decoded too.
func (fd *FlowDecoder) sets(exporter netip.Addr, domain uint32, ipfix bool, b []byte, tb timeBase, now time.Time, res *FlowResult) error {
	tmplSet, optSet := uint16(0), uint16(1)
	if ipfix {
		tmplSet, optSet = 2, 3
	}
	// Pass 1: templates.
	rest := b
	var err error
	for len(rest) >= 4 {
		id := binary.BigEndian.Uint16(rest)
		n := int(binary.BigEndian.Uint16(rest[2:]))
		if n < 4 || n > len(rest) {
			err = fmt.Errorf("set %d: length %d of %d bytes: %w", id, n, len(rest), ErrShort)
			break
		}
		body := rest[4:n]
		rest = rest[n:]
		if id == tmplSet || id == optSet {
			if e := fd.learn(exporter, domain, ipfix, id == optSet, body, now, res); e != nil {
				err = e
				break
			}
		}
	}
	// Pass 2: data, up to where pass 1 stopped.
	rest = b[:len(b)-len(rest)]
	for len(rest) >= 4 {
		id := binary.BigEndian.Uint16(rest)
		n := int(binary.BigEndian.Uint16(rest[2:]))
		if n < 4 || n > len(rest) {
			break
		}
		body := rest[4:n]
		rest = rest[n:]
		if id < 256 {
			continue
		}
		key := tmplKey{exporter: exporter, domain: domain, id: id, ipfix: ipfix}
		t := fd.templates[key]
		if t == nil {
			fd.hold(key, body, tb, now, res)
			continue
		}
		fd.data(t, body, tb, res)
	}
	if len(fd.pending) > 0 && res.Templates > 0 {
		fd.release(res)
	}
	if err != nil {
		if ipfix {
			return fmt.Errorf("ipfix: %w", err)
		}
		return fmt.Errorf("netflow v9: %w", err)
	}
	return nil
}

// learn reads the templates of one template or options template set.
// It is over 80 lines because it follows the set's layout field by field
// (RFC 3954 §6, RFC 7011 §3.4), each length checked before it is used;
// split, those checks would be spread over helpers passing offsets around.
func (fd *FlowDecoder) learn(exporter netip.Addr, domain uint32, ipfix, options bool, b []byte, now time.Time, res *FlowResult) error {
	for len(b) >= 4 {
		id := binary.BigEndian.Uint16(b)
		var count int // field specifiers that follow
		var hdr int
		if !ipfix && options {
			// v9 options template: id, scope length, option length (bytes).
			if len(b) < 6 {
				return nil // padding
			}
			scope, opt := int(binary.BigEndian.Uint16(b[2:])), int(binary.BigEndian.Uint16(b[4:]))
			if scope%4 != 0 || opt%4 != 0 {
				return fmt.Errorf("options template %d: %w: lengths %d+%d", id, ErrFormat, scope, opt)
			}
			count, hdr = (scope+opt)/4, 6
		} else {
			count, hdr = int(binary.BigEndian.Uint16(b[2:])), 4
			if ipfix && options && count > 0 {
				hdr = 6 // scope field count follows
			}
		}
		if id < 256 {
			if id == 0 && count == 0 {
				return nil // padding of zeros
			}
			if ipfix && count == 0 && (id == 2 || id == 3) { // withdraw all
				for k := range fd.templates {
					if k.ipfix && k.exporter == exporter && k.domain == domain {
						fd.forget(k)
						res.Withdrawn++
					}
				}
				b = b[4:]
				continue
			}
			return fmt.Errorf("template id %d: %w", id, ErrFormat)
		}
		key := tmplKey{exporter: exporter, domain: domain, id: id, ipfix: ipfix}
		if ipfix && count == 0 { // withdrawal
			if _, ok := fd.templates[key]; ok {
				fd.forget(key)
				res.Withdrawn++
			}
			b = b[4:]
			continue
		}
		if len(b) < hdr || count*4 > len(b)-hdr {
			return fmt.Errorf("template %d: %d fields: %w", id, count, ErrShort)
		}
		// The specifiers' length: enterprise fields take 4 more bytes each.
		spec := b[hdr:]
		n := 0
		for i := 0; i < count; i++ {
			if n+4 > len(spec) {
				return fmt.Errorf("template %d field %d: %w", id, i, ErrShort)
			}
			if ipfix && spec[n]&0x80 != 0 {
				n += 8
			} else {
				n += 4
			}
		}
		if n > len(spec) {
			return fmt.Errorf("template %d: %w", id, ErrShort)
		}
		raw := spec[:n]
		b = spec[n:]
		if count > fd.MaxFields {
			res.Rejected++
			continue
		}
		if t := fd.templates[key]; t != nil && t.options == options && bytes.Equal(t.raw, raw) {
			t.seen = now // refreshed: the common case, allocation-free
			continue
		}
		t, ok := compile(raw, count, ipfix)
		if !ok {
			res.Rejected++
			continue
		}
		_, exists := fd.templates[key]
		if !exists && (len(fd.templates) >= fd.MaxTemplates || fd.perExporter[exporter] >= fd.MaxPerExporter) {
			fd.expire(now)
			if len(fd.templates) >= fd.MaxTemplates || fd.perExporter[exporter] >= fd.MaxPerExporter {
				res.Rejected++ // a flood must not evict the templates in use
				continue
			}
		}
		t.options = options
		t.seen = now
		fd.templates[key] = t
		if !exists {
			fd.perExporter[exporter]++
		}
		res.Templates++
	}
	return nil
}
