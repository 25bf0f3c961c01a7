package collect

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"
)

func TestSFlowV5Samples(t *testing.T) {
	pkts := capPackets(t)
	ipOnly := pkts[7][14:] // the UDP packet without its Ethernet header
	b := sflow5(
		flowSample(256, switchRecord(), rawHeaderRecord(1, pkts[0][:40])),
		counterSample(),
		expandedFlowSample(512, rawHeaderRecord(11, ipOnly), switchRecord()),
		wbuf(nil).u32(9<<12|1).u32(4).u32(0),               // enterprise 9 sample: skipped by its length
		flowSample(1, rawHeaderRecord(2, []byte{1, 2, 3})), // token bus: not usable
	)
	var d SFlowDatagram
	if err := DecodeSFlow(b, &d); err != nil {
		t.Fatal(err)
	}
	if d.Version != 5 || d.Agent != netip.MustParseAddr("192.0.2.1") || d.Uptime != 1000 {
		t.Errorf("header %+v", d)
	}
	if len(d.Samples) != 3 || d.Counters != 1 || d.Skipped != 3 {
		t.Fatalf("samples %d counters %d skipped %d, want 3, 1, 3", len(d.Samples), d.Counters, d.Skipped)
	}
	s := d.Samples[0]
	if s.Link != LinkEthernet || !bytes.Equal(s.Header, pkts[0][:40]) || s.SamplingRate != 256 || s.Input != 3 || s.Output != 4 {
		t.Errorf("compact sample %+v", s)
	}
	s = d.Samples[1]
	if s.Link != LinkRaw || !bytes.Equal(s.Header, ipOnly) || s.SamplingRate != 512 || s.Output != 4 {
		t.Errorf("expanded sample %+v", s)
	}
	if d.Samples[2].Link != 0 {
		t.Errorf("unusable header protocol given link %d", d.Samples[2].Link)
	}
}

func TestSFlowV4(t *testing.T) {
	pkts := capPackets(t)
	hdr := pkts[3][:60]
	ext := wbuf(nil).
		u32(1).u32(1).u32(0).u32(2).u32(0).                                                    // switch
		u32(2).u32(1).ip(netip.MustParseAddr("192.0.2.254")).u32(24).u32(16).                  // router
		u32(3).u32(1).ip(netip.MustParseAddr("192.0.2.253")).u32(65000).u32(65001).u32(65002). // gateway
		u32(2).u32(2).u32(2).u32(1).u32(2).u32(1).u32(1).u32(3).                               // two AS path segments
		u32(1).u32(99).u32(100).                                                               // one community, localpref
		u32(4).append(xdrOpaque([]byte("alice"))).append(xdrOpaque([]byte("bob"))).            // user
		u32(5).u32(1).append(xdrOpaque([]byte("http://example/")))                             // url
	flow := wbuf(nil).u32(1).u32(7).u32(3).u32(64).u32(1000).u32(0).u32(1).u32(2).
		u32(1).u32(1).u32(uint32(len(pkts[3]))).append(xdrOpaque(hdr)).
		u32(5).append(ext)
	generic := make([]byte, 88)
	counters := wbuf(nil).u32(2).u32(8).u32(3).u32(30).u32(2).append(generic).append(make([]byte, 52))
	b := wbuf(nil).u32(4).u32(1).ip(netip.MustParseAddr("192.0.2.1")).u32(1).u32(5000).u32(3).
		append(flow).append(counters).append(flow)
	var d SFlowDatagram
	if err := DecodeSFlow(b, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Samples) != 2 || d.Counters != 1 {
		t.Fatalf("samples %d counters %d, want 2 and 1", len(d.Samples), d.Counters)
	}
	if s := d.Samples[1]; s.Link != LinkEthernet || !bytes.Equal(s.Header, hdr) || s.SamplingRate != 64 {
		t.Errorf("v4 sample %+v", s)
	}
	// An unknown extended type cannot be skipped in v4: the samples before it stand.
	bad := append(wbuf(nil).u32(4).u32(1).ip(netip.MustParseAddr("192.0.2.1")).u32(1).u32(5000).u32(2).append(flow),
		wbuf(nil).u32(1).u32(7).u32(3).u32(64).u32(1000).u32(0).u32(1).u32(2).u32(1).u32(1).u32(60).append(xdrOpaque(hdr)).u32(1).u32(77)...)
	if err := DecodeSFlow(bad, &d); !errors.Is(err, ErrFormat) || len(d.Samples) != 2 {
		t.Errorf("unknown extended type: err %v, %d samples", err, len(d.Samples))
	}
}

