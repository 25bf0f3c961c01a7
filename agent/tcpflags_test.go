package agent

import (
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// --tcp-flags ends TCP descriptions with tcpdump's flags, so a reset reads
// (and sounds) unlike a close; without it the descriptions are PACKTER's.
func TestTCPFlagsInDescriptions(t *testing.T) {
	i4 := ip4(layers.IPProtocolTCP)
	rst := &layers.TCP{SrcPort: 80, DstPort: 40000, RST: true, ACK: true, Window: 0}
	rst.SetNetworkLayerForChecksum(i4)
	fin := &layers.TCP{SrcPort: 80, DstPort: 40001, FIN: true, ACK: true, Window: 10}
	fin.SetNetworkLayerForChecksum(i4)
	u4 := ip4(layers.IPProtocolUDP)
	udp := &layers.UDP{SrcPort: 5353, DstPort: 53}
	udp.SetNetworkLayerForChecksum(u4)
	capture := pcapOf(t, [][]byte{
		ser(t, eth(layers.EthernetTypeIPv4), i4, rst),
		ser(t, eth(layers.EthernetTypeIPv4), i4, fin),
		ser(t, eth(layers.EthernetTypeIPv4), u4, udp),
	}, 0)
	plain, _ := printRun(t, Config{}, capture)
	if strings.Contains(plain, "[") {
		t.Errorf("flags without --tcp-flags:\n%s", plain)
	}
	cfg := Config{}
	cfg.Output.TCPFlags = true
	with, _ := printRun(t, cfg, capture)
	for _, want := range []string{
		"10.0.0.1,192.0.2.9,80,40000,2,TCP src:10.0.0.1(80) dst:192.0.2.9(40000) [R.]\n",
		"10.0.0.1,192.0.2.9,80,40001,2,TCP src:10.0.0.1(80) dst:192.0.2.9(40001) [F.]\n",
		"UDP src:10.0.0.1(5353) dst:192.0.2.9(53)\n",
	} {
		if !strings.Contains(with, want) {
			t.Errorf("missing %q in:\n%s", want, with)
		}
	}
}
