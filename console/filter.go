package console

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/packter/packter/event"
	"github.com/packter/packter/geo"
)

// Filter selects packet events by protocol, flag, address, port or words of the
// description. Every term must match. The zero Filter matches every packet.
type Filter struct {
	text      string
	classes   uint16 // bit per flag class; 0 = any
	flood     bool
	incident  bool
	traceable bool
	prefixes  []netip.Prefix // either end
	from, to  []netip.Prefix // source, destination
	// Countries of earth records' ends (PACKTEARTH; packets carry none):
	// either end, source, destination.
	countries, fromCC, toCC []geo.Country
	ports                   []uint32
	words                   []string // lower case, matched in Desc
}

// keyword terms and the flag classes they stand for.
var classWords = map[string]uint16{
	"tcp":    1<<0 | 1<<1 | 1<<2 | 1<<5 | 1<<6 | 1<<7,
	"ack":    1<<0 | 1<<5,
	"syn":    1<<1 | 1<<6,
	"fin":    1<<2 | 1<<7,
	"rst":    1<<2 | 1<<7,
	"udp":    1<<3 | 1<<8,
	"icmp":   1<<4 | 1<<9,
	"ipv4":   0x1f,
	"v4":     0x1f,
	"ipv6":   0x3e0,
	"v6":     0x3e0,
	"icmpv6": 1 << 9,
	"tcp6":   1<<5 | 1<<6 | 1<<7,
	"udp6":   1 << 8,
	"icmp6":  1 << 9,
}

// ParseFilter reads filter terms: protocol and flag words (tcp, udp, icmp, syn,
// fin, rst, ack, ipv4, ipv6, flood, incident, traceable), flag:N, port:N or a
// bare number (either port), an address or prefix (either end; after "from"
// or "to", or as from:ADDR / to:ADDR, only that end), a country as cc:JP or
// country:japan (either end; from:JP, to:japan, "from japan", "to jp" for one
// end; spaces in names as '-': country:south-korea), anything else a word of
// the description. Countries match geographic records (PACKTEARTH) only.
func ParseFilter(s string) (Filter, error) {
	f := Filter{text: strings.TrimSpace(s)}
	fields := strings.Fields(strings.ToLower(s))
	for i := 0; i < len(fields); i++ {
		t := fields[i]
		// "from ADDR", "to ADDR": the word takes the address or country after it.
		if (t == "from" || t == "to") && i+1 < len(fields) && f.addPlace(t, fields[i+1]) {
			i++
			continue
		}
		if err := f.addTerm(t); err != nil {
			return Filter{}, err
		}
	}
	return f, nil
}

// addPlace adds an address, prefix or country for one end: "from" or "to".
func (f *Filter) addPlace(end, v string) bool {
	if p, ok := parsePrefix(v); ok {
		f.addEnd(end, p)
		return true
	}
	if c, ok := geo.Find(v); ok {
		f.addCountry(end, c)
		return true
	}
	return false
}

// addTerm adds one filter term.
func (f *Filter) addTerm(t string) error {
	if end, v, ok := cutEnd(t); ok {
		if !f.addPlace(end, v) {
			return fmt.Errorf("%q is not an address, prefix or country", v)
		}
		return nil
	}
	if v, ok := cutCountry(t); ok {
		c, ok := geo.Find(v)
		if !ok {
			return fmt.Errorf("%q is not a country (a two-letter code or a name, spaces as '-')", v)
		}
		f.addCountry("", c)
		return nil
	}
	if m, ok := classWords[t]; ok {
		f.addClasses(m)
		return nil
	}
	switch t {
	case "flood", "floods":
		f.flood = true
		return nil
	case "incident", "incidents", "ids":
		f.incident = true
		return nil
	case "traceable", "trace":
		f.traceable = true
		return nil
	}
	return f.addNumberOrWord(t)
}

// addNumberOrWord adds flag:N, port:N, a bare port, an address or prefix
// (either end), or else a word of the description.
func (f *Filter) addNumberOrWord(t string) error {
	if v, ok := cutTerm(t, "flag"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("flag %q is not a number", v)
		}
		f.addClasses(1 << (n % 10))
		return nil
	}
	if v, ok := cutTerm(t, "port"); ok {
		n, err := strconv.ParseUint(v, 10, 16)
		if err != nil {
			return fmt.Errorf("port %q is not a number from 0 to 65535", v)
		}
		f.ports = append(f.ports, uint32(n))
		return nil
	}
	if n, err := strconv.ParseUint(t, 10, 16); err == nil {
		f.ports = append(f.ports, uint32(n))
		return nil
	}
	if v, ok := cutTerm(t, "addr"); ok {
		t = v
	} else if v, ok := cutTerm(t, "host"); ok {
		t = v
	}
	if p, ok := parsePrefix(t); ok {
		f.prefixes = append(f.prefixes, p)
		return nil
	}
	f.words = append(f.words, t)
	return nil
}

