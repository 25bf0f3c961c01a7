// Package detect finds floods in a stream of packets, as PACKTER's threshold
// monitor (pt_thmon, 2.5) and its untuned successor (3.0) do. It is pure: no
// I/O, no clock of its own (every call carries the packet's time), so a
// capture read at any speed gives the same alerts, and tests can craft
// packet sequences and know exactly what must come out.
//
// Packets are counted in windows of N (default 500); at the end of each window
// the shares of SYN, FIN, RST, ICMP and UDP packets and the packet rate are
// judged, and an alert is raised, after which the kind stays quiet for a while
// (default 30 s) so one flood makes one alert. Two judges:
//
//   - threshold: PACKTER 2.5's fixed bounds (syn=, fin=, rst=, icmp=, udp= as
//     shares 0..1, pps= packets per second), with the config file's TH_* and
//     MON_* keys.
//   - adaptive: PACKTER 3.0's untuned detectors. SYN floods: a non-parametric
//     CUSUM on the SYN − (FIN+RST) share, standardised by an EWMA of its
//     normal value (Wang, Zhang & Shin, INFOCOM 2002). FIN, RST, ICMP, UDP and
//     the rate: EWMA control charts, alarm above mean + k·sigma. Baselines
//     learn during a warm-up and freeze for a metric while it alarms.
//
// Quiet time is per kind, so a false alarm of one kind cannot hide a flood of
// another. min-pps (adaptive: 100, threshold: 0) keeps a kind from alerting
// unless it reaches that many packets per second: a share can swing widely in
// quiet traffic without anything being flooded.
package detect

import (
	"net/netip"
	"time"
)

// Kind is a kind of flood, in the order PACKTER reports them.
type Kind int

const (
	SYN Kind = iota
	FIN
	RST
	ICMP
	UDP
	PPS // the packet rate, whatever the packets
	nKinds
)

var kindKeys = [nKinds]string{"SYN", "FIN", "RST", "ICMP", "UDP", "PPS"}
var kindWords = [nKinds]string{"SYN flood", "FIN flood", "RST flood", "ICMP flood", "UDP flood", "packet flood"}

// Key is the kind's name in PACKTER's configuration keys (MON_SYN_MSG, TH_SYN).
func (k Kind) Key() string {
	if k < 0 || k >= nKinds {
		return "?"
	}
	return kindKeys[k]
}

// String is the kind in words: "SYN flood".
func (k Kind) String() string {
	if k < 0 || k >= nKinds {
		return "flood"
	}
	return kindWords[k]
}

// Mask is the set of kinds one packet counts toward, one bit per Kind.
type Mask uint8

// Has reports whether k is in m.
func (m Mask) Has(k Kind) bool { return m&(1<<k) != 0 }

// IP protocol numbers and TCP flag bits, as on the wire.
const (
	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoICMPv6 = 58
	tcpFin      = 0x01
	tcpSyn      = 0x02
	tcpRst      = 0x04
)

// Classify returns the kinds a packet counts as, as PACKTER's thmon counts:
// each of the TCP SYN, FIN and RST bits on its own, ICMP (either family), UDP.
// proto is the IP protocol number, tcpFlags the TCP header's flag byte.
func Classify(proto, tcpFlags uint8) Mask {
	switch proto {
	case protoTCP:
		var m Mask
		if tcpFlags&tcpSyn != 0 {
			m |= 1 << SYN
		}
		if tcpFlags&tcpFin != 0 {
			m |= 1 << FIN
		}
		if tcpFlags&tcpRst != 0 {
			m |= 1 << RST
		}
		return m
	case protoUDP:
		return 1 << UDP
	case protoICMP, protoICMPv6:
		return 1 << ICMP
	}
	return 0
}

// Detector judges a stream of packets. Implementations are not safe for
// concurrent use: the agent serialises its packet path.
type Detector interface {
	// Observe counts a packet (its time, destination and kinds) and returns
	// an alert when a window closes in alarm.
	Observe(ts time.Time, dst netip.Addr, m Mask) *Alert
	// Flooding reports whether the packet belongs to a flood alerted on (same
	// kind, same target) that is still going on: it is drawn as a missile.
	Flooding(ts time.Time, dst netip.Addr, m Mask) bool
}

// Alert is one detection, with the words to say it.
type Alert struct {
	Time   time.Time
	Kinds  []Kind // fired kinds; Kinds[0] is the one spoken
	Target netip.Addr
	PPS    float64 // packets per second of the spoken kind toward its target
	Share  float64 // share of the window for ratio kinds
	Limit  float64 // the bound that was crossed (share or pps)
	Window int     // packets in the window that alarmed
	Msg    string  // PACKTERMSG picture,html
	Sound  string  // PACKTERSOUND body "TIME,FILE"
	Voice  string  // PACKTERVOICE text
	Sky    string  // PACKTERSKYDOMETEXTURE file, "" for none
}
