package intertrack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/packter/packter/internal/ratelog"
)

// DefaultDPPort is the decision point's TCP port in PACKTER's TC.
const DefaultDPPort = 9005

// DPConfig configures a decision point.
type DPConfig struct {
	Listen string            // TCP address (127.0.0.1:9005)
	Agents map[uint32]string // AS number → the agent's digest address (host:port)
	Links  [][2]uint32       // AS adjacency, undirected
	Home   uint32            // the AS the monitor sits in: where traces start
	Logger *slog.Logger

	// QueryTimeout bounds the questions to the agents of one trace (2 s).
	QueryTimeout time.Duration
	// Dialer reaches the agents (net.Dialer when nil).
	Dialer Dialer
	// Limits bound the TC connections (zero fields: 1024 connections, 10 s
	// for a new one's first request, 10 min idle between requests, 30 s per
	// request).
	Limits ServerLimits
}

// DP is a decision point: it answers ClientTraceRequests by asking the agents'
// digest stores and walking the AS adjacency outward from Home.
type DP struct {
	cfg DPConfig
	log *slog.Logger
	adj map[uint32][]uint32
	seq atomic.Int64 // last MessageID, in µs, kept strictly increasing
	srv *connServer
	// agentWarn has its own budget so that a flood of bad requests cannot
	// hide that an agent is down.
	agentWarn *ratelog.Limiter
}

