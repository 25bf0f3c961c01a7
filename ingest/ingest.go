// Package ingest turns PACKTER datagrams into events: it parses them, applies
// PACKTER 3.0's authentication policy (HMAC, replay window), cleans every
// string that came from the wire, and counts what it refused. The monitor and
// the standalone board both take their events from here, so there is one
// definition of what a datagram means.
//
// Events returned own their text: it is cleaned into event.Arena chunks that
// are written once and never reused, so any output may keep it.
package ingest

import (
	"errors"
	"log/slog"
	"net/netip"
	"slices"
	"sync/atomic"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/internal/ratelog"
	"github.com/packter/packter/protocol"
)

// Config sets the authentication policy. The zero value accepts every
// well-formed datagram, as PACKTER's viewers do.
type Config struct {
	Keys        map[string][]byte // agent id -> HMAC key (--key ID=FILE)
	RequireAuth bool              // refuse everything not signed by a known agent
	// ReplayMax bounds the replay cache (signed datagrams remembered inside
	// the ±300 s window); past it, signed datagrams are refused and counted.
	ReplayMax int
	Logger    *slog.Logger
}

// Stats counts what ingest did with what it was given.
type Stats struct {
	Datagrams    uint64 // decoded (well-formed or not)
	Events       uint64 // events produced
	Malformed    uint64 // datagrams that did not parse
	BadLines     uint64 // record lines skipped inside otherwise good bulk datagrams
	Unauthorized uint64 // refused by the authentication policy
	Replayed     uint64 // signed datagrams seen before
	ReplayFull   uint64 // signed datagrams refused because the replay cache was full
}

// ErrRequireAuthNoKey is New's error for RequireAuth without any key.
var ErrRequireAuthNoKey = errors.New("--require-auth needs at least one --key ID=FILE")

// DefaultReplayMax remembers about a minute of signed datagrams at 15,000/s.
const DefaultReplayMax = 1 << 20

// Ingest holds what every decoder shares: keys, the replay cache, counters.
type Ingest struct {
	cfg    Config
	warn   *ratelog.Limiter
	replay *replayCache
	stats  struct {
		datagrams, events, malformed, badLines, unauthorized, replayed, replayFull atomic.Uint64
	}
}

