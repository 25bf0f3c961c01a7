package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/packter/packter/protocol"
	"github.com/packter/packter/synth"
)

// runSend is `packter send`: synthetic traffic at a set rate.
func runSend(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	var viewers multiFlag
	fs.Var(&viewers, "v", "viewer `HOST[:PORT]` (repeatable; default 127.0.0.1)")
	port := fs.Int("p", protocol.ViewerPort, "default viewer `port`")
	pps := fs.Float64("pps", 100, "records per second (0: as fast as possible)")
	duration := fs.Duration("duration", 10*time.Second, "how long to send (0: until interrupted or --count)")
	count := fs.Int64("count", 0, "stop after this many records (0: no limit)")
	perDatagram := fs.Int("bulk", 1, "records per datagram (PACKTER 3.0 bulk form when > 1)")
	garbage := fs.Float64("garbage", 0, "percentage of datagrams that are deliberately malformed")
	udp := fs.Int("udp", synth.DefaultMix.UDP, "percentage of UDP records")
	icmp := fs.Int("icmp", synth.DefaultMix.ICMP, "percentage of ICMP records")
	syn := fs.Int("syn", synth.DefaultMix.SYN, "percentage of TCP SYN records")
	fin := fs.Int("fin", synth.DefaultMix.FIN, "percentage of TCP FIN/RST records")
	v6 := fs.Int("ipv6", synth.DefaultMix.IPv6, "percentage of IPv6 records")
	trace := fs.String("T", "", "traceback `SERVER`: put HASH-SERVER descriptions on records")
	agentID := fs.String("A", "", "agent `ID` (PACKTERAGENT line)")
	keyFile := fs.String("K", "", "HMAC key `FILE` (signs every datagram; needs -A)")
	seed := fs.Uint64("seed", 1, "random seed (the same seed sends the same traffic)")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if *perDatagram < 1 {
		return usagef("--bulk must be at least 1")
	}
	if *garbage < 0 || *garbage > 100 {
		return usagef("--garbage is a percentage from 0 to 100")
	}
	if len(viewers) == 0 {
		viewers = multiFlag{"127.0.0.1"}
	}
	var key []byte
	if *keyFile != "" {
		k, err := readKey(*keyFile)
		if err != nil {
			return err
		}
		key = k
	}
	s, err := protocol.NewSender(protocol.SenderConfig{Viewers: viewers, Port: *port, AgentID: *agentID, Key: key})
	if err != nil {
		return err
	}
	defer s.Close()
	g := synth.New(*seed, synth.Mix{UDP: *udp, ICMP: *icmp, SYN: *syn, FIN: *fin, IPv6: *v6}, *trace)

	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	// The traffic is made up front, a pool of datagrams sent round and round, so
	// that at high rates the generator measures the receiver, not itself.
	const poolSize = 4096
	type dg struct {
		b    []byte
		recs int64
	}
	pool := make([]dg, 0, poolSize)
	recs := make([]protocol.Record, *perDatagram)
	descs := make([][]byte, *perDatagram)
	garbageEvery := 0.0
	if *garbage > 0 {
		garbageEvery = 100 / *garbage
	}
	nextGarbage := garbageEvery
	for i := 1; len(pool) < poolSize; i++ {
		if garbageEvery > 0 && float64(i) >= nextGarbage {
			nextGarbage += garbageEvery
			pool = append(pool, dg{b: g.Garbage(nil)})
			continue
		}
		for j := range recs {
			g.Next(&recs[j])
			descs[j] = append(descs[j][:0], recs[j].Desc...)
			recs[j].Desc = descs[j]
		}
		pool = append(pool, dg{b: protocol.AppendPacket(nil, recs...), recs: int64(len(recs))})
	}
	// Datagrams go out in batches of up to 64 (one sendmmsg call each).
	const batchMax = 64
	batch := make([][]byte, 0, batchMax)
	var sent, bad int64
	next := 0
	start := time.Now()
	tick := time.NewTicker(time.Millisecond) // pace in 1 ms steps
	defer tick.Stop()
	for ctx.Err() == nil && (*count == 0 || sent < *count) {
		allowed := int64(1 << 62)
		if *pps > 0 {
			allowed = int64(time.Since(start).Seconds() * *pps)
		}
		for sent < allowed && (*count == 0 || sent < *count) && len(batch) < batchMax {
			d := pool[next]
			next = (next + 1) % len(pool)
			if d.recs == 0 {
				bad++
			} else if *count > 0 && sent+d.recs > *count {
				*count = sent // a whole datagram would overshoot --count: stop short of it
				break
			}
			batch = append(batch, d.b)
			sent += d.recs
		}
		if err := s.DatagramBatch(batch); err != nil {
			return err
		}
		batch = batch[:0]
		if *pps > 0 && sent >= allowed {
			select {
			case <-ctx.Done():
			case <-tick.C:
			}
		}
	}
	el := time.Since(start)
	st := s.Stats()
	fmt.Fprintf(stdout, "sent %d records in %d datagrams (%d malformed on purpose) in %.1fs: %.0f records/s, %d send errors\n",
		sent, st.Datagrams, bad, el.Seconds(), float64(sent)/el.Seconds(), st.Errors)
	return nil
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint(*m) }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
