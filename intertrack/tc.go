package intertrack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/packter/packter/internal/ratelog"
	"github.com/packter/packter/protocol"
)

// TCConfig configures a traceback client (PACKTER_TC).
type TCConfig struct {
	Listen string // UDP address records arrive on (127.0.0.1:11301)
	DP     string // decision point, host[:port] (port 9005)
	Viewer string // monitor, host[:port] (port 11300)
	Texts  *Texts // nil: DefaultTexts
	Logger *slog.Logger

	ConfigFile string // PACKTER's packter.conf: its IPTB_* keys override Texts

	DialTimeout  time.Duration // connecting to the DP (3 s)
	AckTimeout   time.Duration // waiting for ClientMessageIDReply (5 s)
	ReplyTimeout time.Duration // waiting for ClientTraceReply after that (30 s)
	MaxInFlight  int           // traces at once; more are dropped and counted (16)

	Dialer Dialer // reaches the DP (net.Dialer when nil)
	// OnOutcome, when set, also receives every outcome (tests, the demo's log).
	OnOutcome func(Outcome)
}

// OutcomeKind is one of PACKTER's three traceback outcomes.
type OutcomeKind uint8

const (
	Launched OutcomeKind = iota
	Succeeded
	Failed
)

func (k OutcomeKind) String() string {
	return [...]string{"launched", "succeeded", "failed"}[k]
}

// Outcome is what the TC reports to the monitor.
type Outcome struct {
	Kind    OutcomeKind
	Hash    [16]byte
	ASes    []AS     // the DP's answer (Succeeded, and Failed when it had one)
	Sources []uint32 // Succeeded: where the packet came from
	Beyond  []uint32 // Succeeded: those of Sources it may have come from beyond (state reached)
	Through []uint32 // Succeeded: transit ASes, from the source (or the outermost) toward home
	Silent  []uint32 // Succeeded: ASes whose agents did not answer
	Reason  string   // Failed: why, in plain words
	Voice   string   // the text spoken
	Elapsed time.Duration
}

// TC is a traceback client.
type TC struct {
	cfg      TCConfig
	texts    Texts
	log      *slog.Logger
	warn     *ratelog.Limiter // per-datagram warnings: a flood must not flood the log
	dpAddr   string
	viewer   *net.UDPAddr
	out      net.Conn // UDP to the viewer
	sem      chan struct{}
	dropped  atomic.Uint64
	wg       sync.WaitGroup
	selfAddr netip.Addr
}

// NewTC checks the configuration, reads the IPTB config file and opens the
// socket to the viewer.
func NewTC(cfg TCConfig) (*TC, error) {
	t := &TC{cfg: cfg, log: cfg.Logger}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	t.warn = ratelog.New(t.log, 10, 10*time.Second)
	if cfg.Texts != nil {
		t.texts = *cfg.Texts
	} else {
		t.texts = DefaultTexts()
	}
	if cfg.ConfigFile != "" {
		f, err := os.Open(cfg.ConfigFile)
		if err != nil {
			return nil, fmt.Errorf("traceback client: %w", err)
		}
		err = LoadIPTBConfig(f, &t.texts)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("traceback client: %s: %w", cfg.ConfigFile, err)
		}
	}
	if cfg.DP == "" {
		return nil, errors.New("traceback client: no decision point (--dp HOST[:PORT])")
	}
	var err error
	if t.dpAddr, err = WithDefaultPort(cfg.DP, DefaultDPPort); err != nil {
		return nil, fmt.Errorf("traceback client: --dp: %w", err)
	}
	viewer := cfg.Viewer
	if viewer == "" {
		viewer = "127.0.0.1"
	}
	if viewer, err = WithDefaultPort(viewer, protocol.ViewerPort); err != nil {
		return nil, fmt.Errorf("traceback client: --viewer: %w", err)
	}
	if t.viewer, err = net.ResolveUDPAddr("udp", viewer); err != nil {
		return nil, fmt.Errorf("traceback client: viewer %s: %w", viewer, err)
	}
	if t.out, err = net.DialUDP("udp", nil, t.viewer); err != nil {
		return nil, fmt.Errorf("traceback client: viewer %s: %w", viewer, err)
	}
	if t.cfg.DialTimeout <= 0 {
		t.cfg.DialTimeout = 3 * time.Second
	}
	if t.cfg.AckTimeout <= 0 {
		t.cfg.AckTimeout = 5 * time.Second
	}
	if t.cfg.ReplyTimeout <= 0 {
		t.cfg.ReplyTimeout = 30 * time.Second
	}
	if t.cfg.MaxInFlight <= 0 {
		t.cfg.MaxInFlight = 16
	}
	if t.cfg.Dialer == nil {
		t.cfg.Dialer = &net.Dialer{Timeout: t.cfg.DialTimeout}
	}
	t.sem = make(chan struct{}, t.cfg.MaxInFlight)
	return t, nil
}

