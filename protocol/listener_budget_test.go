package protocol

import (
	"bytes"
	"net"
	"testing"
	"time"
)

func send(t *testing.T, addr string, dgs ...[]byte) {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, d := range dgs {
		if _, err := c.Write(d); err != nil {
			t.Fatal(err)
		}
	}
}

func waitStats(t *testing.T, l *Listener, cond func(ListenerStats) bool) ListenerStats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := l.Stats()
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met: %+v", st)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// With a consumer that does not read, memory stays within the byte budget:
// what does not fit is dropped and counted, never queued.
func TestListenerByteBudget(t *testing.T) {
	l, err := Listen(ListenConfig{Addr: "127.0.0.1:0", Budget: 100_000})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	big := bytes.Repeat([]byte("x"), 60_000)
	var dgs [][]byte
	for i := 0; i < 20; i++ {
		dgs = append(dgs, big)
	}
	send(t, l.Addr().String(), dgs...)
	st := waitStats(t, l, func(s ListenerStats) bool { return s.Datagrams+s.KernelDropped >= 20 })
	if st.Dropped == 0 {
		t.Errorf("20 × 60 kB queued under a 100 kB budget: %+v", st)
	}
	if in := l.inflight.Load(); in > 100_000 {
		t.Errorf("%d bytes held over a budget of 100,000", in)
	}
	// What was kept is intact and released memory is given back.
	b := l.Next()
	if b == nil || len(b.Packets) == 0 || !bytes.Equal(b.Packets[0].Data, big) {
		t.Fatalf("kept batch %v", b)
	}
	l.Release(b)
	if in := l.inflight.Load(); in != 0 {
		t.Errorf("%d bytes still counted after release", in)
	}
}

// A consumer that fell behind gets the present: batches older than MaxLag
// are shed, counted, and never handed out.
func TestListenerShedsStaleBatches(t *testing.T) {
	l, err := Listen(ListenConfig{Addr: "127.0.0.1:0", MaxLag: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	send(t, l.Addr().String(), []byte("PACKTERVOICE\nstale"))
	waitStats(t, l, func(s ListenerStats) bool { return s.Batches >= 1 })
	got := make(chan *Batch, 1)
	go func() { got <- l.Next() }()
	waitStats(t, l, func(s ListenerStats) bool { return s.Shed >= 1 })
	l.Close()
	if b := <-got; b != nil {
		t.Errorf("a stale batch was handed out: %q", b.Packets[0].Data)
	}
}
