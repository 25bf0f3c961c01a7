package bus

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
)

// MonitorOptions is the monitor's reading of the bus (`packter monitor
// --nats URL --nats-filter 'packter.>'`).
type MonitorOptions struct {
	Client  ClientOptions
	Filters []string      // --nats-filter, repeatable ("packter.>" when none)
	Durable string        // --nats-durable NAME
	Since   time.Duration // --nats-since: start this far back in the stream's history
}

// Register adds the monitor's --nats flags to fs.
func (o *MonitorOptions) Register(fs *flag.FlagSet) {
	o.Client.Register(fs, "also read PACKTER datagrams from NATS JetStream at `URL[,URL…]` (e.g. nats://127.0.0.1:4222)")
	fs.Func("nats-filter", "hear only `SUBJECT`s matching (repeatable; default packter.>, e.g. packter.tokyo.>)", func(s string) error {
		if err := ValidFilter(s); err != nil {
			return err
		}
		o.Filters = append(o.Filters, s)
		return nil
	})
	fs.StringVar(&o.Durable, "nats-durable", "", "keep a durable consumer `NAME` on the servers: a restarted monitor carries on where it stopped")
	fs.DurationVar(&o.Since, "nats-since", 0, "start `D` back in the stream's history, e.g. 1h (0: from now)")
}

// OpenSource connects and makes the monitor's Source; closing the source
// closes its connection.
func OpenSource(ctx context.Context, o MonitorOptions, log *slog.Logger) (*Source, error) {
	if o.Since < 0 {
		return nil, fmt.Errorf("--nats-since must not be negative")
	}
	c := o.Client
	c.Logger = log
	if c.Name == "" {
		c.Name = "packter monitor"
	}
	nc, err := Connect(ctx, c)
	if err != nil {
		return nil, err
	}
	cfg := SourceConfig{Filters: o.Filters, Durable: o.Durable, Logger: log}
	if o.Since > 0 {
		cfg.Start = time.Now().Add(-o.Since)
	}
	s, err := NewSource(nc, cfg)
	if err != nil {
		nc.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// Conn is the source's connection, for History on the same servers.
func (s *Source) Conn() *nats.Conn { return s.nc }

// Close closes the connection OpenSource made.
func (s *Source) Close() error {
	if s.owned {
		s.nc.Close()
	}
	return nil
}