func TestSFlowBadInput(t *testing.T) {
	good := sflow5(flowSample(1, rawHeaderRecord(1, make([]byte, 64))))
	cases := map[string][]byte{
		"empty":            nil,
		"version 3":        wbuf(nil).u32(3),
		"agent type 7":     wbuf(nil).u32(5).u32(7),
		"sample count lie": append(append([]byte(nil), good[:24]...), 0xff, 0xff, 0xff, 0xff),
		"sample len lie":   append(append([]byte(nil), good[:32]...), 0x7f, 0xff, 0xff, 0xff),
		"truncated":        good[:len(good)-3],
	}
	var d SFlowDatagram
	for name, b := range cases {
		if err := DecodeSFlow(b, &d); err == nil {
			t.Errorf("%s: no error", name)
		}
		if err := DecodeSFlow(good, &d); err != nil || len(d.Samples) != 1 {
			t.Errorf("after %s the next datagram: %v, %d samples", name, err, len(d.Samples))
		}
	}
}

func TestSFlowDecodeAllocs(t *testing.T) {
	pkts := capPackets(t)
	var samples [][]byte
	for _, p := range pkts {
		samples = append(samples, flowSample(1, rawHeaderRecord(1, p), switchRecord()))
	}
	b := sflow5(samples...)
	var d SFlowDatagram
	if err := DecodeSFlow(b, &d); err != nil || len(d.Samples) != len(pkts) {
		t.Fatalf("warm-up: %v %d", err, len(d.Samples))
	}
	if a := testing.AllocsPerRun(100, func() { _ = DecodeSFlow(b, &d) }); a != 0 {
		t.Errorf("%.1f allocations per datagram, want 0", a)
	}
}

// TestServeSFlowQueue checks the listener end to end over loopback: frames
// reach the sink, a garbage datagram is counted, and the next is still read.
func TestServeSFlow(t *testing.T) {
	conn := listenLoopback(t)
	sink := newRecSink()
	var st Stats
	serve(t, func(ctx context.Context) error { return ServeSFlow(ctx, conn, sink, nil, Options{Stats: &st}) })
	c, err := net.Dial("udp", conn.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pkts := capPackets(t)
	c.Write([]byte("garbage"))
	c.Write(sflow5(flowSample(1, rawHeaderRecord(1, pkts[0])), counterSample()))
	if !sink.wait(10*time.Second, func(s *recSink) bool { return len(s.frames) == 1 }) {
		t.Fatalf("no frame; stats %+v", st.Snapshot())
	}
	frames, _, _ := sink.snapshot()
	if frames[0].link != LinkEthernet || !bytes.Equal(frames[0].data, pkts[0]) || frames[0].desc != "" {
		t.Errorf("frame %+v", frames[0])
	}
	if s := st.Snapshot(); s.Malformed != 1 || s.Counters != 1 || s.Datagrams != 2 {
		t.Errorf("stats %+v", s)
	}
}

// blockSink holds every Frame call until released: the decoder stalls.
type blockSink struct {
	recSink
	release chan struct{}
}

func (b *blockSink) Frame(link uint32, data []byte, ts time.Time, desc string) {
	<-b.release
	b.recSink.Frame(link, data, ts, desc)
}

func TestServeDropsWhenQueueFull(t *testing.T) {
	conn := listenLoopback(t)
	sink := &blockSink{recSink: *newRecSink(), release: make(chan struct{})}
	var st Stats
	serve(t, func(ctx context.Context) error {
		return ServeSFlow(ctx, conn, sink, nil, Options{Stats: &st, Queue: 2})
	})
	c, err := net.Dial("udp", conn.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dg := sflow5(flowSample(1, rawHeaderRecord(1, capPackets(t)[0])))
	// With the decoder stuck on the first datagram, at most 2 more are queued:
	// the reader must keep reading and drop the rest.
	const sent = 20
	for range sent {
		if _, err := c.Write(dg); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for st.Datagrams.Load() < sent && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	close(sink.release)
	if got := st.Datagrams.Load(); got != sent {
		t.Fatalf("reader read %d of %d datagrams while the decoder was stuck", got, sent)
	}
	if d := st.Dropped.Load(); d < sent-3 {
		t.Errorf("dropped %d, want at least %d", d, sent-3)
	}
	if !sink.wait(10*time.Second, func(s *recSink) bool { return uint64(len(s.frames)) == sent-st.Dropped.Load() }) {
		t.Errorf("queued datagrams not decoded after release")
	}
}