// WithDefaultPort returns host:port for "host", "host:port", "[v6]:port" or a
// bare IPv6 literal.
func WithDefaultPort(s string, port int) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("empty address")
	}
	if h, p, err := net.SplitHostPort(s); err == nil {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil || n == 0 {
			return "", fmt.Errorf("bad port in %q", s)
		}
		if h == "" {
			return "", fmt.Errorf("no host in %q", s)
		}
		return s, nil
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = s[1 : len(s)-1]
	}
	return net.JoinHostPort(s, strconv.Itoa(port)), nil
}

// RunTC listens on cfg.Listen (UDP) and serves until ctx ends.
func RunTC(ctx context.Context, cfg TCConfig) error {
	t, err := NewTC(cfg)
	if err != nil {
		return err
	}
	addr := cfg.Listen
	if addr == "" {
		addr = fmt.Sprintf("127.0.0.1:%d", protocol.TracebackPort)
	}
	pc, err := (&net.ListenConfig{}).ListenPacket(ctx, "udp", addr)
	if err != nil {
		t.Close()
		return fmt.Errorf("traceback client: %w", err)
	}
	t.log.Info("traceback client listening", "addr", pc.LocalAddr(), "dp", t.dpAddr, "viewer", t.viewer)
	return t.Serve(ctx, pc)
}

// Serve reads records from pc and traces each, several at once, until ctx
// ends; it then closes pc, waits for the traces in flight (they end with ctx)
// and closes the viewer socket.
func (t *TC) Serve(ctx context.Context, pc net.PacketConn) error {
	defer t.Close()
	stop := context.AfterFunc(ctx, func() { pc.Close() })
	defer stop()
	defer t.wg.Wait()
	if ap, err := netip.ParseAddrPort(pc.LocalAddr().String()); err == nil {
		t.selfAddr = ap.Addr().Unmap()
	}
	buf := make([]byte, 64<<10)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("traceback client: %w", err)
		}
		hash, err := ParseTraceDatagram(buf[:n])
		if err != nil {
			t.warn.Warn("traceback client: ignoring datagram", "from", from, "err", err)
			continue
		}
		select {
		case t.sem <- struct{}{}:
		default:
			d := t.dropped.Add(1)
			t.warn.Warn("traceback client: too many traces at once, dropping", "hash", fmt.Sprintf("%x", hash), "dropped", d)
			continue
		}
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			defer func() { <-t.sem }()
			t.Trace(ctx, hash)
		}()
	}
}

// Close releases the viewer socket.
func (t *TC) Close() error {
	if t.out != nil {
		return t.out.Close()
	}
	return nil
}

// Dropped counts requests refused because MaxInFlight traces were running.
func (t *TC) Dropped() uint64 { return t.dropped.Load() }

