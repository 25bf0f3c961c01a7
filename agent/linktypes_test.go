package agent

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/packter/packter/capture"
	"github.com/packter/packter/protocol"
)

// Every test capture of capture/testdata (one per link type and tunnel,
// made by capture's generator) goes through the agent's whole record path:
// the records it makes are exactly the packets capture decodes, innermost
// addresses and all, and every encapsulation gives at least one.
func TestAgentReadsEveryEncapsulation(t *testing.T) {
	files, _ := filepath.Glob("../capture/testdata/*.pcap*")
	if len(files) < 30 {
		t.Fatalf("only %d test captures found", len(files))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want := decodeAll(t, b)
			var got []string
			err = Records(context.Background(), bytes.NewReader(b), Config{}, func(_ time.Time, r *protocol.Record) error {
				got = append(got, string(r.Desc))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("agent records:\n%s\nwant, as capture decodes them:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if len(got) == 0 && name != "malformed-tunnels.pcap" {
				t.Errorf("no record from %s", name)
			}
		})
	}
}

// decodeAll is what capture itself makes of a file: one default description
// per decodable frame.
func decodeAll(t *testing.T, b []byte) []string {
	t.Helper()
	rd, err := capture.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var fr capture.Frame
	var p capture.Packet
	for {
		err := rd.Next(&fr)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if capture.Decode(fr.Link, fr.Data, &p) == nil {
			out = append(out, string(p.AppendDesc(nil)))
		}
	}
}