// NewDP checks the configuration.
func NewDP(cfg DPConfig) (*DP, error) {
	if cfg.Home == 0 {
		return nil, errors.New("decision point: no home AS (--home)")
	}
	if _, ok := cfg.Agents[cfg.Home]; !ok {
		return nil, fmt.Errorf("decision point: no agent for the home AS %d (--agent %d=HOST:PORT)", cfg.Home, cfg.Home)
	}
	if cfg.QueryTimeout <= 0 {
		cfg.QueryTimeout = 2 * time.Second
	}
	if cfg.Dialer == nil {
		cfg.Dialer = &net.Dialer{}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	adj := map[uint32][]uint32{}
	for _, l := range cfg.Links {
		if l[0] == 0 || l[1] == 0 || l[0] == l[1] {
			return nil, fmt.Errorf("decision point: bad link %d:%d", l[0], l[1])
		}
		if !slices.Contains(adj[l[0]], l[1]) {
			adj[l[0]] = append(adj[l[0]], l[1])
			adj[l[1]] = append(adj[l[1]], l[0])
		}
	}
	for a := range adj {
		slices.Sort(adj[a]) // deterministic walks
	}
	d := &DP{cfg: cfg, log: log, adj: adj, agentWarn: ratelog.New(log, 10, 10*time.Second)}
	d.srv = newConnServer("decision point", cfg.Limits.withDefaults(dpLimits), log, d.serveConn)
	return d, nil
}

// RunDP listens on cfg.Listen and serves until ctx ends.
func RunDP(ctx context.Context, cfg DPConfig) error {
	d, err := NewDP(cfg)
	if err != nil {
		return err
	}
	addr := cfg.Listen
	if addr == "" {
		addr = fmt.Sprintf("127.0.0.1:%d", DefaultDPPort)
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("decision point: %w", err)
	}
	d.log.Info("decision point listening", "addr", ln.Addr(), "home", cfg.Home, "agents", len(cfg.Agents))
	return d.Serve(ctx, ln)
}

// Serve accepts TC connections on ln until ctx ends; it then closes ln and the
// connections and returns nil once they are done. It holds at most
// Limits.MaxConns connections, closing idle ones to make room, and backs off
// (instead of returning) when accepting fails, e.g. out of file descriptors.
func (d *DP) Serve(ctx context.Context, ln net.Listener) error {
	if err := d.srv.serve(ctx, ln); err != nil {
		return fmt.Errorf("decision point: accept: %w", err)
	}
	return nil
}

// Stats counts the decision point's connections.
func (d *DP) Stats() ServerStats { return d.srv.Stats() }

// dpLimits: PACKTER's TC keeps one connection open for its whole run, so a
// connection that has sent a valid request may idle long; one that has not
// must send it soon.
var dpLimits = ServerLimits{
	MaxConns:       1024,
	FirstTimeout:   10 * time.Second,
	IdleTimeout:    10 * time.Minute,
	MessageTimeout: 30 * time.Second,
}

const (
	// maxRequestSize bounds what a slow sender can make a connection buffer:
	// a ClientTraceRequest is under 1 KiB, and 16 packet dumps of 1 KiB text
	// each still fit.
	maxRequestSize = 24 << 10
	dpWriteTimeout = 10 * time.Second
	dpMaxInFlight  = 16 // traces per connection at once
)

// serveConn reads requests back to back; each is traced in its own goroutine
// (PACKTER's TC sends a new request without waiting for the previous answer).
// Between requests it holds no read buffer.
func (d *DP) serveConn(ctx context.Context, sc *serverConn) {
	c := sc.Conn
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	var (
		wmu sync.Mutex
		wg  sync.WaitGroup
	)
	defer wg.Wait()
	write := func(m *Message) {
		b, err := Encode(m)
		if err != nil {
			d.log.Error("decision point: encode", "err", err)
			return
		}
		wmu.Lock()
		defer wmu.Unlock()
		_ = c.SetWriteDeadline(time.Now().Add(dpWriteTimeout))
		if _, err := c.Write(b); err != nil {
			d.log.Debug("decision point: write", "peer", c.RemoteAddr(), "err", err)
		}
	}
	self := addrOf(c.LocalAddr())
	var sem chan struct{} // made on the first request: idle connections stay small
	dr := &deadlineReader{s: d.srv, sc: sc}
	f := NewFramer(dr, maxRequestSize)
	dr.inMsg = f.inMessage
	for {
		if !f.inMessage() {
			f.release()
			if err := dr.waitIdle(); err != nil {
				d.connEnds(ctx, c, err)
				return
			}
		}
		raw, err := f.Next()
		if err != nil {
			d.connEnds(ctx, c, err)
			return
		}
		m, err := Decode(raw)
		if err != nil {
			d.srv.warn.Warn("decision point: bad message", "peer", c.RemoteAddr(), "err", err)
			continue
		}
		if m.Type != TypeClientTraceRequest {
			d.srv.warn.Warn("decision point: unexpected message", "peer", c.RemoteAddr(), "type", clip(m.Type))
			continue
		}
		sc.served()
		req := m.ClientTraceRequest
		if sem == nil {
			sem = make(chan struct{}, dpMaxInFlight)
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		sc.busy.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			defer sc.busy.Add(-1)
			id, reply := d.handle(ctx, self, req)
			if id != nil {
				write(id)
			}
			write(reply(ctx))
		}()
	}
}

func (d *DP) connEnds(ctx context.Context, c net.Conn, err error) {
	if !errors.Is(err, net.ErrClosed) && ctx.Err() == nil {
		d.log.Debug("decision point: connection ends", "peer", c.RemoteAddr(), "err", err)
	}
}

// handle accepts one request: it returns the ClientMessageIDReply to send at
// once (nil when the request is refused) and a function computing the
// ClientTraceReply.
func (d *DP) handle(ctx context.Context, self netip.Addr, req *ClientTraceRequest) (*Message, func(context.Context) *Message) {
	me := IPNode(self)
	id := MessageID{Origin: me, SequenceNumber: d.nextSeq()}
	ack := &Message{Type: TypeClientMessageIDReply, ClientMessageIDReply: &ClientMessageIDReply{
		SourceNode: me, DestinationNode: req.SourceNode,
		TemporarySequenceNumber: req.TemporarySequenceNumber, MessageID: id,
	}}
	hash, herr := req.RequestHash()
	ttl := req.TTL
	if ttl <= 0 || ttl > 64 {
		ttl = DefaultTTL
	}
	return ack, func(ctx context.Context) *Message {
		var res InterASTraceResult
		start := time.Now()
		if herr != nil {
			res = InterASTraceResult{ErrorCode: &ErrorCode{ErrorType: "TB_UNKNOWN_ERROR", ErrorMessage: herr.Error()}}
		} else {
			res = d.Trace(ctx, hash, ttl)
		}
		d.log.Info("decision point: traced", "hash", fmt.Sprintf("%x", hash), "ases", len(res.AS), "took", time.Since(start))
		return &Message{Type: TypeClientTraceReply, ClientTraceReply: &ClientTraceReply{
			ExportType: "AllResultExport", SourceNode: me, DestinationNode: req.SourceNode, MessageID: id,
			AllResultExport: &AllResultExport{
				ITMTraceRequest: ITMTraceRequest{
					FootmarkType: "Footmark", DestinationNode: Node{NodeID: ASNode(d.cfg.Home)},
					MessageID: id, TTL: ttl,
					Footmark: &Footmark{PacketDump: HashDump(hash), TimeStamp: req.TemporarySequenceNumber},
				},
				ITMTraceReply: ITMTraceReply{SourceNode: me, MessageID: id, InterASTraceResult: res},
			},
		}}
	}
}

func (d *DP) nextSeq() TimeVal {
	for {
		old := d.seq.Load()
		n := max(time.Now().UnixMicro(), old+1)
		if d.seq.CompareAndSwap(old, n) {
			return TimeVal{Sec: uint32(n / 1e6), Usec: uint32(n % 1e6)}
		}
	}
}

func addrOf(a net.Addr) netip.Addr {
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.IPv4Unspecified()
}

type answer struct {
	seen bool
	err  error
}

// Trace asks every agent whether it saw the hash, then walks the adjacency from
// Home through the ASes that saw it, at most ttl hops. The ASes farthest out on
// that walk are the candidate sources.
func (d *DP) Trace(ctx context.Context, hash [16]byte, ttl int) InterASTraceResult {
	ans := d.ask(ctx, hash)
	home := d.cfg.Home
	h := ans[home]
	if h.err != nil {
		return InterASTraceResult{AS: []AS{{
			Depth: 0, State: StateError, NodeID: ASNode(home), ASStatus: ASStatus{Type: StatusUnknown},
			ErrorCode: &ErrorCode{ErrorType: "TB_WAIT_ITM_REPLY", ErrorMessage: clip(h.err.Error())},
		}}}
	}
	if !h.seen {
		return InterASTraceResult{AS: []AS{{
			Depth: 0, State: StateNotFound, NodeID: ASNode(home), ASStatus: ASStatus{Type: StatusNotFound},
		}}}
	}
	w := d.walk(ans, ttl)
	order, depth, hasChild, errored := w.order, w.depth, w.hasChild, w.errored
	// Each end of the walk (an AS that saw the packet when none further out
	// did) is the source, unless ASes with agents lie beyond it: then the
	// packet only passed through it, and its source network was not found
	// (a spoofed source address looks like this).
	end := map[uint32]string{}
	nsrc := 0
	for _, u := range order {
		if hasChild[u] || u == home {
			continue
		}
		switch {
		case d.beyondAgents(u):
			end[u] = StateReached // the packet may have come from further out
		case depth[u] < ttl && d.watchedBeyond(u, depth):
			end[u] = StatusTransit
			continue
		default:
			end[u] = StateFound
		}
		nsrc++
	}
	res := InterASTraceResult{Degree: 100}
	if nsrc > 1 {
		res.Degree = 100 / nsrc
	}
	for _, u := range order {
		a := AS{Depth: depth[u], Degree: 100, State: StateFound, NodeID: ASNode(u)}
		switch {
		case u == home && len(order) == 1:
			a.ASStatus.Type = StatusInternal
		case u == home:
			a.ASStatus.Type = StatusDestination
		case end[u] == StateFound || end[u] == StateReached:
			a.ASStatus.Type = StatusSource
			a.Degree = res.Degree
			a.State = end[u]
		default:
			a.ASStatus.Type = StatusTransit
		}
		res.AS = append(res.AS, a)
	}
	for v, dep := range errored {
		a := ans[v]
		res.AS = append(res.AS, AS{Depth: dep, State: StateError, NodeID: ASNode(v), ASStatus: ASStatus{Type: StatusUnknown},
			ErrorCode: &ErrorCode{ErrorType: "TB_WAIT_ITM_REPLY", ErrorMessage: clip(a.err.Error())}})
	}
	slices.SortStableFunc(res.AS, func(a, b AS) int {
		if a.Depth != b.Depth {
			return a.Depth - b.Depth
		}
		return int(int64(a.ASNumber()) - int64(b.ASNumber()))
	})
	if len(res.AS) > MaxASes {
		res.AS = res.AS[:MaxASes]
	}
	return res
}

// walkResult is the breadth-first walk from home through the ASes that saw
// the packet.
type walkResult struct {
	order    []uint32        // ASes reached, home first, by depth
	depth    map[uint32]int  // their depth
	hasChild map[uint32]bool // whether the walk went on from them
	errored  map[uint32]int  // ASes whose agent did not answer, by depth
}

func (d *DP) walk(ans map[uint32]answer, ttl int) walkResult {
	home := d.cfg.Home
	depth := map[uint32]int{home: 0}
	hasChild := map[uint32]bool{}
	errored := map[uint32]int{}
	order := []uint32{home}
	for q := 0; q < len(order); q++ {
		u := order[q]
		if depth[u] >= ttl {
			continue
		}
		for _, v := range d.adj[u] {
			if _, ok := depth[v]; ok {
				continue
			}
			a, ok := ans[v]
			switch {
			case !ok: // no agent there: the walk cannot see past u
			case a.err != nil:
				if _, ok := errored[v]; !ok {
					errored[v] = depth[u] + 1
				}
			case a.seen:
				depth[v] = depth[u] + 1
				hasChild[u] = true
				order = append(order, v)
			}
		}
	}
	return walkResult{order: order, depth: depth, hasChild: hasChild, errored: errored}
}

// beyondAgents reports whether u has a neighbour without an agent.
func (d *DP) beyondAgents(u uint32) bool {
	for _, v := range d.adj[u] {
		if _, ok := d.cfg.Agents[v]; !ok {
			return true
		}
	}
	return false
}

// watchedBeyond reports whether u has a neighbour off the walk whose AS has
// an agent: the packet would have been seen there had it come from there.
// (A source AS with two upstream ASes, both watched, looks the same: the
// adjacency does not say which AS is a customer of which.)
func (d *DP) watchedBeyond(u uint32, onWalk map[uint32]int) bool {
	for _, v := range d.adj[u] {
		if _, ok := onWalk[v]; ok {
			continue
		}
		if _, ok := d.cfg.Agents[v]; ok {
			return true
		}
	}
	return false
}

// ask queries every agent at once, each bounded by QueryTimeout.
func (d *DP) ask(ctx context.Context, hash [16]byte) map[uint32]answer {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.QueryTimeout)
	defer cancel()
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		out = make(map[uint32]answer, len(d.cfg.Agents))
	)
	for asn, addr := range d.cfg.Agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := QueryDigest(ctx, d.cfg.Dialer, addr, hash, time.Time{}, time.Time{})
			if err == nil && a.ASN != asn {
				err = fmt.Errorf("agent at %s says it is AS %d, configured as AS %d", addr, a.ASN, asn)
			}
			if err != nil {
				d.agentWarn.Warn("decision point: agent query failed", "as", asn, "err", err)
			}
			mu.Lock()
			out[asn] = answer{seen: err == nil && a.Seen, err: err}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}
