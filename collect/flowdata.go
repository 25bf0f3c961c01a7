package collect

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"time"
)

// compile builds a template from its field specifiers.
func compile(raw []byte, count int, ipfix bool) (*template, bool) {
	t := &template{raw: bytes.Clone(raw), fields: make([]tfield, 0, count)}
	off := 0
	variable := false
	for len(raw) >= 4 {
		id := binary.BigEndian.Uint16(raw)
		l := binary.BigEndian.Uint16(raw[2:])
		ent := ipfix && id&0x8000 != 0
		if ent {
			raw = raw[8:]
		} else {
			raw = raw[4:]
		}
		kind := fNone
		if !ent {
			kind = fieldKind(id&0x7fff, l)
		}
		f := tfield{off: uint16(off), len: l, kind: kind}
		if ipfix && l == 0xffff {
			variable = true
			t.minLen++
		} else {
			off += int(l)
			t.minLen += int(l)
		}
		t.fields = append(t.fields, f)
		if kind != fNone && !variable {
			t.used = append(t.used, f)
		}
	}
	if t.minLen == 0 || t.minLen > maxDatagram {
		return nil, false // a zero-length record would never advance
	}
	if !variable {
		t.recLen = off
	} else {
		t.used = nil
	}
	return t, true
}

// data decodes every record of one data set.
func (fd *FlowDecoder) data(t *template, b []byte, tb timeBase, res *FlowResult) {
	if t.options {
		if t.recLen > 0 {
			res.Options += len(b) / t.recLen
		} else {
			res.Options++
		}
		return
	}
	if t.recLen > 0 {
		for len(b) >= t.recLen {
			var f Flow
			var st recState
			for _, u := range t.used {
				st.set(&f, u.kind, b[u.off:u.off+u.len])
			}
			st.finish(&f, tb)
			res.Flows = append(res.Flows, f)
			b = b[t.recLen:]
		}
		return // what is left is padding
	}
	for len(b) >= t.minLen {
		var f Flow
		var st recState
		ok := true
		for _, fl := range t.fields {
			l := int(fl.len)
			if fl.len == 0xffff {
				if len(b) < 1 {
					ok = false
					break
				}
				l, b = int(b[0]), b[1:]
				if l == 255 {
					if len(b) < 2 {
						ok = false
						break
					}
					l, b = int(binary.BigEndian.Uint16(b)), b[2:]
				}
			}
			if l > len(b) {
				ok = false
				break
			}
			if fl.kind != fNone {
				st.set(&f, fl.kind, b[:l])
			}
			b = b[l:]
		}
		if !ok {
			return // a truncated last record: padding or garbage
		}
		st.finish(&f, tb)
		res.Flows = append(res.Flows, f)
	}
}

// recState carries the time fields of a record until they can be combined.
type recState struct {
	last, first         uint32
	hasLast, hasFirst   bool
	endMs               int64
	hasEnd, hasICMPCode bool
}

func beUint(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

func (st *recState) set(f *Flow, kind uint8, b []byte) {
	if len(b) > 8 && kind != fSrc6 && kind != fDst6 {
		return // no integer we map is wider than 8 bytes
	}
	switch kind {
	case fSrc4:
		f.Src = netip.AddrFrom4([4]byte(b))
	case fDst4:
		f.Dst = netip.AddrFrom4([4]byte(b))
	case fSrc6:
		f.Src = netip.AddrFrom16([16]byte(b))
	case fDst6:
		f.Dst = netip.AddrFrom16([16]byte(b))
	case fSPort:
		f.SPort = uint16(beUint(b))
	case fDPort:
		f.DPort = uint16(beUint(b))
	case fProto:
		f.Proto = uint8(beUint(b))
	case fFlags:
		f.TCPFlags = uint8(beUint(b)) // the low byte holds the classic flags
	case fICMPTypeCode:
		v := beUint(b)
		f.ICMPType, f.ICMPCode = uint8(v>>8), uint8(v)
		st.hasICMPCode = true
	case fICMPType:
		f.ICMPType = uint8(beUint(b))
		st.hasICMPCode = true
	case fICMPCode:
		f.ICMPCode = uint8(beUint(b))
		st.hasICMPCode = true
	case fPackets:
		f.Packets = beUint(b)
	case fBytes:
		f.Bytes = beUint(b)
	case fLastUptime:
		st.last, st.hasLast = uint32(beUint(b)), true
	case fFirstUptime:
		st.first, st.hasFirst = uint32(beUint(b)), true
	case fEndSeconds:
		st.endMs, st.hasEnd = int64(beUint(b))*1000, true
	case fEndMillis:
		st.endMs, st.hasEnd = int64(beUint(b)), true
	}
}

func (st *recState) finish(f *Flow, tb timeBase) {
	switch {
	case st.hasEnd:
		f.Time = time.UnixMilli(st.endMs)
	case st.hasLast && tb.uptime != 0:
		f.Time = tb.fromUptime(st.last)
	case st.hasFirst && tb.uptime != 0:
		f.Time = tb.fromUptime(st.first)
	default:
		f.Time = time.UnixMilli(tb.exportMs)
	}
	if !st.hasICMPCode {
		icmpFromPort(f)
	}
}
