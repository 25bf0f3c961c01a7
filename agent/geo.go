package agent

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/packter/packter/detect"
	"github.com/packter/packter/geo"
	"github.com/packter/packter/protocol"
)

// GeoConfig is --geoip: countries for addresses. With it the agent sends a
// PACKTEARTH record beside every record it sends, as PACKTER 3.0's agents do
// (each end at its country's representative point, docs/protocol.md,
// PACKTEARTH), and flood alerts say where the target is and where the flood
// comes from.
type GeoConfig struct {
	// Spec is --geoip: "auto" (Debian's tor-geoipdb) or database paths,
	// comma-separated (Tor range files or .mmdb).
	Spec string
	// Home is --geoip-home CC: the country local addresses (private,
	// documentation, ...) are drawn in. Without it a record with a local end
	// gets no PACKTEARTH record: there is no place to draw that end.
	Home string
	// DB, when set, is used instead of opening Spec (tests, the demo).
	DB *geo.DB
}

func (g *GeoConfig) enabled() bool { return g.Spec != "" || g.DB != nil }

func (g *GeoConfig) validate() error {
	if g.Home == "" {
		return nil
	}
	if !g.enabled() {
		return usageErr("--geoip-home needs --geoip")
	}
	c, ok := geo.ByCode(g.Home)
	if !ok {
		return usageErr("--geoip-home %q is not a two-letter country code (JP, DE, …)", g.Home)
	}
	if _, _, ok := c.Point(); !ok {
		return usageErr("--geoip-home %s has no point to draw at", g.Home)
	}
	return nil
}

// openGeo opens the configured database; nil when --geoip is off.
func openGeo(cfg *Config) (*geo.DB, error) {
	g := &cfg.Geo
	if g.DB != nil || g.Spec == "" {
		return g.DB, nil
	}
	t := time.Now()
	db, err := geo.Open(g.Spec)
	if err != nil {
		return nil, fmt.Errorf("--geoip: %w", err)
	}
	v4, v6 := db.Len()
	cfg.Logger.Info("country database loaded", "ranges4", v4, "ranges6", v6, "took", time.Since(t).Round(time.Millisecond).String())
	return db, nil
}

// earthOut sends a PACKTEARTH record after every record that goes out: one
// datagram each, or with -B gathered into bulk PACKTEARTH datagrams of at
// most the bulk size, sent when the window has passed (judged as each record
// arrives) and at flush. Its lookups also feed the alert words (places).
type earthOut struct {
	output
	db     *geo.DB
	home   geo.Country // Unknown: local ends are not drawn
	window time.Duration
	max    int
	now    func() time.Time
	buf    []byte   // the pending datagram, header included
	tail   []byte   // one line's FLAG,DESCRIPTION being formatted
	line   []byte   // a line carried over to the next bulk datagram
	coords [][]byte // by country (coordText)
	lines  int
	first  time.Time
	rec    protocol.EarthRecord
	places *places
}

func withGeo(cfg *Config, out output, db *geo.DB) output {
	if db == nil {
		return out
	}
	home, _ := geo.ByCode(cfg.Geo.Home)
	max := cfg.Output.BulkMax
	if cfg.Auth.AgentID != "" {
		max -= len("PACKTERAGENT ,1234567890,\n") + len(cfg.Auth.AgentID) + 64 // as protocol.Sender counts it
	}
	return &earthOut{output: out, db: db, home: home, window: cfg.Output.Bulk, max: max, now: cfg.Now,
		buf: make([]byte, 0, cfg.Output.BulkMax), coords: coordText(), places: newPlaces(db)}
}

const earthHeader = "PACKTEARTH\n"

// zeroCoords is how AppendEarth writes four zero coordinates: what precedes
// a line's FLAG,DESCRIPTION when it is formatted with none.
const zeroCoords = "0,0,0,0,"

func (o *earthOut) record(ts time.Time, rec *protocol.Record) error {
	if err := o.output.record(ts, rec); err != nil {
		return err
	}
	src, dst := o.place(rec.Src), o.place(rec.Dst)
	if o.coords[src] == nil || o.coords[dst] == nil {
		return nil
	}
	// The line is AppendEarth's, byte for byte: each end's "LAT,LON," text
	// made once per country (formatting four floats costs more than all
	// the rest), then FLAG,DESCRIPTION as AppendEarth writes them.
	e := &o.rec
	e.Flag, e.Model, e.Desc = rec.Flag, rec.Model, rec.Desc
	o.tail = protocol.AppendEarth(o.tail[:0], *e)
	tail := o.tail[len(earthHeader)+len(zeroCoords):]
	mark := len(o.buf)
	if mark == 0 {
		o.buf = append(o.buf, earthHeader...)
		mark = len(o.buf)
	}
	o.buf = append(append(append(o.buf, o.coords[src]...), o.coords[dst]...), tail...)
	o.lines++
	if o.window <= 0 {
		return o.send()
	}
	if len(o.buf) > o.max && o.lines > 1 {
		line := append(o.line[:0], o.buf[mark:]...)
		o.line = line
		o.buf, o.lines = o.buf[:mark], o.lines-1
		if err := o.send(); err != nil {
			return err
		}
		o.buf = append(append(o.buf, earthHeader...), line...)
		o.lines = 1
	}
	now := o.now()
	if o.lines == 1 {
		o.first = now
	}
	if now.Sub(o.first) >= o.window {
		return o.send()
	}
	return nil
}

