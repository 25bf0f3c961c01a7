package synth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/packter/packter/protocol"
)

// SendConfig is `packter send`: synthetic traffic at a set rate.
type SendConfig struct {
	Viewers     []string // HOST[:PORT]
	Port        int      // default viewer port
	PPS         float64  // records per second; 0 as fast as possible
	Count       int64    // stop after this many records; 0 no limit
	PerDatagram int      // records per datagram (bulk when > 1)
	Garbage     float64  // percentage of datagrams malformed on purpose
	Mix         Mix
	Trace       string // traceback server for HASH-SERVER descriptions
	AgentID     string
	Key         []byte
	Seed        uint64
}

// SendStats is what Send did.
type SendStats struct {
	Records   int64
	Datagrams uint64
	Garbage   int64
	Errors    uint64
	Elapsed   time.Duration
}

// ErrConfig marks a SendConfig that cannot be used.
var ErrConfig = errors.New("bad send configuration")

// Send sends until ctx ends or Count records are out.
func Send(ctx context.Context, cfg SendConfig) (SendStats, error) {
	if cfg.PerDatagram < 1 {
		return SendStats{}, fmt.Errorf("%w: --bulk must be at least 1", ErrConfig)
	}
	if cfg.Garbage < 0 || cfg.Garbage > 100 {
		return SendStats{}, fmt.Errorf("%w: --garbage is a percentage from 0 to 100", ErrConfig)
	}
	s, err := protocol.NewSender(protocol.SenderConfig{Viewers: cfg.Viewers, Port: cfg.Port, AgentID: cfg.AgentID, Key: cfg.Key})
	if err != nil {
		return SendStats{}, err
	}
	defer s.Close()
	pool := makePool(New(cfg.Seed, cfg.Mix, cfg.Trace), cfg.PerDatagram, cfg.Garbage)

	// Datagrams go out in batches of up to 64 (one sendmmsg call each).
	const batchMax = 64
	batch := make([][]byte, 0, batchMax)
	var sent, bad int64
	count := cfg.Count
	next := 0
	start := time.Now()
	tick := time.NewTicker(time.Millisecond) // pace in 1 ms steps
	defer tick.Stop()
	for ctx.Err() == nil && (count == 0 || sent < count) {
		allowed := int64(1 << 62)
		if cfg.PPS > 0 {
			allowed = int64(time.Since(start).Seconds() * cfg.PPS)
		}
		for sent < allowed && (count == 0 || sent < count) && len(batch) < batchMax {
			d := pool[next]
			next = (next + 1) % len(pool)
			if d.recs == 0 {
				bad++
			} else if count > 0 && sent+d.recs > count {
				count = sent // a whole datagram would overshoot the count: stop short of it
				break
			}
			batch = append(batch, d.b)
			sent += d.recs
		}
		if err := s.DatagramBatch(batch); err != nil {
			return SendStats{}, err
		}
		batch = batch[:0]
		if cfg.PPS > 0 && sent >= allowed {
			select {
			case <-ctx.Done():
			case <-tick.C:
			}
		}
	}
	st := s.Stats()
	return SendStats{Records: sent, Datagrams: st.Datagrams, Garbage: bad, Errors: st.Errors, Elapsed: time.Since(start)}, nil
}

type pooled struct {
	b    []byte
	recs int64
}

// makePool makes the traffic up front, datagrams sent round and round, so
// that at high rates the generator measures the receiver, not itself.
func makePool(g *Generator, per int, garbage float64) []pooled {
	const poolSize = 4096
	pool := make([]pooled, 0, poolSize)
	recs := make([]protocol.Record, per)
	descs := make([][]byte, per)
	every := 0.0
	if garbage > 0 {
		every = 100 / garbage
	}
	nextGarbage := every
	for i := 1; len(pool) < poolSize; i++ {
		if every > 0 && float64(i) >= nextGarbage {
			nextGarbage += every
			pool = append(pool, pooled{b: g.Garbage(nil)})
			continue
		}
		for j := range recs {
			g.Next(&recs[j])
			descs[j] = append(descs[j][:0], recs[j].Desc...)
			recs[j].Desc = descs[j]
		}
		pool = append(pool, pooled{b: protocol.AppendPacket(nil, recs...), recs: int64(len(recs))})
	}
	return pool
}
