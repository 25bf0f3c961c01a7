package collect

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// alertpkt builds an Alertpkt datagram as Snort 2 on a 64-bit (or 32-bit) host
// lays it out (see spo_alert_unixsock.h), in byte order bo.
type alertSpec struct {
	msg                  string
	sec, usec            uint32
	pkt                  []byte
	dlt, net, trans, val uint32
	gen, sid, rev, prio  uint32
	size, event          int
}

func buildAlertpkt(bo binary.ByteOrder, a alertSpec) []byte {
	if a.size == 0 {
		a.size, a.event = 65880, 65832
	}
	b := make([]byte, a.size)
	copy(b, a.msg)
	put := func(off int, v uint32) { bo.PutUint32(b[off:], v) }
	put(256, a.sec)
	put(260, a.usec)
	put(264, uint32(len(a.pkt)))
	put(268, uint32(len(a.pkt)))
	put(272, a.dlt)
	put(276, a.net)
	put(280, a.trans)
	put(284, a.trans+20)
	put(288, a.val)
	copy(b[292:], a.pkt)
	put(a.event, a.gen)
	put(a.event+4, a.sid)
	put(a.event+8, a.rev)
	put(a.event+12, 3)
	put(a.event+16, a.prio)
	put(a.event+20, 77)
	return b
}

func TestDecodeAlertpkt(t *testing.T) {
	pkt := capPackets(t)[0]
	for _, layout := range []struct {
		name        string
		size, event int
	}{{"64-bit", 65880, 65832}, {"32-bit", 65864, 65828}} {
		for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			b := buildAlertpkt(bo, alertSpec{msg: "SCAN nmap, SYN", sec: 1700000000, usec: 250000, pkt: pkt, net: 14, trans: 34,
				gen: 1, sid: 469, rev: 4, prio: 2, size: layout.size, event: layout.event})
			var a Alertpkt
			if err := DecodeAlertpkt(b, bo, &a); err != nil {
				t.Fatalf("%s %v: %v", layout.name, bo, err)
			}
			if string(a.Msg) != "SCAN nmap, SYN" || a.SID != 469 || a.Generator != 1 || a.Rev != 4 || a.Priority != 2 || a.EventID != 77 {
				t.Errorf("%s %v: %+v", layout.name, bo, a)
			}
			if !a.HasPacket || !bytes.Equal(a.Packet, pkt) || !a.Time.Equal(time.Unix(1700000000, 250000000)) {
				t.Errorf("%s %v: packet %v %x time %v", layout.name, bo, a.HasPacket, a.Packet, a.Time)
			}
			if d := string(a.AppendDescription(nil)); d != "Incident:SCAN nmap, SYN sid:469 gen:1 rev:4" {
				t.Errorf("description %q", d)
			}
			link, p := a.frame()
			if link != LinkRaw || !bytes.Equal(p, pkt[14:]) {
				t.Errorf("frame: link %d", link)
			}
		}
	}
	var a Alertpkt
	if err := DecodeAlertpkt(make([]byte, 1000), binary.LittleEndian, &a); !errors.Is(err, ErrShort) {
		t.Errorf("short datagram: %v", err)
	}
	b := buildAlertpkt(binary.LittleEndian, alertSpec{msg: "x", pkt: pkt})
	binary.LittleEndian.PutUint32(b[264:], 70000) // caplen beyond pkt[]
	if err := DecodeAlertpkt(b, binary.LittleEndian, &a); !errors.Is(err, ErrFormat) {
		t.Errorf("caplen beyond pkt: %v", err)
	}
	// Control characters in the message cannot break the record's line.
	b = buildAlertpkt(binary.LittleEndian, alertSpec{msg: "bad\nline\r", val: alertNoPacket, sid: 1})
	if err := DecodeAlertpkt(b, binary.LittleEndian, &a); err != nil || a.HasPacket {
		t.Fatalf("no-packet alert: %v %v", err, a.HasPacket)
	}
	if d := string(a.AppendDescription(nil)); d != "Incident:bad line  sid:1 gen:0 rev:0" {
		t.Errorf("description %q", d)
	}
}

func TestRunSnort(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "snort_alert")
	// A stale socket from an earlier run is replaced; a regular file is not.
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := RunSnort(context.Background(), path, newRecSink(), nil); err == nil {
		t.Fatal("RunSnort replaced a regular file")
	}
	os.Remove(path)
	stale, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	stale.Close()

	sink := newRecSink()
	serve(t, func(ctx context.Context) error { return RunSnort(ctx, path, sink, nil) })
	var c *net.UnixConn
	for i := 0; ; i++ { // RunSnort is started by serve: wait for its socket to answer
		c, err = net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
		if err == nil {
			break
		}
		if i > 1000 {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	defer c.Close()
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v (%v), want 0600", st.Mode(), err)
	}
	pkts := capPackets(t)
	send := func(b []byte) {
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	send([]byte("short garbage"))
	send(buildAlertpkt(binary.NativeEndian, alertSpec{msg: "ICMP PING", sec: 1700000000, pkt: pkts[8], net: 14, trans: 34, gen: 1, sid: 384, rev: 8}))
	send(buildAlertpkt(binary.NativeEndian, alertSpec{msg: "no packet", val: alertNoPacket, gen: 116, sid: 1, rev: 1}))
	if !sink.wait(10*time.Second, func(s *recSink) bool { return len(s.frames) == 1 && len(s.alerts) == 1 }) {
		f, _, a := sink.snapshot()
		t.Fatalf("frames %d alerts %d", len(f), len(a))
	}
	frames, _, alerts := sink.snapshot()
	f := frames[0]
	if f.link != LinkRaw || !bytes.Equal(f.data, pkts[8][14:]) || f.desc != "Incident:ICMP PING sid:384 gen:1 rev:8" || !f.ts.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("frame %d %q %v", f.link, f.desc, f.ts)
	}
	if alerts[0] != "Incident:no packet sid:1 gen:116 rev:1" {
		t.Errorf("alert %q", alerts[0])
	}
}
