package main

import (
	"context"
	"errors"
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
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	st, err := synth.Send(ctx, synth.SendConfig{
		Viewers: viewers, Port: *port, PPS: *pps, Count: *count, PerDatagram: *perDatagram, Garbage: *garbage,
		Mix:   synth.Mix{UDP: *udp, ICMP: *icmp, SYN: *syn, FIN: *fin, IPv6: *v6},
		Trace: *trace, AgentID: *agentID, Key: key, Seed: *seed,
	})
	if errors.Is(err, synth.ErrConfig) {
		return usageError{err}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sent %d records in %d datagrams (%d malformed on purpose) in %.1fs: %.0f records/s, %d send errors\n",
		st.Records, st.Datagrams, st.Garbage, st.Elapsed.Seconds(), float64(st.Records)/st.Elapsed.Seconds(), st.Errors)
	return nil
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint(*m) }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