func parsePrefix(t string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(t); err == nil {
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(t); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

// cutEnd reads from:ADDR, src:ADDR (the source) and to:ADDR, dst:ADDR.
func cutEnd(t string) (end, v string, ok bool) {
	for _, n := range [...]struct{ name, end string }{{"from", "from"}, {"src", "from"}, {"to", "to"}, {"dst", "to"}} {
		if v, ok := cutTerm(t, n.name); ok {
			return n.end, v, true
		}
	}
	return "", "", false
}

func (f *Filter) addEnd(end string, p netip.Prefix) {
	if end == "from" {
		f.from = append(f.from, p)
	} else {
		f.to = append(f.to, p)
	}
}

// cutCountry reads cc:CODE and country:NAME.
func cutCountry(t string) (string, bool) {
	if v, ok := cutTerm(t, "cc"); ok {
		return v, true
	}
	return cutTerm(t, "country")
}

func (f *Filter) addCountry(end string, c geo.Country) {
	switch end {
	case "from":
		f.fromCC = append(f.fromCC, c)
	case "to":
		f.toCC = append(f.toCC, c)
	default:
		f.countries = append(f.countries, c)
	}
}

// matchCountries checks the country terms: only earth records have places.
func (f *Filter) matchCountries(ev *event.Event) bool {
	if len(f.countries)+len(f.fromCC)+len(f.toCC) == 0 {
		return true
	}
	if ev.Kind != event.KindEarth {
		return false
	}
	src, dst := EarthCountry(ev, true), EarthCountry(ev, false)
	for _, c := range f.countries {
		if c != src && c != dst {
			return false
		}
	}
	for _, c := range f.fromCC {
		if c != src {
			return false
		}
	}
	for _, c := range f.toCC {
		if c != dst {
			return false
		}
	}
	return true
}

func cutTerm(t, name string) (string, bool) {
	if len(t) > len(name)+1 && strings.HasPrefix(t, name) && (t[len(name)] == ':' || t[len(name)] == '=') {
		return t[len(name)+1:], true
	}
	return "", false
}

// addClasses intersects: "tcp syn" means TCP SYN, "v6 udp" IPv6 UDP.
func (f *Filter) addClasses(m uint16) {
	if f.classes == 0 {
		f.classes = m
	} else {
		f.classes &= m
		if f.classes == 0 {
			f.classes = 1 << 15 // contradictory terms: match nothing
		}
	}
}

// String is the filter as the user typed it.
func (f Filter) String() string { return f.text }

// Empty reports whether the filter matches every packet.
func (f Filter) Empty() bool { return f.text == "" }

// Match reports whether the event is a packet (or geographic record) the
// filter selects. It allocates nothing.
func (f *Filter) Match(ev *event.Event) bool {
	if ev.Kind != event.KindPacket && ev.Kind != event.KindEarth {
		return false
	}
	if f.classes != 0 {
		c := ev.Class()
		if c < 0 || f.classes&(1<<c) == 0 {
			return false
		}
	}
	if f.flood && !ev.Flood() {
		return false
	}
	if f.incident && !ev.Incident() {
		return false
	}
	if f.traceable {
		if _, _, ok := ev.Traceable(); !ok {
			return false
		}
	}
	for _, p := range f.prefixes {
		if !p.Contains(ev.Src.IP) && !p.Contains(ev.Dst.IP) {
			return false
		}
	}
	for _, p := range f.from {
		if !p.Contains(ev.Src.IP) {
			return false
		}
	}
	for _, p := range f.to {
		if !p.Contains(ev.Dst.IP) {
			return false
		}
	}
	if !f.matchCountries(ev) {
		return false
	}
	for _, port := range f.ports {
		if portIs(ev.SPort.Value, ev.SPort.IsNorm, port) || portIs(ev.DPort.Value, ev.DPort.IsNorm, port) {
			continue
		}
		return false
	}
	for _, w := range f.words {
		if !containsFold(ev.Desc.String(), w) && !containsFold(ev.Model.String(), w) {
			return false
		}
	}
	return true
}

func portIs(v uint32, norm bool, want uint32) bool { return !norm && v == want }

// containsFold reports whether s contains the lower-case word w, ignoring
// ASCII case, without allocating.
func containsFold(s, w string) bool {
	n := len(w)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != w[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}
