package capture

import (
	"testing"

	"github.com/packter/packter/capture/internal/gen"
)

// BenchmarkDecode measures Decode per frame: the Ethernet/VLAN/IP fast path
// and, for comparison, tunnelled and rare link-type frames.
// Rerun: go test ./capture -run '^$' -bench Decode -benchmem
func BenchmarkDecode(b *testing.B) {
	ip := ipv4TCP()
	eth := append([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x00}, ip...)
	vlan6 := append([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x81, 0x00, 0x00, 0x0a, 0x86, 0xdd}, ipv6UDP()...)
	frame := func(file string, n int) (uint32, []byte) {
		for _, c := range gen.Cases() {
			if c.File == file {
				return c.Link, c.Frames[n].Data
			}
		}
		b.Fatalf("no case %s", file)
		return 0, nil
	}
	greLink, gre := frame("gre.pcap", 1)
	erLink, erspan := frame("erspan3.pcap", 1)
	rtLink, rt := frame("radiotap.pcap", 1)
	for _, bc := range []struct {
		name string
		link uint32
		data []byte
	}{
		{"ethernet-ipv4-tcp", LinkEthernet, eth},
		{"vlan-ipv6-udp", LinkEthernet, vlan6},
		{"gre-key-seq-ipv6", greLink, gre},
		{"erspan3-subheader", erLink, erspan},
		{"radiotap-qos-ht", rtLink, rt},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var p Packet
			b.ReportAllocs()
			for b.Loop() {
				if err := Decode(bc.link, bc.data, &p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
