package bus

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/packter/packter/event"
	"github.com/packter/packter/ingest"
	"github.com/packter/packter/protocol"
	"github.com/packter/packter/timeline"
)

// Archive is the stream's history as a timeline.Archive: rewinding the
// console or the board past the monitor's own timeline loads the stretch
// from the stream. Each load reads a History through an ingest of its own
// (the same keys; a replay cache of its own, which the live monitor's would
// refuse as replays), stamped with the time the stream stored each datagram.
type Archive struct {
	nc      *nats.Conn
	filters []string
	ingest  ingest.Config
	live    *Source // its StartSeq ends each load; nil: by time only
}

// NewArchive reads history matching filters (the live source's) from nc,
// authenticating as cfg says. With live, a load stops where that source's
// deliveries began, so nothing the monitor already holds is loaded twice.
func NewArchive(nc *nats.Conn, filters []string, cfg ingest.Config, live *Source) (*Archive, error) {
	if len(filters) == 0 {
		filters = []string{SubjectPrefix + ".>"}
	}
	for _, f := range filters {
		if err := ValidFilter(f); err != nil {
			return nil, err
		}
	}
	if _, err := ingest.New(cfg); err != nil {
		return nil, err
	}
	return &Archive{nc: nc, filters: filters, ingest: cfg, live: live}, nil
}

var _ timeline.Archive = (*Archive)(nil)

// Load hands add the events stored from `from` up to `to` (and before the
// live source's first), oldest first, until add returns false.
func (a *Archive) Load(ctx context.Context, from, to time.Time, add func(*event.Event) bool) error {
	cfg := HistoryConfig{Filters: a.filters, Start: from, End: to}
	if a.live != nil {
		cfg.EndSeq = a.live.StartSeq()
	}
	if !to.After(from) {
		return nil
	}
	h, err := NewHistory(a.nc, cfg)
	if err != nil {
		return err
	}
	in, err := ingest.New(a.ingest)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c := &collector{dec: in.NewDecoder(), add: add, stop: cancel}
	err = h.Run(ctx, c)
	if c.full { // add had enough: the History was stopped for it
		return nil
	}
	if err != nil {
		return fmt.Errorf("stream history: %w", err)
	}
	return nil
}

// collector is the intake of a load: it decodes on the History's goroutine
// and hands each event to add.
type collector struct {
	dec  *ingest.Decoder
	add  func(*event.Event) bool
	stop context.CancelFunc
	evs  []event.Event
	full bool
}

func (c *collector) Datagrams(pkts []protocol.Packet, done func()) {
	defer done()
	for i := range pkts {
		if c.full {
			return
		}
		p := &pkts[i]
		c.evs = c.dec.Decode(p.Data, p.From, p.Time, c.evs[:0])
		c.Events(c.evs)
	}
}

func (c *collector) Events(evs []event.Event) {
	for i := range evs {
		if c.full {
			return
		}
		if !c.add(&evs[i]) {
			c.full = true
			c.stop()
		}
	}
}
