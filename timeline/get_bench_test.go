package timeline

import (
	"fmt"
	"testing"

	"github.com/packter/packter/event"
)

// BenchmarkGet reads events back as the console and the board do: default,
// traceable and custom descriptions (the last from the ring, where text is
// bytes again and is cleaned on the way out).
func BenchmarkGet(b *testing.B) {
	tl := New(1 << 16)
	tl.str.in.maxCount = 0 // every custom description in the ring
	for i := range 1 << 16 {
		desc := ""
		switch i % 3 {
		case 1:
			desc = fmt.Sprintf("%032x-10.0.0.9", i)
		case 2:
			desc = fmt.Sprintf("Incident:ET SCAN Suspicious inbound to port %d sid:2010937 gen:1 rev:3", i)
		}
		ev := packet(i, desc)
		tl.Append(&ev)
	}
	var ev event.Event
	b.ReportAllocs()
	i := uint64(0)
	for b.Loop() {
		if !tl.Get(i&(1<<16-1), &ev) {
			b.Fatal("event gone")
		}
		i++
	}
}
