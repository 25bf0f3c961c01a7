package collect

import (
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// recSink is a Sink that records everything it is fed, for tests.
type recSink struct {
	mu     sync.Mutex
	frames []recFrame
	flows  []Flow
	alerts []string
	kick   chan struct{}
}

type recFrame struct {
	link uint32
	data []byte
	ts   time.Time
	desc string
}

func newRecSink() *recSink { return &recSink{kick: make(chan struct{}, 1)} }

func (s *recSink) poke() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *recSink) Frame(link uint32, data []byte, ts time.Time, desc string) {
	s.mu.Lock()
	s.frames = append(s.frames, recFrame{link, append([]byte(nil), data...), ts, desc})
	s.mu.Unlock()
	s.poke()
}

func (s *recSink) Flow(f *Flow) {
	s.mu.Lock()
	s.flows = append(s.flows, *f)
	s.mu.Unlock()
	s.poke()
}

func (s *recSink) Alert(text string) {
	s.mu.Lock()
	s.alerts = append(s.alerts, text)
	s.mu.Unlock()
	s.poke()
}

// wait blocks until cond holds (checked under the lock after every event) or
// the deadline passes, and reports whether it held.
func (s *recSink) wait(d time.Duration, cond func(s *recSink) bool) bool {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ok := cond(s)
		s.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-s.kick:
		case <-deadline.C:
			s.mu.Lock()
			defer s.mu.Unlock()
			return cond(s)
		}
	}
}

func (s *recSink) snapshot() ([]recFrame, []Flow, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recFrame(nil), s.frames...), append([]Flow(nil), s.flows...), append([]string(nil), s.alerts...)
}

// Addresses of the test capture.
var (
	capClient = netip.MustParseAddr("10.0.0.1")
	capServer = netip.MustParseAddr("10.0.0.2")
	capDNS    = netip.MustParseAddr("10.0.0.3")
	capPinged = netip.MustParseAddr("10.0.0.4")
	capV6a    = netip.MustParseAddr("2001:db8::1")
	capV6b    = netip.MustParseAddr("2001:db8::2")
	capStart  = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

// capPackets builds the test traffic: a TCP connection to port 80 (handshake,
// request, close), a UDP query to port 53, an ICMP echo and reply, and an IPv6
// UDP datagram to port 123.
func capPackets(t testing.TB) [][]byte {
	t.Helper()
	macA, macB := []byte{2, 0, 0, 0, 0, 1}, []byte{2, 0, 0, 0, 0, 2}
	var out [][]byte
	build := func(v6 bool, src, dst netip.Addr, l4 gopacket.SerializableLayer, ip4proto layers.IPProtocol, payload []byte) {
		eth := &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeIPv4}
		var ipl gopacket.NetworkLayer
		var ser gopacket.SerializableLayer
		if v6 {
			eth.EthernetType = layers.EthernetTypeIPv6
			ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: ip4proto, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
			ipl, ser = ip, ip
		} else {
			ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: ip4proto, SrcIP: src.AsSlice(), DstIP: dst.AsSlice(), Id: uint16(len(out) + 1)}
			ipl, ser = ip, ip
		}
		switch l := l4.(type) {
		case *layers.TCP:
			l.SetNetworkLayerForChecksum(ipl)
		case *layers.UDP:
			l.SetNetworkLayerForChecksum(ipl)
		}
		buf := gopacket.NewSerializeBuffer()
		opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
		if err := gopacket.SerializeLayers(buf, opts, eth, ser, l4, gopacket.Payload(payload)); err != nil {
			t.Fatal(err)
		}
		out = append(out, append([]byte(nil), buf.Bytes()...))
	}
	tcp := func(src, dst netip.Addr, sp, dp uint16, seq, ack uint32, flags string, payload []byte) {
		l := &layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), Seq: seq, Ack: ack, Window: 65535, DataOffset: 5}
		for _, c := range flags {
			switch c {
			case 'S':
				l.SYN = true
			case 'A':
				l.ACK = true
			case 'F':
				l.FIN = true
			case 'P':
				l.PSH = true
			}
		}
		build(false, src, dst, l, layers.IPProtocolTCP, payload)
	}
	req := []byte("GET / HTTP/1.0\r\n\r\n")
	tcp(capClient, capServer, 40000, 80, 100, 0, "S", nil)
	tcp(capServer, capClient, 80, 40000, 500, 101, "SA", nil)
	tcp(capClient, capServer, 40000, 80, 101, 501, "A", nil)
	tcp(capClient, capServer, 40000, 80, 101, 501, "PA", req)
	tcp(capServer, capClient, 80, 40000, 501, 101+uint32(len(req)), "FA", nil)
	tcp(capClient, capServer, 40000, 80, 101+uint32(len(req)), 502, "FA", nil)
	tcp(capServer, capClient, 80, 40000, 502, 102+uint32(len(req)), "A", nil)
	build(false, capClient, capDNS, &layers.UDP{SrcPort: 5353, DstPort: 53}, layers.IPProtocolUDP, []byte("query"))
	build(false, capClient, capPinged, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0), Id: 1, Seq: 1}, layers.IPProtocolICMPv4, []byte("ping"))
	build(false, capPinged, capClient, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(0, 0), Id: 1, Seq: 1}, layers.IPProtocolICMPv4, []byte("ping"))
	build(true, capV6a, capV6b, &layers.UDP{SrcPort: 123, DstPort: 123}, layers.IPProtocolUDP, []byte("ntp"))
	return out
}

// writeCapture writes the test traffic as an Ethernet pcap into dir.
func writeCapture(t testing.TB, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "traffic.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for i, p := range capPackets(t) {
		ci := gopacket.CaptureInfo{Timestamp: capStart.Add(time.Duration(i) * 10 * time.Millisecond), CaptureLength: len(p), Length: len(p)}
		if err := w.WritePacket(ci, p); err != nil {
			t.Fatal(err)
		}
	}
	return path
}
