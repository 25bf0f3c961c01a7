package monitor

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/protocol"
	"github.com/packter/packter/timeline"
)

var (
	now  = time.Unix(1_800_000_000, 0)
	from = netip.MustParseAddrPort("127.0.0.1:40000")
)

// collector keeps what it is given, as any output may.
type collector struct {
	mu  sync.Mutex
	evs []event.Event
}

func (c *collector) Event(ev *event.Event) {
	c.mu.Lock()
	c.evs = append(c.evs, *ev)
	c.mu.Unlock()
}

func (c *collector) snapshot() []event.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]event.Event(nil), c.evs...)
}

func record(desc string) protocol.Record {
	return protocol.Record{
		Src: protocol.AddrFrom(netip.MustParseAddr("10.0.0.1")), Dst: protocol.AddrFrom(netip.MustParseAddr("10.0.0.2")),
		SPort: protocol.PortFrom(60000), DPort: protocol.PortFrom(80), Flag: 1, Desc: []byte(desc),
	}
}

// fakeSource delivers datagrams from reused buffers, then events, then
// waits for the end: what it delivered must arrive whole, in order.
type fakeSource struct {
	dgs    [][]byte
	events []event.Event
	done   chan struct{} // closed when every done callback ran
}

func (f *fakeSource) Run(ctx context.Context, in Intake) error {
	buf := make([]byte, 0, 2048)
	pending := sync.WaitGroup{}
	for _, dg := range f.dgs {
		buf = append(buf[:0], dg...) // one receive buffer, reused
		pending.Add(1)
		released := make(chan struct{})
		in.Datagrams([]protocol.Packet{{Data: buf, From: from, Time: now}}, func() { pending.Done(); close(released) })
		<-released // a real source reuses the buffer only after done
	}
	scratch := make([]event.Event, len(f.events))
	copy(scratch, f.events)
	in.Events(scratch)
	for i := range scratch {
		scratch[i].Text = event.CleanText("overwritten by the source", event.MaxText) // Events copied what it needed
	}
	pending.Wait()
	close(f.done)
	<-ctx.Done()
	return ctx.Err()
}

func TestSourcesToOutputs(t *testing.T) {
	var dgs [][]byte
	for i := 0; i < 50; i++ {
		dgs = append(dgs, protocol.AppendPacket(nil, record(strings.Repeat(string(rune('a'+i%26)), 10+i))))
	}
	src := &fakeSource{dgs: dgs, done: make(chan struct{}),
		events: []event.Event{{Time: now, Kind: event.KindAlert, Text: event.CleanText("replayed \x1b]0;title\x07alert", event.MaxText)}}}
	c := &collector{}
	tl := timeline.New(1000)
	m, err := New(Config{Timeline: tl, Sources: []Source{src}, Outputs: []Output{c}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	<-src.done
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	evs := c.snapshot()
	if len(evs) != 51 {
		t.Fatalf("%d events, want 51", len(evs))
	}
	for i := 0; i < 50; i++ {
		if want := strings.Repeat(string(rune('a'+i%26)), 10+i); evs[i].Desc.String() != want {
			t.Fatalf("event %d kept %q, want %q: an output's copy changed", i, evs[i].Desc, want)
		}
	}
	if evs[50].Text.String() != "replayed ]0;titlealert" {
		t.Errorf("injected event text %q: not cleaned or not copied", evs[50].Text)
	}
	if first, next := tl.Bounds(); next-first != 51 {
		t.Errorf("timeline holds %d events", next-first)
	}
	if st := m.Stats(); st.Emitted != 51 || st.Datagrams != 50 {
		t.Errorf("stats %+v", st)
	}
}

// TestRunOverUDP: the real socket path, with garbage mixed in, ends cleanly on
// cancel with everything counted.
func TestRunOverUDP(t *testing.T) {
	c := &collector{}
	u, err := ListenUDP("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(Config{Timeline: timeline.New(1000), Sources: []Source{u}, Outputs: []Output{c}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	s, err := protocol.NewSender(protocol.SenderConfig{Viewers: []string{u.Addr().String()}})
	if err != nil {
		t.Fatal(err)
	}
	r := record("x")
	for i := 0; i < 50; i++ {
		s.Record(&r)
		s.Datagram([]byte("\x00\xffjunk"))
	}
	s.Datagram(protocol.AppendVoice(nil, "last"))
	s.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs := c.snapshot()
		if len(evs) > 0 && evs[len(evs)-1].Text.String() == "last" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the last datagram never arrived: %+v", m.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	st := m.Stats()
	if st.Datagrams != 101 || st.Malformed != 50 || len(c.snapshot()) != 51 {
		t.Errorf("stats %+v, %d events", st, len(c.snapshot()))
	}
}

func TestHandleDatagramAndInject(t *testing.T) {
	c := &collector{}
	m, err := New(Config{Timeline: timeline.New(1000), Outputs: []Output{c}})
	if err != nil {
		t.Fatal(err)
	}
	r := record("d")
	m.HandleDatagram(protocol.AppendPacket(nil, r, r, r), from, now)
	m.Inject(&event.Event{Time: now, Kind: event.KindTrace, Text: event.CleanText("trace \u009b launched", event.MaxText)})
	evs := c.snapshot()
	if len(evs) != 4 || evs[3].Text.String() != "trace  launched" {
		t.Fatalf("events %+v", evs)
	}
}
