package monitor

import (
	"github.com/packter/packter/event"
	"github.com/packter/packter/ingest"
	"github.com/packter/packter/protocol"
)

// intake decodes on its source's goroutine and queues the events for the one
// emitting goroutine: parsing and emitting run on two cores. Each intake has a
// few batches of its own; when all wait to be emitted the source waits too,
// and a socket's backlog stays in the kernel, where it is counted.
type intake struct {
	m    *Monitor
	dec  *ingest.Decoder
	free chan *batch
}

const batchesPerIntake = 6

func (m *Monitor) newIntake() *intake {
	in := &intake{m: m, dec: m.in.NewDecoder(), free: make(chan *batch, batchesPerIntake)}
	for range batchesPerIntake {
		in.free <- &batch{free: in.free}
	}
	return in
}

func (in *intake) Datagrams(pkts []protocol.Packet, done func()) {
	b := <-in.free
	for i := range pkts {
		p := &pkts[i]
		b.events = in.dec.Decode(p.Data, p.From, p.Time, b.events)
	}
	b.done = done
	in.m.work <- b
}

func (in *intake) Events(evs []event.Event) {
	if len(evs) == 0 {
		return
	}
	b := <-in.free
	// Their text is event.Text, cleaned when it was made.
	b.events = append(b.events, evs...)
	in.m.work <- b
}
