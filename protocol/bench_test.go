package protocol

import (
	"context"
	"fmt"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"
)

func benchRecord(i int) Record {
	return Record{
		Src: AddrFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})), Dst: AddrFrom(netip.MustParseAddr("192.168.1.10")),
		SPort: PortFrom(uint32(40000 + i%20000)), DPort: PortFrom(443), Flag: 0,
		Desc: []byte(fmt.Sprintf("TCP src:10.0.%d.%d(%d) dst:192.168.1.10(443)", byte(i>>8), byte(i), 40000+i%20000)),
	}
}

// BenchmarkParseRecord measures records/s for single-record datagrams.
func BenchmarkParseRecord(b *testing.B) {
	r := benchRecord(7)
	dg := AppendPacket(nil, r)
	var d Datagram
	b.ReportAllocs()
	b.SetBytes(int64(len(dg)))
	for b.Loop() {
		if err := Parse(dg, &d); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "Mrecords/s")
}

// BenchmarkParseBulk measures records/s inside bulk datagrams (one IPv6 in ten).
func BenchmarkParseBulk(b *testing.B) {
	recs := make([]Record, 40)
	for i := range recs {
		recs[i] = benchRecord(i)
		if i%10 == 0 {
			recs[i].Src = AddrFrom(netip.MustParseAddr("2001:db8::1"))
		}
	}
	dg := AppendPacket(nil, recs...)
	var d Datagram
	b.ReportAllocs()
	for b.Loop() {
		if err := Parse(dg, &d); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(recs))/b.Elapsed().Seconds()/1e6, "Mrecords/s")
	b.ReportMetric(float64(testing.AllocsPerRun(100, func() { Parse(dg, &d) }))/float64(len(recs)), "allocs/record")
}

func BenchmarkAppendPacket(b *testing.B) {
	r := benchRecord(9)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendPacket(buf[:0], r)
	}
}

// BenchmarkLoopbackIngest sends single-record datagrams over loopback as fast
// as one sender goroutine can and counts what the listener received: the
// figure is received datagrams/s, with loss reported beside it.
func BenchmarkLoopbackIngest(b *testing.B) {
	for _, bulk := range []int{1, 40} {
		b.Run(fmt.Sprintf("records-per-datagram=%d", bulk), func(b *testing.B) {
			l, err := Listen(ListenConfig{Addr: "127.0.0.1:0"})
			if err != nil {
				b.Fatal(err)
			}
			var recs, dgs atomic.Uint64
			ctx, cancel := context.WithCancel(context.Background())
			served := make(chan struct{})
			go func() {
				var d Datagram
				l.Serve(ctx, func(bt *Batch) {
					for _, p := range bt.Packets {
						if Parse(p.Data, &d) == nil {
							recs.Add(uint64(len(d.Records)))
						}
						dgs.Add(1)
					}
				})
				close(served)
			}()
			rs := make([]Record, bulk)
			for i := range rs {
				rs[i] = benchRecord(i)
			}
			payload := AppendPacket(nil, rs...)
			s, err := NewSender(SenderConfig{Viewers: []string{l.Addr().String()}})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				s.Datagram(payload)
			}
			sent := s.Stats().Datagrams
			// Let the listener drain what the kernel holds.
			for last := uint64(0); ; {
				time.Sleep(20 * time.Millisecond)
				n := dgs.Load()
				if n == last || n >= sent {
					break
				}
				last = n
			}
			el := time.Since(start).Seconds()
			b.StopTimer()
			cancel()
			s.Close()
			<-served
			st := l.Stats()
			b.ReportMetric(float64(st.Datagrams)/el, "datagrams/s")
			b.ReportMetric(float64(recs.Load())/el, "records/s")
			b.ReportMetric(100*(1-float64(dgs.Load())/float64(sent)), "%lost")
		})
	}
}

func BenchmarkAppendDesc(b *testing.B) {
	r := benchRecord(7)
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendDesc(buf[:0], &r)
	}
}
