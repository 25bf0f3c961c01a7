package agent

import (
	"bytes"
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/packter/packter/capture"
	"github.com/packter/packter/intertrack"
	"github.com/packter/packter/samples"
)

// TestDigestsAnswerForWhatTheAgentSaw: with --as/--digests the agent keeps
// the traceback digests of the packets it read and answers queries for them
// after the capture ends.
func TestDigestsAnswerForWhatTheAgentSaw(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	// The digest of the sample's last IP packet, by the package's hash.
	rd, err := capture.NewReader(bytes.NewReader(samples.Capture()))
	if err != nil {
		t.Fatal(err)
	}
	var fr capture.Frame
	var p capture.Packet
	var last [16]byte
	for rd.Next(&fr) == nil {
		if capture.Decode(fr.Link, fr.Data, &p) == nil {
			last, _ = capture.TraceHash(p.IP, p.V6)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, Config{Output: OutputConfig{PrintOnly: true, Stdout: io.Discard}, Input: InputConfig{Reader: bytes.NewReader(samples.Capture())}, Trace: TraceConfig{AS: 64500, Digests: addr}})
		done <- err
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		qctx, qcancel := context.WithTimeout(ctx, 2*time.Second)
		ans, err := intertrack.QueryDigest(qctx, nil, addr, last, time.Time{}, time.Time{})
		qcancel()
		if err == nil && ans.Seen {
			if ans.ASN != 64500 {
				t.Fatalf("answered for AS %d", ans.ASN)
			}
			break
		}
		// Not listening yet, or the capture not read to its end: ask again.
		if time.Now().After(deadline) {
			t.Fatalf("never SEEN: %+v %v", ans, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ans, err := intertrack.QueryDigest(ctx, nil, addr, [16]byte{1, 2, 3}, time.Time{}, time.Time{})
	if err != nil || ans.Seen {
		t.Fatalf("a hash never seen: %+v %v", ans, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
