// Package geo maps addresses to countries and countries to words and places,
// for PACKTER's geographic records (PACKTEARTH) and for alerts that say where
// a flood comes from.
//
// A DB is a sorted table of address ranges, each with a Country, read from
// Tor's country ranges (Debian's tor-geoipdb: /usr/share/tor/geoip and
// geoip6) or from a MaxMind-format .mmdb file; lookups are a binary search in
// a slice narrowed by a first-level index and allocate nothing.
//
// Every country has the name Packter says ("Japan") and, for PACKTEARTH, one
// representative point: the coordinates of a time zone's principal city from
// tzdata's zone.tab (see internal/gentable for the rule and countries.go for
// each figure's zone). A monitor maps coordinates back to the country whose
// point is nearest (Nearest): exact for Packter's agents, which send these
// points, and the country of the nearest zone city for PACKTER 3.0's agents,
// which may send a city's own coordinates.
package geo

import (
	"math"
	"net/netip"
	"strings"
)

// Country is a country, or Unknown or Local. The zero value is Unknown.
type Country uint16

const (
	// Unknown is an address no range covers, or a code that names no country.
	Unknown Country = 0
	// Local is a private, loopback, link-local, shared (CGNAT), multicast or
	// documentation address: somewhere on the user's side, not a country.
	Local Country = 1
	first Country = 2 // countries[0]
)

type country struct {
	code     string
	name     string
	lat, lon float64
	point    bool // zone.tab has a zone for it
}

func (c Country) entry() *country {
	if c < first || int(c-first) >= len(countries) {
		return nil
	}
	return &countries[c-first]
}

// IsCountry reports whether c is a real country (not Unknown or Local).
func (c Country) IsCountry() bool { return c.entry() != nil }

// Code is the ISO 3166-1 alpha-2 code ("JP"), "" for Unknown and Local.
func (c Country) Code() string {
	if e := c.entry(); e != nil {
		return e.code
	}
	return ""
}

// Name is the country's name in English as Packter says it ("Japan",
// "South Korea"); "local network" and "an unknown country" otherwise.
func (c Country) Name() string {
	switch e := c.entry(); {
	case e != nil:
		return e.name
	case c == Local:
		return "the local network"
	}
	return "an unknown country"
}

func (c Country) String() string {
	if e := c.entry(); e != nil {
		return e.code
	}
	if c == Local {
		return "local"
	}
	return "unknown"
}

// Point is the country's representative point in degrees; ok is false for
// Unknown, Local, and the few countries zone.tab has no zone for.
func (c Country) Point() (lat, lon float64, ok bool) {
	if e := c.entry(); e != nil && e.point {
		return e.lat, e.lon, true
	}
	return 0, 0, false
}

// NumCountries is the number of Country values, Unknown and Local included:
// a [NumCountries]T array indexed by Country holds one T per country.
const NumCountries = len(countries) + int(first)

// codeIndex maps "JP" to its Country. It is filled once at init from the
// generated table and never changed.
var codeIndex = func() map[string]Country {
	m := make(map[string]Country, len(countries)+1)
	for i := range countries {
		m[countries[i].code] = first + Country(i)
	}
	return m
}()

// aliases are codes in use that ISO 3166-1 does not assign: Tor's and
// registries' UK for GB.
var aliases = map[string]string{"UK": "GB"}

// ByCode finds a country by its two-letter code, in either case.
func ByCode(code string) (Country, bool) {
	if len(code) != 2 {
		return Unknown, false
	}
	var b [2]byte
	for i := 0; i < 2; i++ {
		c := code[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		b[i] = c
	}
	s := string(b[:]) // does not escape: the map lookup copies nothing
	if a, ok := aliases[s]; ok {
		s = a
	}
	c, ok := codeIndex[s]
	return c, ok
}

// Find reads a country the way a person types it: a code ("jp"), its name
// ("japan", "south korea", "united-states") in any case, or "local".
func Find(s string) (Country, bool) {
	s = strings.TrimSpace(s)
	if c, ok := ByCode(s); ok {
		return c, true
	}
	norm := func(r rune) rune {
		if r == '-' || r == '_' {
			return ' '
		}
		return r
	}
	s = strings.Map(norm, s)
	if strings.EqualFold(s, "local") {
		return Local, true
	}
	for i := range countries {
		if strings.EqualFold(countries[i].name, s) {
			return first + Country(i), true
		}
	}
	return Unknown, false
}

// IsLocal reports whether a is on the user's side rather than in a country:
// private (RFC 1918, fc00::/7), loopback, link-local, unspecified, multicast,
// shared address space (100.64.0.0/10) or documentation ranges (192.0.2.0/24,
// 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32).
func IsLocal(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsUnspecified() ||
		a.IsMulticast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() {
		return true
	}
	if a.Is4() {
		b := a.As4()
		switch {
		case b[0] == 100 && b[1]&0xc0 == 64, // 100.64.0.0/10
			b[0] == 192 && b[1] == 0 && b[2] == 2,
			b[0] == 198 && b[1] == 51 && b[2] == 100,
			b[0] == 203 && b[1] == 0 && b[2] == 113,
			b[0] == 0, b[0] >= 240:
			return true
		}
		return false
	}
	b := a.As16()
	return b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8
}

// Nearest is the country whose representative point is nearest to (lat,
// lon) on the sphere: how a monitor reads a PACKTEARTH end. ok is false for
// coordinates that are not numbers in range.
func Nearest(lat, lon float64) (Country, bool) {
	if !(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) {
		return Unknown, false
	}
	if c, ok := exact[[2]float64{lat, lon}]; ok {
		return c, true
	}
	x, y, z := unit(lat, lon)
	best, bestDot := Unknown, -2.0
	for i := range units {
		u := &units[i]
		if d := u.x*x + u.y*y + u.z*z; d > bestDot {
			best, bestDot = u.c, d
		}
	}
	return best, best != Unknown
}

type unitPoint struct {
	x, y, z float64
	c       Country
}

// units and exact are the points of countries, computed once at init from
// the generated table and never changed.
var units, exact = func() ([]unitPoint, map[[2]float64]Country) {
	var us []unitPoint
	ex := map[[2]float64]Country{}
	for i := range countries {
		e := &countries[i]
		if !e.point {
			continue
		}
		c := first + Country(i)
		x, y, z := unit(e.lat, e.lon)
		us = append(us, unitPoint{x, y, z, c})
		if _, dup := ex[[2]float64{e.lat, e.lon}]; !dup {
			ex[[2]float64{e.lat, e.lon}] = c
		}
	}
	return us, ex
}()

func unit(lat, lon float64) (x, y, z float64) {
	φ, λ := lat*math.Pi/180, lon*math.Pi/180
	return math.Cos(φ) * math.Cos(λ), math.Cos(φ) * math.Sin(λ), math.Sin(φ)
}
