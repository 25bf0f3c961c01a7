// Package event defines what flows from the monitor's inputs to its outputs:
// one Event per record or message received, timestamped on arrival.
package event

import (
	"strings"
	"time"

	"github.com/packter/packter/protocol"
)

// Kind says what an event is. Its String form is the journal's `kind` field.
type Kind uint8

const (
	KindNone    Kind = iota
	KindPacket       // a PACKTER record (flying object)
	KindMessage      // PACKTERMSG: picture + HTML text
	KindHTML         // PACKTERHTML
	KindSound        // PACKTERSOUND: background sound
	KindSE           // PACKTERSE: sound effect
	KindVoice        // PACKTERVOICE: text to speak
	KindSky          // PACKTERSKYDOMETEXTURE
	KindEarth        // PACKTEARTH: geographic record
	KindAlert        // an alert raised by Packter itself (flood, IDS, monitor fault)
	KindTrace        // a traceback request launched from the monitor
)

var kindNames = [...]string{"none", "packet", "message", "html", "sound", "se", "voice", "sky", "earth", "alert", "trace"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// ParseKind is the inverse of Kind.String.
func ParseKind(s string) (Kind, bool) {
	for i, n := range kindNames {
		if n == s && i != 0 {
			return Kind(i), true
		}
	}
	return KindNone, false
}

// Event is one thing that happened, as the outputs see it. Fields that do not
// apply to the Kind are zero.
type Event struct {
	Time   time.Time // arrival at the monitor
	Kind   Kind
	Agent  Text // PACKTERAGENT id, empty when the datagram carried none
	Authed bool // the datagram's HMAC verified against the agent's key

	// KindPacket (and the two ends of KindEarth in Src/Dst as lat/lon are not
	// addresses: see Lat1..Lon2).
	Src, Dst     protocol.Addr
	SPort, DPort protocol.Port
	Flag         int  // FLAG as sent (PACKTER's `flag + base`); Class gives the colour class
	Model        Text // FLAG when it names a model instead of a number (e.g. "missile" for floods)
	Desc         Text

	// KindEarth
	Lat1, Lon1, Lat2, Lon2 float64

	// Messages: Text is the HTML/message/voice/alert text; File the picture
	// (message), sound file (sound, se) or texture (sky); Millis PACKTERSOUND's TIME.
	Text   Text
	File   Text
	Millis int
}

// Class is PACKTER's colour class, `flag % 10` (0..9), as the 2.5 viewer uses it.
// Model records (floods) return -1.
func (e *Event) Class() int {
	if !e.Model.Empty() {
		return -1
	}
	c := e.Flag % 10
	if c < 0 {
		c += 10
	}
	return c
}

// Flood reports whether the record is drawn as PACKTER's missile: a flood.
func (e *Event) Flood() bool {
	return !e.Model.Empty() && strings.HasPrefix(strings.ToLower(e.Model.s), protocol.FloodModel)
}

// Incident reports whether the record came from an IDS alert (PACKTER's
// `Incident:MSG sid:N gen:N rev:N` description).
func (e *Event) Incident() bool { return strings.HasPrefix(e.Desc.s, "Incident:") }

// Traceable returns the hash and traceback-client host of a record whose
// description has PACKTER's `HASH-TCHOST` form (exactly one '-').
func (e *Event) Traceable() (hash, host string, ok bool) {
	return protocol.SplitTraceDesc(e.Desc.s)
}

// FromRecord makes a packet event from a parsed record, copying what the record
// borrows from its datagram.
func FromRecord(t time.Time, r *protocol.Record) Event {
	return Event{
		Time:  t,
		Kind:  KindPacket,
		Src:   r.Src,
		Dst:   r.Dst,
		SPort: r.SPort,
		DPort: r.DPort,
		Flag:  r.Flag,
		Model: CleanBytes(r.Model, MaxName),
		Desc:  CleanBytes(r.Desc, MaxDesc),
	}
}

// NotKept stands for text the timeline had to let go of (the descriptions of
// a flood of unique packets, beyond the timeline's text budget).
func NotKept() Text { return Text{"(description not kept)"} }
