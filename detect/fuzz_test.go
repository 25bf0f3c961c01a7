package detect

import (
	"net/netip"
	"testing"
	"time"
)

// FuzzParseConf: packter.conf text from disk never panics the parser, and
// what it yields is accepted or refused by New without panicking either.
func FuzzParseConf(f *testing.F) {
	f.Add([]byte("# PACKTER 2.5\nTH_COUNT=100\nMON_SYN_MSG=<b>SYN</b>\n"), "threshold")
	f.Add([]byte("TH_LAMBDA=2\nTH_COUNT=1e9\n"), "adaptive") // out of range: refused
	f.Add([]byte("TH_INTERVAL=1e300\n"), "threshold")        // a quiet time past time.Duration
	f.Add([]byte("=\n==\nA==B\n\x00\xff"), "threshold")
	f.Fuzz(func(t *testing.T, b []byte, mode string) {
		conf, err := ParseConf(b)
		if err != nil {
			return
		}
		sp, err := ParseSpec(mode + ",window=10")
		if err != nil {
			return
		}
		d, err := New(sp, conf)
		if err != nil {
			return
		}
		// Drive a few windows so the words are composed from the config.
		ts := time.Unix(1700000000, 0)
		dst := netip.MustParseAddr("10.0.0.5")
		for i := range 100 {
			d.Observe(ts.Add(time.Duration(i)*time.Millisecond), dst, Classify(protoTCP, tcpSyn))
		}
	})
}
