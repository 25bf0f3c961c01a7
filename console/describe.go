package console

import (
	"strconv"
	"strings"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/geo"
	"github.com/packter/packter/protocol"
)

// ClassName names a flag class (0..9); other values are "flag N".
func ClassName(class int) string { return protocol.ClassName(class) }

// FlagName names what a packet event is: its flag class, or Flood / Incident.
func FlagName(ev *event.Event) string {
	switch {
	case ev.Flood():
		return "Flood"
	case !ev.Model.Empty():
		return ev.Model.String()
	}
	return ClassName(ev.Class())
}

func shortFlagName(ev *event.Event) string {
	if ev.Model.Empty() {
		if c := ev.Class(); c >= 0 && c < len(protocol.ShortClassNames) {
			return protocol.ShortClassNames[c]
		}
	}
	return FlagName(ev)
}

func isICMP(ev *event.Event) bool {
	c := ev.Class()
	return ev.Model.Empty() && protocol.IsICMPClass(c)
}

// Describe is one plain line about an event, most important words first, as
// the accessible mode prints it and speech says it:
// "TCP SYN from 10.0.0.1 port 60000 to 127.0.0.1 port 80".
func Describe(ev *event.Event) string {
	var b strings.Builder
	switch ev.Kind {
	case event.KindPacket:
		if ev.Incident() {
			b.WriteString(ev.Desc.String())
			b.WriteString(", ")
		}
		b.WriteString(FlagName(ev))
		b.WriteString(" from ")
		writeEnd(&b, ev, ev.Src, ev.SPort, true)
		b.WriteString(" to ")
		writeEnd(&b, ev, ev.Dst, ev.DPort, false)
		if _, _, ok := ev.Traceable(); ok {
			// A hash says nothing to a listener, and "traceable" on every line
			// is noise: Enter says the traceback client.
		} else if !ev.Desc.Empty() && !ev.Incident() && !defaultDesc(ev.Desc.String()) {
			b.WriteString(", ")
			b.WriteString(ev.Desc.String())
		}
	case event.KindEarth:
		// Countries, not coordinates: "TCP SYN from Japan to Germany".
		b.WriteString(FlagName(ev))
		b.WriteString(" from ")
		b.WriteString(EarthCountry(ev, true).Name())
		b.WriteString(" to ")
		b.WriteString(EarthCountry(ev, false).Name())
		if _, _, ok := ev.Traceable(); !ok && !ev.Desc.Empty() && !defaultDesc(ev.Desc.String()) {
			b.WriteString(", ")
			b.WriteString(ev.Desc.String())
		}
	default:
		b.WriteString(kindTitle(ev.Kind))
		if t := plainText(ev); t != "" {
			b.WriteString(": ")
			b.WriteString(t)
		}
	}
	return b.String()
}

// EarthCountry is the country of one end of a PACKTEARTH record: the one
// whose representative point is nearest (geo.Nearest). Packter's agents send
// those very points; PACKTER 3.0's may send a city's own coordinates, read
// as the country of the nearest zone city (docs/protocol.md, PACKTEARTH).
func EarthCountry(ev *event.Event, src bool) geo.Country {
	lat, lon := ev.Lat1, ev.Lon1
	if !src {
		lat, lon = ev.Lat2, ev.Lon2
	}
	c, _ := geo.Nearest(lat, lon)
	return c
}

// EarthCoordinates says a PACKTEARTH record's coordinates, for when they
// are asked for: "from latitude 35.6544 longitude 139.7447 to latitude …".
func EarthCoordinates(ev *event.Event) string {
	return "from latitude " + fmtFloat(ev.Lat1) + " longitude " + fmtFloat(ev.Lon1) +
		" to latitude " + fmtFloat(ev.Lat2) + " longitude " + fmtFloat(ev.Lon2)
}

// spokenEnd is one end of a packet as Describe writes it: "192.0.2.7 port 443".
func spokenEnd(ev *event.Event, a protocol.Addr, p protocol.Port, src bool) string {
	var b strings.Builder
	writeEnd(&b, ev, a, p, src)
	return b.String()
}

