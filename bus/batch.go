package bus

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/packter/packter/protocol"
)

// BatcherConfig configures a Batcher.
type BatcherConfig struct {
	Subject string        // where the agent publishes (Subject(site, agent))
	Window  time.Duration // gather records for up to this long (10 ms)
	Max     int           // message size limit, agent line included (60000: under the UDP limit, so a relay or a UDP viewer could carry it too)
	AgentID string        // PACKTERAGENT id; "" sends no agent line
	Key     []byte        // HMAC key: sign every message (needs AgentID)
	Now     func() time.Time
}

// Batcher turns an agent's records into bulk PACKTER datagrams, signed as
// UDP ones are, and publishes them: the agent's output to the bus. Safe for
// concurrent use.
type Batcher struct {
	p   *Publisher
	cfg BatcherConfig

	mu     sync.Mutex
	bulk   []byte // "PACKTER\n" + record lines
	n      int
	first  time.Time
	signed []byte
	done   chan struct{}
	wg     sync.WaitGroup
}

// NewBatcher publishes through p; Close stops it (not p).
func NewBatcher(p *Publisher, cfg BatcherConfig) (*Batcher, error) {
	if cfg.Window <= 0 {
		cfg.Window = 10 * time.Millisecond
	}
	if cfg.Max <= 0 {
		cfg.Max = 60000
	}
	if cfg.Max > protocol.MaxDatagram {
		return nil, fmt.Errorf("bus: message size %d is over %d bytes", cfg.Max, protocol.MaxDatagram)
	}
	if len(cfg.Key) > 0 && cfg.AgentID == "" {
		return nil, fmt.Errorf("bus: an HMAC key needs an agent id")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.AgentID != "" {
		cfg.Max -= len("PACKTERAGENT ,1234567890,\n") + len(cfg.AgentID) + 64
	}
	b := &Batcher{p: p, cfg: cfg, bulk: append(make([]byte, 0, cfg.Max), header...), done: make(chan struct{})}
	b.wg.Add(1)
	go b.expire()
	return b, nil
}

const header = "PACKTER\n"

// Record adds one record to the message being gathered, publishing it when
// it is full or its window has passed.
func (b *Batcher) Record(r *protocol.Record) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	mark := len(b.bulk)
	b.bulk = protocol.AppendRecord(b.bulk, r)
	b.bulk = append(b.bulk, '\n')
	if len(b.bulk) > b.cfg.Max && b.n > 0 {
		line := append([]byte(nil), b.bulk[mark:]...)
		b.bulk = b.bulk[:mark]
		if err := b.flushLocked(); err != nil {
			return err
		}
		b.bulk = append(b.bulk, line...)
	}
	if b.n == 0 {
		b.first = b.cfg.Now()
	}
	b.n++
	if len(b.bulk) >= b.cfg.Max || b.cfg.Now().Sub(b.first) >= b.cfg.Window {
		return b.flushLocked()
	}
	return nil
}

// Datagram publishes a complete datagram (a control message) after the
// records gathered so far, so the order holds.
func (b *Batcher) Datagram(body []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.flushLocked(); err != nil {
		return err
	}
	return b.sendLocked(body)
}

// Flush publishes the records gathered so far and waits until everything
// published is acknowledged, or ctx ends.
func (b *Batcher) Flush(ctx context.Context) error {
	b.mu.Lock()
	err := b.flushLocked()
	b.mu.Unlock()
	if err != nil {
		return err
	}
	return b.p.Flush(ctx)
}

// Close publishes what is gathered and stops the window timer.
func (b *Batcher) Close() error {
	b.mu.Lock()
	err := b.flushLocked()
	select {
	case <-b.done:
	default:
		close(b.done)
	}
	b.mu.Unlock()
	b.wg.Wait()
	return err
}

func (b *Batcher) flushLocked() error {
	if b.n == 0 {
		return nil
	}
	err := b.sendLocked(b.bulk)
	b.bulk, b.n = b.bulk[:len(header)], 0
	return err
}

func (b *Batcher) sendLocked(d []byte) error {
	if b.cfg.AgentID != "" {
		b.signed = protocol.AppendAgent(b.signed[:0], b.cfg.AgentID, b.cfg.Key, b.cfg.Now(), d)
		d = b.signed
	}
	return b.p.Send(b.cfg.Subject, d, "")
}

// expire publishes a message whose window has passed even when no record
// comes to push it out.
func (b *Batcher) expire() {
	defer b.wg.Done()
	t := time.NewTicker(max(b.cfg.Window/2, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-b.done:
			return
		case <-t.C:
			b.mu.Lock()
			if b.n > 0 && b.cfg.Now().Sub(b.first) >= b.cfg.Window {
				_ = b.flushLocked() // Send fails only once closed
			}
			b.mu.Unlock()
		}
	}
}
