package collect

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"
)

// RunNetFlow collects NetFlow v5 and v9 datagrams on UDP addr until ctx ends.
func RunNetFlow(ctx context.Context, addr string, sink Sink, log *slog.Logger) error {
	return RunFlowsWith(ctx, "netflow", addr, sink, log, Options{})
}

// RunIPFIX collects IPFIX messages on UDP addr until ctx ends.
func RunIPFIX(ctx context.Context, addr string, sink Sink, log *slog.Logger) error {
	return RunFlowsWith(ctx, "ipfix", addr, sink, log, Options{})
}

// RunFlowsWith collects NetFlow v5/v9 and IPFIX (one decoder takes all three)
// on UDP addr until ctx ends; name is for logs and errors.
func RunFlowsWith(ctx context.Context, name, addr string, sink Sink, log *slog.Logger, o Options) error {
	c, err := listenUDP(addr)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer c.Close()
	log = orDiscard(log)
	log.Info(name+" collector listening", "addr", c.LocalAddr().String())
	return ServeFlows(ctx, c, sink, log, o)
}

// ServeFlows collects NetFlow v5/v9 and IPFIX from an open connection until ctx
// ends. One decoder serves the connection: templates are keyed by exporter
// address and source id / observation domain.
func ServeFlows(ctx context.Context, conn net.PacketConn, sink Sink, log *slog.Logger, o Options) error {
	o = o.withDefaults()
	log = orDiscard(log)
	ll := limitedLog{log: log, every: o.LogEvery}
	var (
		fd  FlowDecoder
		res FlowResult
	)
	tick := func(now time.Time) { o.Stats.Lost.Add(uint64(fd.Expire(now))) }
	err := servePacketsTick(ctx, conn, o, log, func(from netip.AddrPort, b []byte, now time.Time) {
		err := fd.Decode(from.Addr().Unmap(), b, now, &res)
		for i := range res.Flows {
			sink.Flow(&res.Flows[i])
		}
		o.Stats.Flows.Add(uint64(len(res.Flows)))
		o.Stats.Templates.Add(uint64(res.Templates))
		o.Stats.Skipped.Add(uint64(res.Options + res.Rejected))
		o.Stats.Lost.Add(uint64(res.Lost))
		if err != nil {
			o.Stats.Malformed.Add(1)
			ll.warn(now, "flow collector: bad datagram", from.String(), err)
		}
	}, tick)
	o.Stats.Lost.Add(uint64(fd.Flush()))
	return err
}
