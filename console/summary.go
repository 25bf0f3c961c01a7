package console

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/geo"
	"github.com/packter/packter/protocol"
	"github.com/packter/packter/timeline"
)

const (
	lineBudget  = 3    // accessible mode: packet lines a second before summarising
	maxLineScan = 64   // most new events examined for per-packet lines
	topSample   = 4096 // newest events of a window examined for its top talker
)

// summarizer is what the console says about traffic unasked: a line per
// packet while they are few (accessible mode, verbosity packets) and a
// summary every interval of what had no line of its own.
type summarizer struct {
	every      time.Duration
	start      time.Time       // the summary window's start
	from       timeline.Counts // counts at its start
	fromSeq    uint64
	unsaid     bool // some packet of the window had no line
	evSeen     uint64
	secStart   time.Time
	secLines   int
	summing    bool // the last second was too fast to read: no lines
	alerts     int  // alerts in the window
	floodSaid  bool // the window's floods were announced already
	lastActive time.Time
}

func packetTotal(k *timeline.Counts) uint64 {
	var n uint64
	for _, v := range k.Class {
		n += v
	}
	return n + k.Flood
}

// lines returns a line per new packet while a person can read them.
func (s *summarizer) lines(rd *reader, first, next uint64, f *Filter, now time.Time) []string {
	from := max(s.evSeen, first)
	s.evSeen = next
	if d := now.Sub(s.secStart); d >= time.Second {
		// Lines come back only after a second a person could have read.
		s.summing = s.secLines > lineBudget && d < 2*time.Second
		s.secStart, s.secLines = now, 0
	}
	if next == from {
		return nil
	}
	n := int(min(next-from, 1<<30))
	s.secLines += n
	if s.summing || s.secLines > lineBudget || n > maxLineScan {
		s.summing = s.summing || s.secLines > lineBudget
		s.unsaid = true
		return nil
	}
	var out []string
	var last event.Event // the packet of the previous line
	rd.each(from, next, false, func(_ uint64, ev *event.Event) bool {
		switch {
		case ev.Kind == event.KindPacket && f.Match(ev):
			out = append(out, Describe(ev))
			last = *ev
		case ev.Kind == event.KindEarth && len(out) > 0 && sameRecord(&last, ev):
			// An agent with --geoip sends the record's PACKTEARTH beside it:
			// one line says both, "…, from Japan to Germany".
			out[len(out)-1] += ", from " + EarthCountry(ev, true).Name() + " to " + EarthCountry(ev, false).Name()
			last = event.Event{}
		}
		return true
	})
	return out
}

// due returns the window's summary when the interval has passed and there
// is something the listener has not heard, and starts a new window.
func (s *summarizer) due(rd *reader, now time.Time, next uint64, counts *timeline.Counts, skipped int, linesToo bool) string {
	if now.Sub(s.start) < s.every {
		return ""
	}
	defer func() {
		s.start, s.from, s.fromSeq = now, *counts, next
		s.unsaid, s.alerts, s.floodSaid = false, 0, false
	}()
	packets := packetTotal(counts) - packetTotal(&s.from)
	if (packets == 0 || (linesToo && !s.unsaid)) && skipped == 0 && s.alerts == 0 {
		return ""
	}
	var parts []string
	if d := counts.Flood - s.from.Flood; d > 0 && !s.floodSaid {
		parts = append(parts, plural(int(d), "flood record"))
	}
	if s.alerts > 0 {
		parts = append(parts, plural(s.alerts, "alert"))
	}
	if packets > 0 {
		when := "in the last " + spokenDuration(now.Sub(s.start).Round(time.Second))
		text := summary(&s.from, counts, when)
		if top := topTalker(rd, max(s.fromSeq, next-min(next, topSample)), next); top != "" {
			head, rest, _ := strings.Cut(text, ": ")
			text = head + ", mostly " + top
			if rest != "" {
				text += ": " + rest
			}
		}
		if from := sourceCountries(rd, max(s.fromSeq, next-min(next, topSample)), next); from != "" {
			text += ", " + from
		}
		parts = append(parts, text)
	}
	if skipped > 0 {
		parts = append(parts, plural(skipped, "message")+" not shown; h lists them")
	}
	return strings.Join(parts, "; ")
}