// New checks the policy and makes an Ingest.
func New(cfg Config) (*Ingest, error) {
	if cfg.RequireAuth && len(cfg.Keys) == 0 {
		return nil, ErrRequireAuthNoKey
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ReplayMax <= 0 {
		cfg.ReplayMax = DefaultReplayMax
	}
	return &Ingest{
		cfg:    cfg,
		warn:   ratelog.New(cfg.Logger, 10, 10*time.Second),
		replay: newReplayCache(cfg.ReplayMax, int64(protocol.MaxSkew/time.Second)),
	}, nil
}

// Stats returns the counts so far.
func (in *Ingest) Stats() Stats {
	s := &in.stats
	return Stats{
		Datagrams: s.datagrams.Load(), Events: s.events.Load(), Malformed: s.malformed.Load(),
		BadLines: s.badLines.Load(), Unauthorized: s.unauthorized.Load(), Replayed: s.replayed.Load(),
		ReplayFull: s.replayFull.Load(),
	}
}

// Decoder decodes datagrams for one goroutine; make one per receiving loop.
type Decoder struct {
	in    *Ingest
	d     protocol.Datagram
	arena event.Arena
}

// NewDecoder makes a decoder sharing in's policy and counters.
func (in *Ingest) NewDecoder() *Decoder { return &Decoder{in: in} }

// Decode parses one datagram received from `from` at t, applies the policy
// and appends its events to out. Malformed and refused datagrams add nothing
// (they are counted and logged at a bounded rate).
func (dc *Decoder) Decode(b []byte, from netip.AddrPort, t time.Time, out []event.Event) []event.Event {
	in := dc.in
	d := &dc.d
	in.stats.datagrams.Add(1)
	if err := protocol.Parse(b, d); err != nil {
		in.stats.malformed.Add(1)
		in.warn.Warn("malformed datagram dropped", "from", from.String(), "err", err)
		return out
	}
	if d.Bad > 0 {
		in.stats.badLines.Add(uint64(d.Bad))
		in.warn.Warn("bad record lines skipped", "from", from.String(), "lines", d.Bad, "err", d.BadErr)
	}
	authed, ok := in.authorize(d, from, t)
	if !ok {
		return out
	}
	n := len(out)
	a := &dc.arena
	agent := a.Clean(d.Agent.ID, event.MaxName)
	switch d.Header {
	case protocol.HeaderPacket, protocol.HeaderBallistic, protocol.HeaderGateway:
		out = slices.Grow(out, len(d.Records))
		for i := range d.Records {
			r := &d.Records[i]
			// Filled in place: an Event is large, and a temporary plus a copy
			// was a tenth of the ingest path.
			out = out[:len(out)+1]
			ev := &out[len(out)-1]
			*ev = event.Event{}
			ev.Time, ev.Kind, ev.Agent, ev.Authed = t, event.KindPacket, agent, authed
			ev.Src, ev.Dst, ev.SPort, ev.DPort, ev.Flag = r.Src, r.Dst, r.SPort, r.DPort, r.Flag
			ev.Model, ev.Desc = a.Clean(r.Model, event.MaxName), a.Clean(r.Desc, event.MaxDesc)
		}
	case protocol.HeaderEarth:
		for i := range d.Earth {
			e := &d.Earth[i]
			out = append(out, event.Event{Time: t, Kind: event.KindEarth, Agent: agent, Authed: authed,
				Lat1: e.Lat1, Lon1: e.Lon1, Lat2: e.Lat2, Lon2: e.Lon2,
				Flag: e.Flag, Model: a.Clean(e.Model, event.MaxName), Desc: a.Clean(e.Desc, event.MaxDesc)})
		}
	default:
		kind := ControlKind(d.Header)
		if kind == event.KindNone {
			break
		}
		ev := event.Event{Time: t, Kind: kind, Agent: agent, Authed: authed,
			Text: a.Clean(d.Text, event.MaxText), File: a.Clean(d.File, event.MaxName), Millis: d.Millis}
		if d.Header == protocol.HeaderMessage {
			ev.File = a.Clean(d.Picture, event.MaxName)
		}
		out = append(out, ev)
	}
	in.stats.events.Add(uint64(len(out) - n))
	return out
}

// ControlKind is the event kind of a control message header (KindNone for
// records and unknown headers).
func ControlKind(h protocol.Header) event.Kind {
	switch h {
	case protocol.HeaderMessage:
		return event.KindMessage
	case protocol.HeaderHTML:
		return event.KindHTML
	case protocol.HeaderSound:
		return event.KindSound
	case protocol.HeaderSE:
		return event.KindSE
	case protocol.HeaderVoice:
		return event.KindVoice
	case protocol.HeaderSky:
		return event.KindSky
	}
	return event.KindNone
}

// authorize applies PACKTER 3.0's policy. Once any key is configured, control
// messages need an authenticated agent; with RequireAuth everything does. A
// datagram signed by a known agent must verify, whatever it carries; an
// unsigned datagram may not claim a configured agent's id.
func (in *Ingest) authorize(d *protocol.Datagram, from netip.AddrPort, t time.Time) (authed, ok bool) {
	if len(in.cfg.Keys) == 0 {
		return false, true
	}
	if d.Agent.Present {
		key, known := in.cfg.Keys[string(d.Agent.ID)]
		switch {
		case known && d.Agent.MAC != nil:
			if err := d.Verify(key, t); err != nil {
				in.stats.unauthorized.Add(1)
				in.warn.Warn("datagram with a bad signature dropped", "from", from.String(), "agent", string(d.Agent.ID), "err", err)
				return false, false
			}
			switch in.replay.check(d.Agent.MAC, d.Agent.Time, t) {
			case seen:
				in.stats.replayed.Add(1)
				in.warn.Warn("replayed datagram dropped", "from", from.String(), "agent", string(d.Agent.ID))
				return false, false
			case full:
				in.stats.replayFull.Add(1)
				in.warn.Warn("signed datagram refused: the replay cache is full", "from", from.String(), "agent", string(d.Agent.ID))
				return false, false
			}
			return true, true
		case known:
			in.stats.unauthorized.Add(1)
			in.warn.Warn("unsigned datagram claiming a configured agent id dropped", "from", from.String(), "agent", string(d.Agent.ID))
			return false, false
		}
	}
	if in.cfg.RequireAuth || d.Header.Control() {
		in.stats.unauthorized.Add(1)
		in.warn.Warn("unauthenticated datagram dropped", "from", from.String(), "header", d.Header.String(), "agent", string(d.Agent.ID))
		return false, false
	}
	return false, true
}