// ParseTraceDatagram finds the traceback hash in what a viewer sent to the TC:
// a record `SRC,DST,SPORT,DPORT,FLAG,HASH-TCHOST` (with or without a PACKTER
// header line), or, as PACKTER's TC accepts, a bare `HASH` or `HASH-TCHOST`.
func ParseTraceDatagram(b []byte) ([16]byte, error) {
	if len(b) > 8192 {
		return [16]byte{}, errors.New("datagram too long for a record")
	}
	for len(b) > 0 {
		var line []byte
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			line, b = b, nil
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 || bytes.HasPrefix(line, []byte("PACKTER")) && bytes.IndexByte(line, ',') < 0 {
			continue // header line
		}
		field := line
		if parts := bytes.SplitN(line, []byte(","), 6); len(parts) == 6 {
			field = bytes.TrimSpace(parts[5])
		} else if len(parts) > 1 {
			return [16]byte{}, fmt.Errorf("%q is neither a record nor a hash", clip(string(line)))
		}
		if i := bytes.IndexByte(field, '-'); i >= 0 {
			field = field[:i]
		}
		h, err := ParseHash(string(field))
		if err != nil {
			return [16]byte{}, errors.New("the record's description holds no traceback hash")
		}
		return h, nil
	}
	return [16]byte{}, errors.New("empty datagram")
}

// Trace runs one traceback for hash, reporting launched and then succeeded or
// failed to the viewer. It returns the final outcome.
func (t *TC) Trace(ctx context.Context, hash [16]byte) Outcome {
	start := time.Now()
	t.report(Outcome{Kind: Launched, Hash: hash, Voice: t.texts.StartVoice})
	o := t.ask(ctx, hash)
	o.Hash = hash
	o.Elapsed = time.Since(start)
	if o.Kind == Failed {
		o.Voice = t.texts.FailedVoice + ": " + o.Reason
	} else {
		o.Voice = t.texts.SucceedVoice + ": " + o.Path()
		for _, a := range o.Silent {
			o.Voice += fmt.Sprintf("; the agent of AS %d did not answer", a)
		}
	}
	t.log.Info("traceback", "hash", fmt.Sprintf("%x", hash), "outcome", o.Kind, "took", o.Elapsed, "voice", o.Voice)
	t.report(o)
	return o
}

// ask talks to the DP: connect, request, ID reply, trace reply.
func (t *TC) ask(ctx context.Context, hash [16]byte) Outcome {
	fail := func(format string, a ...any) Outcome {
		return Outcome{Kind: Failed, Reason: fmt.Sprintf(format, a...)}
	}
	dctx, cancel := context.WithTimeout(ctx, t.cfg.DialTimeout)
	c, err := t.cfg.Dialer.DialContext(dctx, "tcp", t.dpAddr)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return fail("the traceback client stopped")
		}
		return fail("the decision point at %s is not reachable (%s)", t.dpAddr, shortNetErr(err))
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()

	dp := addrOf(c.RemoteAddr())
	self := t.selfAddr
	if !self.IsValid() || self.IsUnspecified() {
		self = addrOf(c.LocalAddr())
	}
	req, err := Encode(NewTraceRequest(hash, dp, self, time.Now()))
	if err != nil {
		return fail("could not build the request: %v", err)
	}
	_ = c.SetWriteDeadline(time.Now().Add(t.cfg.DialTimeout))
	if _, err := c.Write(req); err != nil {
		return fail("could not send the request to the decision point (%s)", shortNetErr(err))
	}
	f := NewFramer(c, MaxMessageSize)
	acked := false
	_ = c.SetReadDeadline(time.Now().Add(t.cfg.AckTimeout))
	for {
		raw, err := f.Next()
		if err != nil {
			switch {
			case ctx.Err() != nil:
				return fail("the traceback client stopped")
			case isTimeout(err) && !acked:
				return fail("the decision point did not accept the request within %s", t.cfg.AckTimeout)
			case isTimeout(err):
				return fail("the decision point did not finish the trace within %s", t.cfg.ReplyTimeout)
			case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
				return fail("the decision point closed the connection without an answer")
			case errors.Is(err, ErrTooLarge) || errors.Is(err, ErrGarbage):
				return fail("the decision point sent something that is not an InterTrack message")
			}
			return fail("lost the decision point (%s)", shortNetErr(err))
		}
		m, err := Decode(raw)
		if err != nil {
			return fail("the decision point sent an unreadable message")
		}
		switch m.Type {
		case TypeClientMessageIDReply:
			if !acked {
				acked = true
				_ = c.SetReadDeadline(time.Now().Add(t.cfg.ReplyTimeout))
			}
		case TypeClientTraceReply:
			return interpret(m.ClientTraceReply, hash)
		default:
			return fail("the decision point answered with an unexpected %s", m.Type)
		}
	}
}

