package agent

import (
	"context"
	"testing"
	"time"

	"github.com/packter/packter/protocol"
)

// FuzzFrame drives one frame through the agent's whole packet path (decode,
// hash, detection, description, -n formatting, -s) and checks that what it
// prints is a datagram PACKTER's parser accepts.
func FuzzFrame(f *testing.F) {
	for _, fr := range testFrames(f) {
		f.Add(uint32(1), fr)
	}
	f.Add(uint32(101), []byte{0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Fuzz(func(t *testing.T, link uint32, data []byte) {
		var got []byte
		a, err := newAgent(Config{Trace: TraceConfig{Server: "tc"}, Output: OutputConfig{SE: true}, Detection: DetectConfig{Spec: "adaptive,window=10,warmup=1"}}, funcOut(func(_ time.Time, r *protocol.Record) error {
			got = protocol.AppendPacket(got[:0], *r)
			return nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 12; i++ { // enough to close a detection window
			if err := a.frame(context.Background(), link, data, time.Unix(int64(i), 0), "", false); err != nil {
				t.Fatal(err)
			}
		}
		if got == nil {
			return
		}
		var d protocol.Datagram
		if err := protocol.Parse(got, &d); err != nil || len(d.Records) != 1 || d.Bad != 0 {
			t.Fatalf("printed %q: %v (bad %d)", got, err, d.Bad)
		}
	})
}

// FuzzSplitPrinted: any text either splits or is refused, never panics; the
// datagrams are slices of the input in order, and text this agent printed
// splits back into exactly what it printed.
func FuzzSplitPrinted(f *testing.F) {
	f.Add([]byte("TIME 1700000000 5\nPACKTER\n1.2.3.4,5.6.7.8,1,2,3,x\n"))
	f.Add([]byte("PACKTER\n1.2.3.4,5.6.7.8,1,2,3,x\nPACKTERSE\nse3.wavPACKTER\n"))        // untimed, SE runs into the next header
	f.Add([]byte("TIME 1 2\nPACKTERSE\nse1.wavTIME 1 3\nPACKTERAGENT a,1,ff\nPACKTER\n")) // PACKTER's own glued TIME line
	f.Add([]byte("TIME 1 9999999\nnot a time\n"))                                         // usec out of range
	f.Add([]byte("garbage\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ds, err := SplitPrinted(b)
		if err != nil {
			return
		}
		var joined []byte
		for _, d := range ds {
			joined = append(joined, d.Data...)
			if len(d.Data) > len(b) {
				t.Fatal("datagram longer than the input")
			}
		}
		if len(joined) > len(b) {
			t.Fatalf("%d bytes of datagrams from %d of input", len(joined), len(b))
		}
	})
}
