package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

// FromHeader carries the UDP sender of a relayed datagram, for the
// monitor's log lines.
const FromHeader = "Packter-From"

// PublisherConfig configures a Publisher.
type PublisherConfig struct {
	// MaxPending (8192 messages) and MaxPendingBytes (64 MiB) bound what
	// is published but not yet acknowledged by the stream: past either,
	// Send waits. The bytes are the publisher's until acknowledged, so this
	// bounds its memory. They are large so that an agent goes on publishing
	// through the servers' election of a new stream leader (4–9 s), which the
	// monitors hear live meanwhile: at 256 messages, an agent sending 200 a
	// second stopped after 1.3 s.
	MaxPending      int
	MaxPendingBytes int
	// AckTimeout is how long to wait for the stream's acknowledgement
	// before publishing again under the same id (2 s): a node that died
	// with the message is covered by the one that takes over.
	AckTimeout time.Duration
	Logger     *slog.Logger
}

// PublisherStats counts what a Publisher did.
type PublisherStats struct {
	Messages   uint64 // acknowledged by the stream
	Duplicates uint64 // acknowledged as already stored (a retry whose first copy got through)
	Retries    uint64 // published again after an error or a timeout
	Lost       uint64 // given up on at Close
	Waited     uint64 // Sends that waited for room (MaxPending, MaxPendingBytes)
}

// Publisher publishes datagrams to JetStream with message ids, and
// publishes again under the same id until the stream acknowledges: after a
// reconnect or a failover nothing is lost and nothing stored twice (the
// stream's duplicate window drops the second copy). Safe for concurrent use.
type Publisher struct {
	js   jetstream.JetStream
	cfg  PublisherConfig
	log  *slog.Logger
	boot string // this publisher's id prefix: ids never repeat across restarts
	seq  atomic.Uint64

	inflight chan pending
	mu       sync.Mutex
	closed   bool
	sending  sync.WaitGroup // Sends under way: Close waits for them
	quit     chan struct{}  // Close gave up waiting: stop retrying
	acked    chan struct{}  // the acker has finished
	idle     *sync.Cond     // signalled when nothing is outstanding
	room     *sync.Cond     // signalled when outstanding bytes go down
	out      int            // published, not yet acknowledged or given up
	outBytes int            // their bytes

	messages, duplicates, retries, lost, waited atomic.Uint64
}

type pending struct {
	msg *nats.Msg
	fut jetstream.PubAckFuture
}

// NewPublisher publishes on nc.
func NewPublisher(nc *nats.Conn, cfg PublisherConfig) (*Publisher, error) {
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = 8192
	}
	if cfg.MaxPendingBytes <= 0 {
		cfg.MaxPendingBytes = 64 << 20
	}
	if cfg.AckTimeout <= 0 {
		cfg.AckTimeout = 2 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(cfg.MaxPending+16),
		jetstream.WithPublishAsyncTimeout(cfg.AckTimeout))
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	p := &Publisher{
		js: js, cfg: cfg, log: cfg.Logger, boot: nuid.Next(),
		inflight: make(chan pending, cfg.MaxPending),
		quit:     make(chan struct{}), acked: make(chan struct{}),
	}
	p.idle = sync.NewCond(&p.mu)
	p.room = sync.NewCond(&p.mu)
	go p.ackLoop()
	return p, nil
}

// ErrClosed is returned by Send after Close.
var ErrClosed = errors.New("bus: publisher closed")

// Send publishes one datagram on subj; from, when not empty, goes in
// FromHeader. data is copied. Send waits while MaxPending messages or
// MaxPendingBytes are unacknowledged: a stream that does not keep up slows
// the sender rather than losing records.
func (p *Publisher) Send(subj string, data []byte, from string) error {
	p.mu.Lock()
	// One message alone may exceed the byte bound: it waits for an empty queue.
	if !p.closed && p.outBytes > 0 && p.outBytes+len(data) > p.cfg.MaxPendingBytes {
		p.waited.Add(1)
		for !p.closed && p.outBytes > 0 && p.outBytes+len(data) > p.cfg.MaxPendingBytes {
			p.room.Wait()
		}
	}
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	p.out++
	p.outBytes += len(data)
	p.sending.Add(1)
	p.mu.Unlock()
	defer p.sending.Done()
	m := nats.NewMsg(subj)
	m.Data = append([]byte(nil), data...)
	m.Header.Set(jetstream.MsgIDHeader, p.boot+"."+strconv.FormatUint(p.seq.Add(1), 36))
	if from != "" {
		m.Header.Set(FromHeader, from)
	}
	p.inflight <- pending{msg: m, fut: p.publish(m)}
	return nil
}

