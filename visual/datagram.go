package visual

import (
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/protocol"
)

// DatagramEvents calls fn with the events a parsed datagram carries, as the
// monitor makes them, for the standalone board (which checks no agent keys:
// it shows what reaches it, on loopback unless told otherwise). Earth records
// are left out: this board has no globe. fn must copy what it keeps.
func DatagramEvents(d *protocol.Datagram, t time.Time, fn func(*event.Event)) {
	agent := string(d.Agent.ID)
	switch d.Header {
	case protocol.HeaderPacket, protocol.HeaderBallistic, protocol.HeaderGateway:
		for i := range d.Records {
			ev := event.FromRecord(t, &d.Records[i])
			ev.Agent = agent
			fn(&ev)
		}
	case protocol.HeaderEarth, protocol.HeaderNone:
	default:
		ev := event.Event{Time: t, Agent: agent, Kind: controlKinds[d.Header]}
		if ev.Kind == event.KindNone {
			return
		}
		ev.Text, ev.File, ev.Millis = string(d.Text), string(d.File), d.Millis
		if d.Header == protocol.HeaderMessage {
			ev.File = string(d.Picture)
		}
		fn(&ev)
	}
}

var controlKinds = map[protocol.Header]event.Kind{
	protocol.HeaderMessage: event.KindMessage,
	protocol.HeaderHTML:    event.KindHTML,
	protocol.HeaderSound:   event.KindSound,
	protocol.HeaderSE:      event.KindSE,
	protocol.HeaderVoice:   event.KindVoice,
	protocol.HeaderSky:     event.KindSky,
}
