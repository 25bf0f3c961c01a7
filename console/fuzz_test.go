package console

import (
	"testing"

	"github.com/packter/packter/event"
)

// FuzzParseFilter: any typed filter parses or fails cleanly, and matching
// with it never panics.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"tcp syn", "flag:3 10.0.0.0/8", "port:80 v6", "addr:2001:db8::1", "flag:-1", "port:99999", "syn udp", "::/0 words"} {
		f.Add(s)
	}
	evs := []event.Event{
		pkt("10.0.0.1", "127.0.0.1", 60000, 80, 1, "desc"),
		pkt("2001:db8::1", "2001:db8::2", 1, 53, 8, "0123456789abcdef0123456789abcdef-tc"),
		{Kind: event.KindMessage, Text: event.CleanText("x", event.MaxText)},
	}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := ParseFilter(s)
		if err != nil {
			return
		}
		for i := range evs {
			flt.Match(&evs[i])
		}
	})
}
