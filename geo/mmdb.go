package geo

import (
	"fmt"
	"net/netip"

	"github.com/oschwald/maxminddb-golang/v2"
)

// mmdbRecord is the part of a MaxMind country or city record Packter reads:
// the country the address is in, or else the one its network is registered
// in (GeoLite2 leaves country empty for some satellite and anycast networks).
type mmdbRecord struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	Registered struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"registered_country"`
}

// ReadMMDB adds every network of a MaxMind-format database (GeoLite2 or
// GeoIP2 Country or City, DB-IP's, IPinfo's country files) to b. Walking the
// whole tree once at start (about a second for GeoLite2-Country) turns the
// database into the same range table as Tor's files, so lookups cost the
// same and allocate nothing whatever the source.
func (b *Builder) ReadMMDB(data []byte, name string) error {
	db, err := maxminddb.OpenBytes(data)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer db.Close()
	var rec mmdbRecord
	for res := range db.Networks() {
		if err := res.Err(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		rec = mmdbRecord{}
		if err := res.Decode(&rec); err != nil {
			return fmt.Errorf("%s: network %v: %w", name, res.Prefix(), err)
		}
		code := rec.Country.ISOCode
		if code == "" {
			code = rec.Registered.ISOCode
		}
		c, _ := ByCode(code)
		if c == Unknown {
			continue
		}
		p := res.Prefix()
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		if err := b.AddPrefix(p, c); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}
