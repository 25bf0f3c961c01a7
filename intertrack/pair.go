package intertrack

import (
	"context"
	"errors"
	"fmt"
	"net"
)

// Pair is a decision point and a traceback client running in-process, as the
// demo runs them so that T works out of the box.
type Pair struct {
	TCAddr string // UDP: what the agent's -T names (its descriptions become HASH-TCAddr)
	DPAddr string // TCP
	done   chan error
}

// StartPair starts the DP on dp.Listen and the TC on tc.Listen (127.0.0.1:0,
// ports chosen by the system, when empty) and points the TC at the DP. Both
// stop when ctx ends; Wait returns then.
func StartPair(ctx context.Context, dp DPConfig, tc TCConfig) (*Pair, error) {
	d, err := NewDP(dp)
	if err != nil {
		return nil, err
	}
	if dp.Listen == "" {
		dp.Listen = "127.0.0.1:0"
	}
	if tc.Listen == "" {
		tc.Listen = "127.0.0.1:0"
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", dp.Listen)
	if err != nil {
		return nil, fmt.Errorf("decision point: %w", err)
	}
	tc.DP = ln.Addr().String()
	t, err := NewTC(tc)
	if err != nil {
		ln.Close()
		return nil, err
	}
	pc, err := (&net.ListenConfig{}).ListenPacket(ctx, "udp", tc.Listen)
	if err != nil {
		ln.Close()
		t.Close()
		return nil, fmt.Errorf("traceback client: %w", err)
	}
	p := &Pair{TCAddr: pc.LocalAddr().String(), DPAddr: tc.DP, done: make(chan error, 1)}
	errs := make(chan error, 2)
	go func() { errs <- d.Serve(ctx, ln) }()
	go func() { errs <- t.Serve(ctx, pc) }()
	go func() { p.done <- errors.Join(<-errs, <-errs) }()
	return p, nil
}

// Wait waits until both have stopped and returns their errors.
func (p *Pair) Wait() error { return <-p.done }