// talker is who sent most of a window's packets.
type talker struct {
	class    int // -1: flood records (their model, not a class)
	src, dst netip.Addr
	port     uint32
}

// topTalker says who sent most of the events in [from, to) — "TCP SYN from
// 192.0.2.7 to 10.0.0.5 port 443" — when one conversation, or else one
// destination, is more than half of them.
func topTalker(rd *reader, from, to uint64) string {
	if to <= from {
		return ""
	}
	whole := map[talker]int{}
	dest := map[talker]int{}
	n := 0
	rd.each(from, to, true, func(_ uint64, ev *event.Event) bool {
		if ev.Kind != event.KindPacket || !ev.Src.IsIP() || !ev.Dst.IsIP() {
			return true
		}
		t := talker{ev.Class(), ev.Src.IP, ev.Dst.IP, ev.DPort.Value}
		whole[t]++
		t.src = netip.Addr{}
		dest[t]++
		n++
		return true
	})
	say := func(t talker) string {
		var b strings.Builder
		if t.class < 0 {
			b.WriteString("flood records")
		} else {
			b.WriteString(protocol.ClassName(t.class))
		}
		if t.src.IsValid() {
			b.WriteString(" from " + t.src.String())
		}
		b.WriteString(" to " + t.dst.String())
		if !protocol.IsICMPClass(t.class) {
			fmt.Fprintf(&b, " port %d", t.port)
		}
		return b.String()
	}
	for _, m := range []map[talker]int{whole, dest} {
		for t, k := range m {
			if 2*k > n {
				return say(t)
			}
		}
	}
	return ""
}

// summary says how many packets of which classes arrived between two counts.
func summary(from, to *timeline.Counts, when string) string {
	type part struct {
		name string
		n    uint64
	}
	var parts []part
	for i := range to.Class {
		if d := to.Class[i] - from.Class[i]; d > 0 {
			parts = append(parts, part{protocol.ClassNames[i], d})
		}
	}
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].n > parts[j].n })
	total := packetTotal(to) - packetTotal(from)
	var b strings.Builder
	fmt.Fprintf(&b, "%d packets %s", total, when)
	for i, p := range parts {
		if i == 4 {
			var rest uint64
			for _, q := range parts[4:] {
				rest += q.n
			}
			fmt.Fprintf(&b, ", %d other", rest)
			break
		}
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d %s", p.n, p.name)
	}
	if d := to.Flood - from.Flood; d > 0 {
		fmt.Fprintf(&b, "; %d flood records", d)
	}
	if d := to.Incident - from.Incident; d > 0 {
		fmt.Fprintf(&b, "; %d incidents", d)
	}
	return b.String()
}

// sameRecord reports whether an earth record is the packet record just before
// it, sent again with its countries' points (same flag and description).
func sameRecord(pkt, earth *event.Event) bool {
	return pkt.Kind == event.KindPacket && pkt.Flag == earth.Flag && pkt.Model == earth.Model && pkt.Desc == earth.Desc && pkt.Time.Equal(earth.Time)
}

// sourceCountries says where the window's geographic records came from:
// "from Brazil", or "from 12 countries, most from Brazil, China and Japan".
// Nothing when the agents send no PACKTEARTH.
func sourceCountries(rd *reader, from, to uint64) string {
	if to <= from {
		return ""
	}
	n := map[geo.Country]int{}
	rd.each(from, to, true, func(_ uint64, ev *event.Event) bool {
		if ev.Kind == event.KindEarth {
			if c := EarthCountry(ev, true); c != geo.Unknown && c != geo.Local {
				n[c]++
			}
		}
		return true
	})
	if len(n) == 0 {
		return ""
	}
	cs := make([]geo.Country, 0, len(n))
	for c := range n {
		cs = append(cs, c)
	}
	sort.Slice(cs, func(i, j int) bool {
		if n[cs[i]] != n[cs[j]] {
			return n[cs[i]] > n[cs[j]]
		}
		return cs[i].Name() < cs[j].Name()
	})
	if len(cs) == 1 {
		return "from " + cs[0].Name()
	}
	top := make([]string, 0, 3)
	for _, c := range cs[:min(3, len(cs))] {
		top = append(top, c.Name())
	}
	list := strings.Join(top[:len(top)-1], ", ") + " and " + top[len(top)-1]
	return fmt.Sprintf("from %d countries, most from %s", len(cs), list)
}