// publish starts one asynchronous publish; a synchronous error (the client
// is closed, too many stalled) comes back as a future that failed.
func (p *Publisher) publish(m *nats.Msg) jetstream.PubAckFuture {
	cp := &nats.Msg{Subject: m.Subject, Data: m.Data, Header: m.Header}
	f, err := p.js.PublishMsgAsync(cp)
	if err != nil {
		return failed{err}
	}
	return f
}

// ackLoop waits for each acknowledgement in publishing order and publishes
// again what failed, until it is acknowledged or Close gives up.
//
// While the stream has no leader (a node died), every message in flight
// times out. Once a message published again is acknowledged the stream is
// back, and the ones behind it failed only for the outage: they go again at
// once, not each after a pause (which made 260 of them trail in for 13 s).
func (p *Publisher) ackLoop() {
	defer close(p.acked)
	recovered := false // a message was just acknowledged on a second try
	for e := range p.inflight {
		wait := 50 * time.Millisecond
		if recovered {
			wait = 0
		}
		tries := 0
		for {
			var err error
			select {
			case a := <-e.fut.Ok():
				if a.Duplicate {
					p.duplicates.Add(1)
				}
				p.messages.Add(1)
			case err = <-e.fut.Err():
			}
			if err == nil {
				recovered = tries > 0
				break
			}
			select {
			case <-p.quit:
				p.lost.Add(1)
				err = nil
			case <-time.After(wait):
			}
			if err == nil {
				break
			}
			p.log.Debug("publishing again", "subject", e.msg.Subject, "err", err)
			p.retries.Add(1)
			tries++
			wait = max(50*time.Millisecond, min(2*wait, time.Second))
			e.fut = p.publish(e.msg)
		}
		p.mu.Lock()
		p.out--
		p.outBytes -= len(e.msg.Data)
		p.room.Broadcast()
		if p.out == 0 {
			p.idle.Broadcast()
		}
		p.mu.Unlock()
	}
}

// Flush waits until everything sent so far is acknowledged or ctx ends.
func (p *Publisher) Flush(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		p.mu.Lock()
		p.idle.Broadcast()
		p.mu.Unlock()
	})
	defer stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.out > 0 && ctx.Err() == nil {
		p.idle.Wait()
	}
	if p.out > 0 {
		return fmt.Errorf("bus: %d messages not acknowledged: %w", p.out, ctx.Err())
	}
	return nil
}

// Close waits up to timeout for acknowledgements, then stops; what is still
// unacknowledged is counted as Lost. It does not close the connection.
func (p *Publisher) Close(timeout time.Duration) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.room.Broadcast() // Sends waiting for room end with ErrClosed
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := p.Flush(ctx)
	close(p.quit) // the acker gives up on what is left, so blocked Sends finish
	p.sending.Wait()
	close(p.inflight)
	<-p.acked
	return err
}

// Stats returns the counts so far.
func (p *Publisher) Stats() PublisherStats {
	return PublisherStats{Messages: p.messages.Load(), Duplicates: p.duplicates.Load(),
		Retries: p.retries.Load(), Lost: p.lost.Load(), Waited: p.waited.Load()}
}

// failed is a future for a publish that failed before it left.
type failed struct{ err error }

func (f failed) Ok() <-chan *jetstream.PubAck { return nil }
func (f failed) Err() <-chan error {
	c := make(chan error, 1)
	c <- f.err
	return c
}
func (f failed) Msg() *nats.Msg { return nil }
