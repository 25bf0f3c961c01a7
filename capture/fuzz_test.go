package capture

import (
	"bytes"
	"testing"
)

// FuzzPacket drives the whole per-packet path: link decoding, IP and transport
// decoding, the traceback hash and the description. It must never panic, and a
// decoded packet must describe itself.
func FuzzPacket(f *testing.F) {
	ip := ipv4TCP()
	f.Add(uint32(LinkEthernet), append([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x00}, ip...))
	f.Add(uint32(LinkRaw), ipv6UDP())
	f.Add(uint32(LinkSLL2), append(append([]byte{0x86, 0xdd}, make([]byte, 18)...), ipv6UDP()...))
	f.Fuzz(func(t *testing.T, link uint32, data []byte) {
		var p Packet
		if err := Decode(link, data, &p); err != nil {
			return
		}
		if p.Flag() < 0 {
			t.Fatalf("decoded a packet PACKTER would not draw: %+v", p)
		}
		if len(p.AppendDesc(nil)) == 0 {
			t.Fatal("empty description")
		}
		TraceHash(p.IP, p.V6)
	})
}

// FuzzReader reads a whole capture file and decodes every frame.
func FuzzReader(f *testing.F) {
	f.Add(writePcapSeed())
	f.Fuzz(func(t *testing.T, b []byte) {
		rd, err := NewReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		var fr Frame
		var p Packet
		for i := 0; i < 10000; i++ {
			if err := rd.Next(&fr); err != nil {
				return
			}
			Decode(fr.Link, fr.Data, &p)
		}
	})
}

// writePcapSeed is a two-packet raw-IP pcap, built by hand.
func writePcapSeed() []byte {
	ip := ipv4TCP()
	b := []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 101, 0, 0, 0}
	for i := 0; i < 2; i++ {
		b = append(b, 1, 0, 0, 0, 2, 0, 0, 0, byte(len(ip)), 0, 0, 0, byte(len(ip)), 0, 0, 0)
		b = append(b, ip...)
	}
	return b
}