func writeEnd(b *strings.Builder, ev *event.Event, a protocol.Addr, p protocol.Port, src bool) {
	b.WriteString(a.String())
	if p.IsNorm {
		b.WriteString(" position ")
		b.WriteString(fmtFloat(p.Norm))
		return
	}
	if isICMP(ev) {
		// PACKTER's agents send ICMP type*256 and code*256 as the ports.
		if src {
			b.WriteString(" type ")
		} else {
			b.WriteString(" code ")
		}
		b.WriteString(strconv.FormatUint(uint64(p.Value/256), 10))
		return
	}
	b.WriteString(" port ")
	b.WriteString(strconv.FormatUint(uint64(p.Value), 10))
}

// defaultDesc reports whether the description only repeats what the line
// already says (the agents' `TCP src:A(p) dst:B(q)` form).
func defaultDesc(d string) bool {
	for _, p := range [...]string{"TCP src:", "UDP src:", "ICMPv4 src:", "ICMPv6 src:", "ICMP src:"} {
		if strings.HasPrefix(d, p) {
			return true
		}
	}
	return false
}

func kindTitle(k event.Kind) string {
	switch k {
	case event.KindMessage, event.KindHTML:
		return "Message"
	case event.KindVoice:
		return "Voice"
	case event.KindAlert:
		return "Alert"
	case event.KindTrace:
		return "Trace"
	case event.KindSound:
		return "Sound"
	case event.KindSE:
		return "Sound effect"
	case event.KindSky:
		return "Sky"
	}
	return strings.ToUpper(k.String()[:1]) + k.String()[1:]
}

// plainText is a message's text without markup or control characters, on one line.
func plainText(ev *event.Event) string {
	t := ev.Text.String()
	if t == "" {
		t = ev.File.String()
	}
	if ev.Kind == event.KindMessage || ev.Kind == event.KindHTML {
		t = stripTags(t)
	}
	return clip(shortHashes(oneLine(t)), maxTextRunes)
}

// shortHashes shows a traceback hash (32 hex digits) by its last four, as
// it is spoken: nobody reads 32 digits, and the full hash stays in the
// journal and on the Selected line's record.
func shortHashes(s string) string {
	if len(s) < 32 {
		return s
	}
	var b strings.Builder
	run := 0
	for i := 0; i < len(s); i++ {
		if isHexDigit(s[i]) {
			run++
			continue
		}
		flushRun(&b, s[i-run:i])
		run = 0
		b.WriteByte(s[i])
	}
	flushRun(&b, s[len(s)-run:])
	return b.String()
}

func flushRun(b *strings.Builder, r string) {
	if len(r) == 32 {
		b.WriteString("hash …")
		b.WriteString(r[28:])
		return
	}
	b.WriteString(r)
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// maxTextRunes bounds a message's line: a datagram may carry kilobytes.
const maxTextRunes = 400

// clip cuts s to at most n runes, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j] + "…"
		}
		i++
	}
	return s
}

// stripTags drops HTML tags and turns line breaks into spaces.
func stripTags(s string) string {
	if strings.IndexByte(s, '<') < 0 {
		return s
	}
	var b strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '<':
			in = true
			b.WriteByte(' ')
		case c == '>' && in:
			in = false
		case !in:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// oneLine removes control characters (a message must not move the cursor or
// ring the bell) and collapses white space.
func oneLine(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == ' ' {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// Age says how long ago, compactly: "0.4s", "12s", "3m", "2h".
func Age(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < 10*time.Second:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	case d < 2*time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < 2*time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	}
	return strconv.Itoa(int(d/time.Hour)) + "h"
}

// spokenAge says an age in words.
func spokenAge(d time.Duration) string {
	switch {
	case d < time.Second:
		return "just now"
	case d < 2*time.Minute:
		return plural(int(d/time.Second), "second") + " ago"
	case d < 2*time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	}
	return plural(int(d/time.Hour), "hour") + " ago"
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// coarseAge says an age in steps that change at most once a minute, so that
// an idle screen stays still: "under a minute", "3 min", "2 h".
func coarseAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < 2*time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + " min"
	}
	return strconv.Itoa(int(d/time.Hour)) + " h"
}
