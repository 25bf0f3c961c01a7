package capture

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/packter/packter/capture/internal/gen"
)

//go:generate go test -run TestGeneratedCaptures -update

var update = flag.Bool("update", false, "rewrite capture/testdata from capture/internal/gen")

// TestGeneratedCaptures reads every test capture (one per link type and
// encapsulation) through the reader and the decoder, and checks each frame
// gives the record its generator says, with the traceback hash taken over the
// packet the record describes. The files must match the generator byte for
// byte, so they cannot drift from it.
func TestGeneratedCaptures(t *testing.T) {
	for _, c := range gen.Cases() {
		t.Run(c.File, func(t *testing.T) {
			path := filepath.Join("testdata", c.File)
			want := c.Bytes()
			if *update {
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
				writeSeeds(t, c)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go generate ./capture)", err)
			}
			if !bytes.Equal(b, want) {
				t.Fatalf("%s differs from what capture/internal/gen makes (run go generate ./capture)", path)
			}
			rd, err := NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			var fr Frame
			for i := 0; ; i++ {
				err := rd.Next(&fr)
				if err == io.EOF {
					if i != len(c.Frames) {
						t.Fatalf("read %d frames, want %d", i, len(c.Frames))
					}
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if fr.Link != c.Link {
					t.Fatalf("frame %d: link %d, want %d", i+1, fr.Link, c.Link)
				}
				checkFrame(t, i+1, fr, c.Frames[i])
			}
		})
	}
}

// writeSeeds keeps each case's frames as FuzzPacket seeds, so fuzzing starts
// from every link type and encapsulation (testdata/fuzz/README.md).
func writeSeeds(t *testing.T, c gen.Case) {
	if c.NG { // the same frames as the pcap case
		return
	}
	for i, f := range c.Frames {
		name := fmt.Sprintf("gen-%s-%d", strings.TrimSuffix(c.File, filepath.Ext(c.File)), i+1)
		seed := fmt.Sprintf("go test fuzz v1\nuint32(%d)\n[]byte(%s)\n", c.Link, strconv.Quote(string(f.Data)))
		if err := os.WriteFile(filepath.Join("testdata", "fuzz", "FuzzPacket", name), []byte(seed), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDecodeAllocatesNothing decodes every generated frame, tunnels and rare
// link types included, and counts allocations: the whole decoder stays
// allocation-free, not just the Ethernet fast path.
func TestDecodeAllocatesNothing(t *testing.T) {
	var frames []gen.Frame
	var links []uint32
	for _, c := range gen.Cases() {
		for _, f := range c.Frames {
			frames, links = append(frames, f), append(links, c.Link)
		}
	}
	var p Packet
	n := testing.AllocsPerRun(20, func() {
		for i, f := range frames {
			Decode(links[i], f.Data, &p)
		}
	})
	if n != 0 {
		t.Fatalf("%v allocations decoding %d frames", n, len(frames))
	}
}

func checkFrame(t *testing.T, n int, fr Frame, want gen.Frame) {
	t.Helper()
	var p Packet
	err := Decode(fr.Link, fr.Data, &p)
	if want.Want == "" {
		if err == nil || err.Error() != want.Err {
			t.Fatalf("frame %d: got %v, want error %q", n, err, want.Err)
		}
		return
	}
	if err != nil {
		t.Fatalf("frame %d: %v, want %q", n, err, want.Want)
	}
	if got := string(p.AppendDesc(nil)); got != want.Want {
		t.Fatalf("frame %d: %q, want %q", n, got, want.Want)
	}
	if int(p.Tunnels) != want.Tunnels {
		t.Fatalf("frame %d: %d tunnels, want %d", n, p.Tunnels, want.Tunnels)
	}
	// The hashed bytes are the described packet's header: its addresses are
	// the record's.
	off, size := 12, 4
	if p.V6 {
		off, size = 8, 16
	}
	if len(p.IP) < off+2*size {
		t.Fatalf("frame %d: hashed bytes too short", n)
	}
	src, _ := netip.AddrFromSlice(p.IP[off : off+size])
	dst, _ := netip.AddrFromSlice(p.IP[off+size : off+2*size])
	if src != p.Src || dst != p.Dst {
		t.Fatalf("frame %d: hash covers %s > %s, record says %s > %s", n, src, dst, p.Src, p.Dst)
	}
	if _, ok := TraceHash(p.IP, p.V6); !ok {
		t.Fatalf("frame %d: no traceback hash", n)
	}
}

// TestCausesCounted decodes the malformed-tunnel capture and counts each
// frame's cause: bad lengths, truncation and nesting past the bound are told
// apart, and none is mistaken for a record.
func TestCausesCounted(t *testing.T) {
	var cs Causes
	for _, c := range gen.Cases() {
		for _, f := range c.Frames {
			var p Packet
			cs.Add(Decode(c.Link, f.Data, &p))
		}
	}
	got := map[string]uint64{}
	cs.Each(func(c Cause, n uint64) { got[c.String()] = n })
	for _, k := range []string{"ok", "truncated", "malformed", "too_deep", "encrypted", "protocol"} {
		if got[k] == 0 {
			t.Errorf("no frame counted as %s: %v", k, got)
		}
	}
	if !CauseTooDeep.Bad() || !CauseShort.Bad() || CauseEncrypted.Bad() || CauseNotIP.Bad() {
		t.Error("Bad() misclassifies causes")
	}
	if CauseOf(ErrTooDeep) != CauseTooDeep || !Bad(ErrTooDeep) || Bad(ErrEncrypted) {
		t.Error("CauseOf/Bad disagree")
	}
}