// interpret turns a ClientTraceReply into an outcome.
func interpret(r *ClientTraceReply, hash [16]byte) Outcome {
	fail := func(format string, a ...any) Outcome {
		return Outcome{Kind: Failed, Reason: fmt.Sprintf(format, a...)}
	}
	if r.AllResultExport == nil {
		return fail("the decision point's answer holds no result (%s)", clip(r.ExportType))
	}
	if fm := r.AllResultExport.ITMTraceRequest.Footmark; fm != nil {
		if h, err := fm.PacketDump.Hash(); err == nil && h != hash {
			return fail("the decision point answered about another packet")
		}
	}
	res := &r.AllResultExport.ITMTraceReply.InterASTraceResult
	if res.ErrorCode != nil && len(res.AS) == 0 {
		return fail("the decision point reports %s", errorWords(res.ErrorCode))
	}
	o := Outcome{ASes: res.AS}
	var found, silent []AS
	for _, a := range res.AS {
		switch a.State {
		case StateNotFound:
			o.Kind = Failed
			o.Reason = fmt.Sprintf("no agent saw the packet, not even in AS %d", a.ASNumber())
			return o
		case StateError:
			silent = append(silent, a)
		case StateFound, StateReached:
			found = append(found, a)
		}
	}
	if len(found) == 0 {
		o.Kind = Failed
		if len(silent) > 0 {
			o.Reason = fmt.Sprintf("the agent of AS %d did not answer", silent[0].ASNumber())
		} else {
			o.Reason = "the decision point found no AS"
		}
		return o
	}
	o.Kind = Succeeded
	for _, a := range silent {
		o.Silent = append(o.Silent, a.ASNumber())
	}
	maxDepth := 0
	for _, a := range found {
		maxDepth = max(maxDepth, a.Depth)
	}
	// Sources: marked Source (or Internal). Failing that, the walk ended at
	// transit ASes and found no source (our DP says so for spoofed packets);
	// from a DP that marks nothing, the farthest found are the sources.
	// Through: the rest beyond home, from the outside inward.
	for _, a := range found {
		if a.ASStatus.Type == StatusSource || a.ASStatus.Type == StatusInternal {
			o.Sources = append(o.Sources, a.ASNumber())
			if a.State == StateReached {
				o.Beyond = append(o.Beyond, a.ASNumber())
			}
		}
	}
	if len(o.Sources) == 0 {
		for _, a := range found {
			if a.Depth == maxDepth && a.ASStatus.Type != StatusTransit {
				o.Sources = append(o.Sources, a.ASNumber())
			}
		}
	}
	for d := maxDepth; d > 0; d-- {
		for _, a := range found {
			if a.Depth == d && !containsU32(o.Sources, a.ASNumber()) {
				o.Through = append(o.Through, a.ASNumber())
			}
		}
	}
	return o
}

