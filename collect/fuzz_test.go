package collect

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
	"time"
)

// Fuzz targets for every decoder. Seeds live in testdata/fuzz/<Target>/: real
// datagrams from softflowd and pmacct (written by the peer tests with
// PACKTER_WRITE_SEEDS=1) and the hand-built ones of TestWriteSeeds, each named
// for what it exercises.

func FuzzSFlow(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		var d SFlowDatagram
		err := DecodeSFlow(b, &d)
		n := 0
		for _, s := range d.Samples {
			n += len(s.Header)
		}
		if n > len(b) {
			t.Fatalf("headers of %d bytes from a %d-byte datagram", n, len(b))
		}
		if err == nil && d.Version != 5 && d.Version != 4 && d.Version != 2 {
			t.Fatalf("accepted version %d", d.Version)
		}
	})
}

func fuzzFlows(t *testing.T, b []byte) {
	fd := FlowDecoder{MaxTemplates: 8, MaxPending: 4, MaxPendingBytes: 4096}
	var res FlowResult
	ex := netip.MustParseAddr("192.0.2.1")
	_ = fd.Decode(ex, b, t0, &res)
	if len(res.Flows) > len(b) {
		t.Fatalf("%d flows from %d bytes", len(res.Flows), len(b))
	}
	// Again, with the templates it taught: resent templates and held sets.
	_ = fd.Decode(ex, b, t0.Add(time.Second), &res)
	if len(res.Flows) > 2*len(b) {
		t.Fatalf("%d flows from %d bytes twice", len(res.Flows), len(b))
	}
	if fd.Templates() > 8 {
		t.Fatalf("%d templates over the cap", fd.Templates())
	}
	n := 0
	for _, c := range fd.perExporter {
		n += c
	}
	if n != fd.Templates() {
		t.Fatalf("exporters count %d templates, cache holds %d", n, fd.Templates())
	}
	if fd.pendingBytes > 4096 || len(fd.pending) > 4 {
		t.Fatalf("held %d sets, %d bytes over the caps", len(fd.pending), fd.pendingBytes)
	}
}

func FuzzNetFlow(f *testing.F) { f.Fuzz(fuzzFlows) }
func FuzzIPFIX(f *testing.F)   { f.Fuzz(fuzzFlows) }

// FuzzAlertpkt feeds the input as a datagram, and also placed into a
// full-size Alertpkt (its head at the start, its tail as the Event), so that
// short inputs reach the decoding of every field.
func FuzzAlertpkt(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		var a Alertpkt
		check := func(dg []byte) {
			if err := DecodeAlertpkt(dg, binary.LittleEndian, &a); err != nil {
				return
			}
			if len(a.Packet) > alertPktLen || len(a.Msg) > alertMsgLen {
				t.Fatalf("packet %d msg %d", len(a.Packet), len(a.Msg))
			}
			link, p := a.frame()
			if len(p) > len(a.Packet) || (link != LinkRaw && link != LinkEthernet) {
				t.Fatalf("frame %d of %d bytes", link, len(p))
			}
			if d := a.AppendDescription(nil); bytes.ContainsAny(d, "\r\n") {
				t.Fatalf("description with a line end: %q", d)
			}
		}
		check(b)
		full := make([]byte, alertSize64)
		copy(full, b)
		if len(b) > 48 {
			copy(full[alertEvent64:], b[len(b)-48:])
		}
		check(full)
	})
}

func FuzzEVE(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		var a EVEAlert
		if err := ParseEVE(b, &a); err == nil {
			if !a.Src.IsValid() || !a.Dst.IsValid() {
				t.Fatalf("alert without addresses: %+v", a)
			}
			if d := a.Description(); bytes.ContainsAny([]byte(d), "\r\n") {
				t.Fatalf("description with a line end: %q", d)
			}
		}
		var s lineSplitter
		total := 0
		s.feed(b, func(l []byte) {
			if bytes.IndexByte(l, '\n') >= 0 {
				t.Fatalf("line with a newline: %q", l)
			}
			total += len(l)
		}, func() {})
		if total > len(b) {
			t.Fatalf("%d line bytes from %d", total, len(b))
		}
	})
}
