package sonify

import (
	"math"
	"strings"

	"github.com/packter/packter/event"
)

// Gesture is the shape of a cue: how it starts, moves and ends.
type Gesture uint8

const (
	GestureNone     Gesture = iota
	GesturePluck            // TCP ACK/data: one soft pluck
	GestureOpen             // TCP SYN: a pluck rising a fifth into its pitch
	GestureClose            // TCP FIN: a pluck falling a fifth
	GestureReset            // TCP RST: a short noisy knock with no tail
	GestureDrop             // UDP: a water drop (a sine swooping up while it fades)
	GesturePing             // ICMP: a long, pure sonar ping
	GestureFlood            // flood record: the theme's flood file (foreground)
	GestureIncident         // IDS record: the theme's incident file (foreground)
	GestureAlert            // Packter's own alert: the theme's alert file (foreground)
)

var gestureNames = [...]string{"none", "pluck", "open", "close", "reset", "drop", "ping", "flood", "incident", "alert"}

func (g Gesture) String() string {
	if int(g) < len(gestureNames) {
		return gestureNames[g]
	}
	return "unknown"
}

// Foreground reports whether the gesture is a salient, file-based cue that
// density control never folds into a texture.
func (g Gesture) Foreground() bool { return g >= GestureFlood }

// Cue is what one event sounds like. It is a plain value: Map makes it, the
// engine plays it.
type Cue struct {
	Gesture Gesture
	Class   int     // PACKTER flag class 0..9; -1 for foreground cues
	Freq    float64 // Hz of the note's settled pitch
	Pan     float64 // -1 left .. +1 right: the sender board's x axis
	Gain    float64 // linear, before master volume
	Decay   float64 // seconds to fade by 60 dB
	Ratio   float64 // FM modulator ratio: harmonic for IPv4, inharmonic (glassy) for IPv6; shifted per agent
	Bright  float64 // FM index at the onset
	Service bool    // the pitch is a well-known service's fixed note
}

// Map turns an event into its cue. It is pure: the same event and theme always
// give the same cue. Events that make no sound of their own (messages, voice,
// PACKTERSE/SOUND which the engine plays by file) give GestureNone.
func Map(ev *event.Event, th *Theme) Cue {
	switch ev.Kind {
	case event.KindAlert:
		return Cue{Gesture: GestureAlert, Class: -1, Pan: 0, Gain: th.ForegroundGain}
	case event.KindPacket:
	default:
		return Cue{}
	}
	pan := pan(ev.Src.Normalized(), th.PanWidth)
	if ev.Flood() {
		return Cue{Gesture: GestureFlood, Class: -1, Pan: pan, Gain: th.ForegroundGain}
	}
	if ev.Incident() {
		return Cue{Gesture: GestureIncident, Class: -1, Pan: pan, Gain: th.ForegroundGain}
	}
	class := ev.Class()
	if class < 0 { // another model name: draw it as plain data
		class = 0
	}
	c := Cue{
		Class:  class,
		Pan:    pan,
		Gain:   th.NoteGain * th.ClassGain[class],
		Decay:  th.NoteDecay,
		Bright: th.Brightness,
		Ratio:  agentRatio(ev.Agent.String()),
	}
	if class >= 5 {
		c.Ratio += 0.41 // IPv6: an inharmonic partial, bell-like
	}
	switch class % 5 {
	case 0:
		c.Gesture = GesturePluck
		c.Decay *= 0.6
		c.Bright *= 0.7
	case 1:
		c.Gesture = GestureOpen
	case 2:
		c.Gesture = GestureClose
		if isReset(ev.Desc.String()) {
			c.Gesture = GestureReset
			c.Decay = math.Min(c.Decay, 0.12)
		}
	case 3:
		c.Gesture = GestureDrop
		c.Decay *= 0.5
	case 4:
		// A ping rings longer than the others, but a ping a second must not
		// be the loudest repeated sound: shorter than it was, and softer.
		c.Gesture = GesturePing
		c.Decay *= 1.6
		c.Bright *= 0.15
		c.Gain *= 0.55
	}
	var deg int
	if class%5 == 4 {
		deg = icmpDegree(ev.SPort.Normalized(), class >= 5, len(th.Scale))
	} else {
		deg, c.Service = portDegree(ev.SPort.Normalized(), ev.DPort.Normalized(), th)
	}
	c.Freq = degreeFreq(th, deg)
	return c
}

// pan maps the source's normalised address (the sender board's x axis) to
// stereo: low addresses left, high addresses right.
func pan(x, width float64) float64 {
	if math.IsNaN(x) {
		return 0
	}
	x = math.Max(0, math.Min(1, x))
	return (2*x - 1) * width
}

// portDegree picks the scale degree of a record's service port: the
// destination port, or the source port when only it is a known service (the
// server's reply). Unknown ports are scattered over two octaves, placed by
// band: well-known ports high, registered ports in the middle, ephemeral low.
func portDegree(sNorm, dNorm float64, th *Theme) (int, bool) {
	sp, dp := portOf(sNorm), portOf(dNorm)
	if d, ok := th.Services[dp]; ok {
		return d, true
	}
	if d, ok := th.Services[sp]; ok {
		return d, true
	}
	n := len(th.Scale)
	h := int((dp * 2654435761) >> 16 % uint32(2*n))
	switch {
	case dp < 1024:
		return h + n/2, false
	case dp < 49152:
		return h, false
	default:
		return h - n, false
	}
}

func portOf(norm float64) uint32 {
	if !(norm >= 0) {
		return 0
	}
	return uint32(math.Min(65535, math.Round(norm*65536)))
}

// icmpDegree makes ICMP a conversation: an echo request pings high, its reply
// answers a step lower, errors (unreachable, time exceeded) sound low.
func icmpDegree(typeNorm float64, v6 bool, n int) int {
	typ := portOf(typeNorm) / 256
	req, rep, unreach, exceeded := uint32(8), uint32(0), uint32(3), uint32(11)
	if v6 {
		req, rep, unreach, exceeded = 128, 129, 1, 3
	}
	switch typ {
	case req:
		return n + 2
	case rep:
		return n + 1
	case unreach:
		return -2
	case exceeded:
		return -1
	}
	return n
}

func degreeFreq(th *Theme, deg int) float64 {
	n := len(th.Scale)
	if n == 0 {
		return 440
	}
	oct := deg / n
	i := deg % n
	if i < 0 {
		i += n
		oct--
	}
	midi := float64(th.Root + 12*oct + th.Scale[i])
	return 440 * math.Exp2((midi-69)/12)
}

// agentRatio gives each agent its own timbre (the FM ratio) so that several
// agents feeding one monitor can be told apart; no agent id sounds as agent 0.
func agentRatio(agent string) float64 {
	if agent == "" {
		return 1
	}
	h := uint32(2166136261) // FNV-1a, inline so that Map allocates nothing
	for i := 0; i < len(agent); i++ {
		h ^= uint32(agent[i])
		h *= 16777619
	}
	return [...]float64{1, 2, 3, 0.5}[h%4]
}

// isReset tells an RST from a FIN when the description says so (flags as
// tcpdump prints them, or the word RST); PACKTER's class 2 holds both.
func isReset(desc string) bool {
	return strings.Contains(desc, "RST") || strings.Contains(desc, "[R")
}