// place is the country an address is drawn in: home for local addresses
// when configured; Unknown for a decimal position, which is no address.
func (o *earthOut) place(a protocol.Addr) geo.Country {
	if !a.IP.IsValid() {
		return geo.Unknown
	}
	c := o.db.Lookup(a.IP)
	if c == geo.Local {
		c = o.home
	}
	return c
}

// coordText is every country's "LAT,LON," as AppendEarth writes it; nil for
// Unknown, Local and countries without a point.
func coordText() [][]byte {
	t := make([][]byte, geo.NumCountries)
	for c := range t {
		if lat, lon, ok := geo.Country(c).Point(); ok {
			b := strconv.AppendFloat(nil, lat, 'f', -1, 64)
			b = append(b, ',')
			b = strconv.AppendFloat(b, lon, 'f', -1, 64)
			t[c] = append(b, ',')
		}
	}
	return t
}

func (o *earthOut) send() error {
	if o.lines == 0 {
		return nil
	}
	err := o.output.datagram(o.buf)
	o.buf, o.lines = o.buf[:0], 0
	return err
}

func (o *earthOut) flush() error {
	if err := o.send(); err != nil {
		return err
	}
	return o.output.flush()
}

func (o *earthOut) close() error {
	err := o.send()
	if cerr := o.output.close(); err == nil {
		err = cerr
	}
	return err
}

// places is detect.Places for the agent's detector: the target's country,
// and where each kind of packet has been coming from lately. Counts halve
// whenever a kind reaches tallyHalf packets, so they follow the last few
// thousand packets of the kind (a detection window is 500 by default): in a
// flood, its own.
type places struct {
	db    *geo.DB
	count [detect.PPS + 1][geo.NumCountries]uint32
	total [detect.PPS + 1]uint32
}

const tallyHalf = 4096

func newPlaces(db *geo.DB) *places { return &places{db: db} }

// observe counts one packet's source toward the kinds it counts as. It
// allocates nothing.
func (p *places) observe(src netip.Addr, m detect.Mask) {
	c := p.db.Lookup(src)
	m |= 1 << detect.PPS
	for k := detect.SYN; k <= detect.PPS; k++ {
		if !m.Has(k) {
			continue
		}
		p.count[k][c]++
		if p.total[k]++; p.total[k] >= tallyHalf {
			p.total[k] = 0
			for i := range p.count[k] {
				p.count[k][i] /= 2
				p.total[k] += p.count[k][i]
			}
		}
	}
}

// In implements detect.Places.
func (p *places) In(a netip.Addr) string {
	if c := p.db.Lookup(a); c.IsCountry() {
		return c.Name()
	}
	return ""
}

// From implements detect.Places: "Brazil" when one country (or the local
// network) sent at least half of the kind's recent packets, else "12
// countries, most from Brazil, China and India"; "" when no source was placed.
func (p *places) From(k detect.Kind) string {
	if k < detect.SYN || k > detect.PPS {
		return ""
	}
	cs := &p.count[k]
	var top [3]geo.Country
	var placed uint32
	n := 0
	for i := range cs {
		c := geo.Country(i)
		if cs[i] == 0 || c == geo.Unknown {
			continue
		}
		placed += cs[i]
		n++
		for j := range top {
			if top[j] == geo.Unknown || cs[i] > cs[top[j]] {
				copy(top[j+1:], top[j:len(top)-1])
				top[j] = c
				break
			}
		}
	}
	switch {
	case n == 0:
		return ""
	case 2*cs[top[0]] >= placed:
		return top[0].Name()
	}
	names := make([]string, 0, 3)
	for _, c := range top {
		if c != geo.Unknown {
			names = append(names, c.Name())
		}
	}
	last := len(names) - 1
	list := strings.Join(names[:last], ", ") + " and " + names[last]
	return strconv.Itoa(n) + " countries, most from " + list
}

// usePlaces gives the detector the words for places when --geoip is on.
func usePlaces(d detect.Detector, out output) *places {
	o, ok := out.(*earthOut)
	if !ok || d == nil {
		return nil
	}
	if !detect.SetPlaces(d, o.places) {
		return nil
	}
	return o.places
}
