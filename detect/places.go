package detect

import (
	"net/netip"
	"strings"
)

// Places names where addresses are, for an alert's words: the agent's
// --geoip gives one. Both return "" when they cannot say.
type Places interface {
	// In is the country addr is in: "Germany".
	In(addr netip.Addr) string
	// From says where kind k's recent packets came from: "Brazil" when most
	// came from one country, or "12 countries, most from Brazil, China and
	// India".
	From(k Kind) string
}

// SetPlaces makes d's alerts say where the target is and where the flood
// comes from ("SYN flood toward 192.0.2.7 in Germany, mostly from Brazil,
// …"). It reports false for a Detector of another package.
func SetPlaces(d Detector, p Places) bool {
	s, ok := d.(interface{ setPlaces(Places) })
	if ok {
		s.setPlaces(p)
	}
	return ok
}

func (b *base) setPlaces(p Places) { b.places = p }

// where is the alert's place words: " in Germany, mostly from Brazil", or
// less, or "" without Places.
func (b *base) where(target netip.Addr, k Kind) string {
	if b.places == nil {
		return ""
	}
	s := ""
	if in := b.places.In(target); in != "" {
		s = " in " + in
	}
	if from := b.places.From(k); from != "" {
		if strings.Contains(from, " countries, ") {
			s += ", from " + from
		} else {
			s += ", mostly from " + from
		}
	}
	return s
}
