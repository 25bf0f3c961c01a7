package capture

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"
	"time"
)

// order is a byte order that can append.
type order interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// ngBlock builds a pcapng block in the given byte order.
func ngBlock(bo order, typ uint32, body []byte) []byte {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	n := uint32(12 + len(body))
	b := bo.AppendUint32(nil, typ)
	b = bo.AppendUint32(b, n)
	b = append(b, body...)
	return bo.AppendUint32(b, n)
}

func ngSHB(bo order) []byte {
	body := bo.AppendUint32(nil, 0x1A2B3C4D)
	body = bo.AppendUint16(body, 1)
	body = bo.AppendUint16(body, 0)
	body = bo.AppendUint64(body, ^uint64(0))
	return ngBlock(bo, 0x0A0D0D0A, body)
}

func ngIDB(bo order, link uint16, opts ...[]byte) []byte {
	body := bo.AppendUint16(nil, link)
	body = bo.AppendUint16(body, 0)
	body = bo.AppendUint32(body, 0)
	for _, o := range opts {
		body = append(body, o...)
	}
	return ngBlock(bo, 1, body)
}

func ngOpt(bo order, code uint16, v []byte) []byte {
	b := bo.AppendUint16(nil, code)
	b = bo.AppendUint16(b, uint16(len(v)))
	b = append(b, v...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func ngEPB(bo order, iface uint32, ts uint64, data []byte) []byte {
	body := bo.AppendUint32(nil, iface)
	body = bo.AppendUint32(body, uint32(ts>>32))
	body = bo.AppendUint32(body, uint32(ts))
	body = bo.AppendUint32(body, uint32(len(data)))
	body = bo.AppendUint32(body, uint32(len(data)))
	body = append(body, data...)
	return ngBlock(bo, 6, body)
}

// TestPcapngInterfacesAndResolutions: two sections (little- then big-endian),
// interfaces with different link types, microsecond default, binary (2^-10)
// and millisecond resolutions, a timestamp offset, and blocks to skip.
func TestPcapngInterfacesAndResolutions(t *testing.T) {
	ip := ipv4TCP()
	ethFrame := append([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x00}, ip...)
	le, be := order(binary.LittleEndian), order(binary.BigEndian)
	var f []byte
	f = append(f, ngSHB(le)...)
	f = append(f, ngIDB(le, 1)...)                                                  // 0: Ethernet, µs
	f = append(f, ngIDB(le, 101, ngOpt(le, 9, []byte{0x8a}), ngOpt(le, 0, nil))...) // 1: raw, 2^-10 s
	f = append(f, ngBlock(le, 5, make([]byte, 20))...)                              // interface statistics: skipped
	f = append(f, ngEPB(le, 0, 1_700_000_000_123_456, ethFrame)...)
	f = append(f, ngEPB(le, 1, 1_700_000_000*1024+512, ip)...)
	f = append(f, ngSHB(be)...)
	f = append(f, ngIDB(be, 101, ngOpt(be, 9, []byte{3}), ngOpt(be, 14, be.AppendUint64(nil, 100)))...) // ms, +100 s
	f = append(f, ngEPB(be, 0, 1_700_000_000_250, ip)...)

	rd, err := NewReader(bytes.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		link uint32
		ts   time.Time
	}{
		{LinkEthernet, time.Unix(1_700_000_000, 123_456_000)},
		{LinkRaw, time.Unix(1_700_000_000, 500_000_000)},
		{LinkRaw, time.Unix(1_700_000_100, 250_000_000)},
	}
	var fr Frame
	var p Packet
	for i, w := range want {
		if err := rd.Next(&fr); err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if fr.Link != w.link || !fr.Time.Equal(w.ts) {
			t.Fatalf("packet %d: link %d time %v, want %d %v", i, fr.Link, fr.Time, w.link, w.ts)
		}
		if err := Decode(fr.Link, fr.Data, &p); err != nil || p.DPort != 80 {
			t.Fatalf("packet %d: %v %+v", i, err, p)
		}
	}
	if err := rd.Next(&fr); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
	// A packet naming an interface that was never described is corrupt.
	bad := append(append(ngSHB(le), ngIDB(le, 1)...), ngEPB(le, 3, 0, ip)...)
	rd, _ = NewReader(bytes.NewReader(bad))
	if err := rd.Next(&fr); err == nil {
		t.Fatal("accepted a packet of an undescribed interface")
	}
}