func containsU32(s []uint32, v uint32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// PathSentence says where a packet came from in plain words:
// "the packet came from AS 65001, through AS 65002".
func PathSentence(sources, through []uint32) string {
	return Outcome{Sources: sources, Through: through}.Path()
}

// Path says in plain words what a successful trace found. AS numbers are
// written "AS 65001" for the speech layer to read exactly.
//
//	the packet came from AS 64540, through AS 64510
//	the packet came from AS 65004 or from beyond it, through AS 65002
//	the packet reached us through AS 64510; its source network was not found (possibly spoofed)
func (o Outcome) Path() string {
	var b strings.Builder
	if len(o.Sources) == 0 {
		b.WriteString("the packet reached us through ")
		writeASes(&b, o.Through)
		b.WriteString("; its source network was not found (possibly spoofed)")
		return b.String()
	}
	b.WriteString("the packet came from ")
	for i, s := range o.Sources {
		if i > 0 {
			b.WriteString(", or from ")
		}
		fmt.Fprintf(&b, "AS %d", s)
		if containsU32(o.Beyond, s) {
			b.WriteString(" or from beyond it")
		}
	}
	if len(o.Through) > 0 {
		b.WriteString(", through ")
		writeASes(&b, o.Through)
	}
	return b.String()
}

func writeASes(b *strings.Builder, ases []uint32) {
	for i, s := range ases {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(b, "AS %d", s)
	}
}

func errorWords(e *ErrorCode) string {
	if e.ErrorMessage != "" {
		return clip(e.ErrorMessage)
	}
	return clip(e.ErrorType)
}

// report sends MSG + SOUND + VOICE for an outcome to the viewer.
func (t *TC) report(o Outcome) {
	for _, d := range t.Datagrams(o) {
		if _, err := t.out.Write(d); err != nil {
			t.log.Warn("traceback client: viewer unreachable", "viewer", t.viewer, "err", err)
			break
		}
	}
	if t.cfg.OnOutcome != nil {
		t.cfg.OnOutcome(o)
	}
}

// Datagrams renders an outcome as PACKTER datagrams: PACKTERMSG, PACKTERSOUND
// and PACKTERVOICE, in the IPTB_* texts.
func (t *TC) Datagrams(o Outcome) [][]byte {
	tx := &t.texts
	var pic, msg, sound string
	switch o.Kind {
	case Launched:
		pic, msg, sound = tx.StartPic, tx.StartMsg, tx.StartSound
	case Succeeded:
		pic, msg, sound = tx.SucceedPic, tx.SucceedMsg, tx.SucceedSound
	default:
		pic, msg, sound = tx.FailedPic, tx.FailedMsg, tx.FailedSound
	}
	var body strings.Builder
	body.WriteString(msg)
	fmt.Fprintf(&body, "<br>%s%x", tx.OptHash, o.Hash)
	for _, a := range o.ASes {
		fmt.Fprintf(&body, "<br>Depth %d: %s AS:%d", a.Depth, html.EscapeString(a.State), a.ASNumber())
	}
	if o.Reason != "" {
		fmt.Fprintf(&body, "<br>%s", html.EscapeString(o.Reason))
	}
	body.WriteString(tx.OptMsg)
	out := [][]byte{protocol.AppendMessage(nil, pic, body.String())}
	if ms, file, ok := splitSound(tx.OptSound + sound); ok {
		out = append(out, protocol.AppendSound(nil, ms, file))
	}
	if o.Voice != "" {
		out = append(out, protocol.AppendVoice(nil, tx.OptVoiceHead+o.Voice+tx.OptVoiceFoot))
	}
	return out
}

// splitSound reads a PACKTERSOUND body `TIME,FILE` as written in the texts.
func splitSound(s string) (int, string, bool) {
	ms, file, ok := strings.Cut(strings.TrimSpace(s), ",")
	if !ok {
		return 0, "", false
	}
	n, err := strconv.Atoi(strings.TrimSpace(ms))
	file = strings.TrimSpace(file)
	if err != nil || file == "" {
		return 0, "", false
	}
	return n, file, true
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// shortNetErr drops the "dial tcp 1.2.3.4:9005:" prefix Go puts on errors.
func shortNetErr(err error) string {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		s := oe.Err.Error()
		if i := strings.LastIndex(s, ": "); i >= 0 {
			s = s[i+2:]
		}
		return s
	}
	return err.Error()
}
