package agent

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/packter/packter/bus"
	"github.com/packter/packter/protocol"
)

// NATSConfig is publishing to NATS JetStream (--nats), alongside or instead
// of UDP viewers: records go in bulk messages on packter.<site>.<agent>,
// signed as datagrams are under -A/-K (docs/protocol.md, "Many sites").
type NATSConfig struct {
	Client bus.ClientOptions // --nats URL[,URL…], credentials and TLS
	Site   string            // --site NAME (default: the host name)
	// Window and Max bound a bulk message: -B when given (else 10 ms), and
	// 60000 bytes, since a message need not fit one UDP datagram's MTU.
	Window time.Duration
	Max    int
}

func (n *NATSConfig) enabled() bool { return n.Client.URLs != "" }

// natsDigests reports whether --digests asks for queries over NATS.
func natsDigests(addr string) bool { return strings.HasPrefix(addr, bus.DigestScheme) }

func (n *NATSConfig) validate(c *Config) error {
	if !n.enabled() {
		switch {
		case n.Site != "":
			return usageErr("--site needs --nats URL")
		case natsDigests(c.Trace.Digests):
			return usageErr("--digests nats: needs --nats URL")
		}
		return nil
	}
	if err := n.Client.Check(); err != nil {
		return &UsageError{err}
	}
	if natsDigests(c.Trace.Digests) && c.Trace.AS == 0 {
		return usageErr("--digests nats: needs --as ASN: queries reach agents by AS number")
	}
	return nil
}

// natsOut publishes through a bus.Batcher on a connection of its own.
type natsOut struct {
	nc *nats.Conn
	p  *bus.Publisher
	b  *bus.Batcher
}

func newNATSOutput(cfg Config) (*natsOut, error) {
	n := cfg.NATS
	host, _ := os.Hostname()
	site, name := n.Site, cfg.Auth.AgentID
	if site == "" {
		site = host
	}
	if name == "" {
		name = host
	}
	o := n.Client
	o.Logger, o.Name = cfg.Logger, "packter agent "+name
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nc, err := bus.Connect(ctx, o)
	if err != nil {
		return nil, err
	}
	p, err := bus.NewPublisher(nc, bus.PublisherConfig{Logger: cfg.Logger})
	if err != nil {
		nc.Close()
		return nil, err
	}
	window := n.Window
	if window <= 0 {
		window = cfg.Output.Bulk
	}
	b, err := bus.NewBatcher(p, bus.BatcherConfig{
		Subject: bus.Subject(site, name), Window: window, Max: n.Max,
		AgentID: cfg.Auth.AgentID, Key: cfg.Auth.Key, Now: cfg.Now,
	})
	if err != nil {
		p.Close(0)
		nc.Close()
		return nil, err
	}
	return &natsOut{nc: nc, p: p, b: b}, nil
}

func (o *natsOut) record(_ time.Time, rec *protocol.Record) error { return o.b.Record(rec) }
func (o *natsOut) datagram(body []byte) error                     { return o.b.Datagram(body) }

// flush waits for the stream to acknowledge everything: the capture ended,
// and what was read should be stored before the agent says it is done.
func (o *natsOut) flush() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return o.b.Flush(ctx)
}

func (o *natsOut) close() error {
	err := o.b.Close()
	err = errors.Join(err, o.p.Close(5*time.Second))
	if st := o.p.Stats(); st.Lost > 0 {
		err = errors.Join(err, fmt.Errorf("nats: %d messages never acknowledged", st.Lost))
	}
	o.nc.Close()
	return err
}

// teeOut sends to several outputs: UDP viewers and the bus.
type teeOut []output

func (t teeOut) record(ts time.Time, rec *protocol.Record) error {
	var err error
	for _, o := range t {
		err = errors.Join(err, o.record(ts, rec))
	}
	return err
}

func (t teeOut) datagram(body []byte) error {
	var err error
	for _, o := range t {
		err = errors.Join(err, o.datagram(body))
	}
	return err
}

func (t teeOut) flush() error {
	var err error
	for _, o := range t {
		err = errors.Join(err, o.flush())
	}
	return err
}

func (t teeOut) close() error {
	var err error
	for _, o := range t {
		err = errors.Join(err, o.close())
	}
	return err
}

// withNATS adds the bus to out (nil: the bus alone) when --nats is given.
func withNATS(cfg Config, out output) (output, error) {
	if !cfg.NATS.enabled() {
		return out, nil
	}
	n, err := newNATSOutput(cfg)
	if err != nil {
		if out != nil {
			out.close()
		}
		return nil, fmt.Errorf("nats: %w", err)
	}
	if out == nil {
		return n, nil
	}
	return teeOut{out, n}, nil
}

// listenDigests is where digest queries arrive: TCP, or NATS request/reply
// for --digests nats: (a connection of its own, closed with the listener).
func listenDigests(cfg Config) (net.Listener, error) {
	if !natsDigests(cfg.Trace.Digests) {
		return net.Listen("tcp", cfg.Trace.Digests)
	}
	o := cfg.NATS.Client
	o.Logger, o.Name = cfg.Logger, "packter agent digests"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nc, err := bus.Connect(ctx, o)
	if err != nil {
		return nil, err
	}
	l, err := bus.ListenDigests(nc, cfg.Trace.AS)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return closeConn{l, nc}, nil
}

type closeConn struct {
	*bus.DigestListener
	nc *nats.Conn
}

func (c closeConn) Close() error {
	err := c.DigestListener.Close()
	c.nc.Close()
	return err
}

// Register adds the agent's --nats flags to fs.
func (n *NATSConfig) Register(fs *flag.FlagSet) {
	n.Client.Register(fs, "also publish records to NATS JetStream at `URL[,URL…]` (with -v or instead of it)")
	fs.StringVar(&n.Site, "site", "", "this agent's site `NAME` on NATS: subject packter.<site>.<agent> (default: the host name)")
}
