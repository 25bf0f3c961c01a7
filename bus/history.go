package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"log/slog"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/packter/packter/internal/ratelog"
	"github.com/packter/packter/monitor"
)

// HistoryConfig is a stretch of the stream to play again.
type HistoryConfig struct {
	Filters []string  // as SourceConfig ("packter.>" when empty)
	Start   time.Time // from (required)
	End     time.Time // up to, exclusive; zero: what is stored now
	// EndSeq, when not 0, ends the range before that stream sequence: the
	// first one a live source delivered, so what it has is not played twice.
	EndSeq uint64
}

// History is a monitor.Source that plays a time range of the stream and
// ends: rewind beyond a monitor's own timeline. Each datagram arrives with
// the time the stream stored it, so signatures are checked against the time
// they were made, and a timeline filled from it reads as the past did. Use
// a monitor (and so an ingest) of its own: the live monitor's replay
// protection would refuse signed datagrams it has already heard.
type History struct {
	js    jetstream.JetStream
	cfg   HistoryConfig
	sites Sites
}

// NewHistory reads from nc.
func NewHistory(nc *nats.Conn, cfg HistoryConfig) (*History, error) {
	if cfg.Start.IsZero() {
		return nil, errors.New("history: no start time")
	}
	if !cfg.End.IsZero() && !cfg.End.After(cfg.Start) {
		return nil, errors.New("history: the end is not after the start")
	}
	if len(cfg.Filters) == 0 {
		cfg.Filters = []string{SubjectPrefix + ".>"}
	}
	for _, f := range cfg.Filters {
		if err := ValidFilter(f); err != nil {
			return nil, err
		}
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	return &History{js: js, cfg: cfg}, nil
}

var _ monitor.Source = (*History)(nil)

// Sites is what the range held, per site.
func (h *History) Sites() []SiteStatus { return h.sites.List() }

// Run delivers the range and returns nil at its end.
func (h *History) Run(ctx context.Context, in monitor.Intake) error {
	start := h.cfg.Start
	warn := ratelog.New(slog.New(slog.DiscardHandler), 1, time.Second)
	c, err := retry(ctx, warn, "history", func(ctx context.Context) (jetstream.Consumer, error) {
		return h.js.OrderedConsumer(ctx, StreamName, jetstream.OrderedConsumerConfig{
			FilterSubjects: h.cfg.Filters, DeliverPolicy: jetstream.DeliverByStartTimePolicy, OptStartTime: &start,
		})
	})
	if err != nil {
		return fmt.Errorf("history consumer: %w", err)
	}
	info, err := retry(ctx, warn, "history", c.Info)
	if err != nil {
		return fmt.Errorf("history consumer: %w", err)
	}
	if info.NumPending == 0 {
		return nil // nothing stored since Start
	}
	end, endSeq := h.cfg.End, h.cfg.EndSeq
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	err = consume(ctx, c, in, deliver{
		sites: &h.sites, warn: warn,
		stamp: func(md jetstream.MsgMetadata) time.Time { return md.Timestamp },
		end: func(md jetstream.MsgMetadata) bool {
			return !end.IsZero() && !md.Timestamp.Before(end) || endSeq != 0 && md.Sequence.Stream >= endSeq
		},
		last: func(md jetstream.MsgMetadata) bool { return md.NumPending == 0 },
	})
	if errors.Is(err, errEnd) {
		return nil
	}
	return err
}
