package agent

import (
	"context"
	"encoding/binary"
	"net"
	"strings"
	"testing"
	"time"
)

// netflowV5 is one hand-built NetFlow v5 export with one TCP flow.
func netflowV5(now time.Time) []byte {
	b := make([]byte, 24+48)
	binary.BigEndian.PutUint16(b[0:], 5)
	binary.BigEndian.PutUint16(b[2:], 1)
	binary.BigEndian.PutUint32(b[4:], 60000) // sysuptime ms
	binary.BigEndian.PutUint32(b[8:], uint32(now.Unix()))
	r := b[24:]
	copy(r[0:], []byte{10, 1, 1, 1})
	copy(r[4:], []byte{10, 2, 2, 2})
	binary.BigEndian.PutUint32(r[16:], 3)     // packets
	binary.BigEndian.PutUint32(r[20:], 180)   // bytes
	binary.BigEndian.PutUint32(r[24:], 59000) // first
	binary.BigEndian.PutUint32(r[28:], 59900) // last
	binary.BigEndian.PutUint16(r[32:], 1234)
	binary.BigEndian.PutUint16(r[34:], 80)
	r[37] = 0x12 // SYN|ACK
	r[38] = 6
	return b
}

// TestNetFlowCollector starts the agent with --netflow on loopback and checks a
// flow comes out as a PACKTER record with PACKTER's flag (SYN wins).
func TestNetFlowCollector(t *testing.T) {
	viewer, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer viewer.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	bound := make(chan net.Addr, 1)
	go func() {
		_, err := Run(ctx, Config{Input: InputConfig{Collectors: map[string]string{"netflow": "127.0.0.1:0"},
			Listening: func(_ string, a net.Addr) { bound <- a }}, Output: OutputConfig{Viewers: []string{viewer.LocalAddr().String()}}})
		done <- err
	}()
	var addr string
	select {
	case a := <-bound:
		addr = a.String()
	case err := <-done:
		t.Fatalf("Run: %v", err)
	}
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	buf := make([]byte, 2048)
	deadline := time.Now().Add(10 * time.Second)
	for {
		// The collector may not be listening yet: resend until a record arrives.
		conn.Write(netflowV5(time.Now()))
		viewer.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, _, err := viewer.ReadFrom(buf)
		if err == nil {
			got := string(buf[:n])
			if !strings.HasPrefix(got, "PACKTER\n10.1.1.1,10.2.2.2,1234,80,1,") {
				t.Fatalf("record %q", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no record from the NetFlow collector")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}
