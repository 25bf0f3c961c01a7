package geo

import (
	"bytes"
	"testing"
)

// FuzzParseTorLine: a range line never panics, and a line it accepts is a
// forward range of one family.
func FuzzParseTorLine(f *testing.F) {
	for _, s := range []string{
		"16777216,16777471,AU",                          // IPv4 as Tor writes it
		"2001:2::,2001:2:0:ffff:ffff:ffff:ffff:ffff,JP", // IPv6 as Tor writes it
		"# comment",                        // skipped
		"1,2",                              // too few fields
		"4294967295,4294967295,ZZ",         // the last address
		"::ffff:1.2.3.4,::ffff:1.2.3.5,DE", // mapped IPv4 literals
		"fe80::1%eth0,fe80::2,JP",          // a zone
		"1,2,J\xff",                        // a byte that is no letter
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		from, to, c, ok, err := ParseTorLine(line)
		if err != nil && ok {
			t.Fatal("ok with an error")
		}
		if !ok {
			return
		}
		if from.Is4() != to.Is4() || to.Less(from) {
			t.Fatalf("accepted %v-%v", from, to)
		}
		_ = c.Name()
		var b Builder
		if err := b.Add(from, to, c); err != nil {
			t.Fatalf("accepted line refused by Add: %v", err)
		}
		if _, err := b.Build(); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzReadTor: a whole file of any bytes never panics the reader or Build,
// and what builds answers lookups.
func FuzzReadTor(f *testing.F) {
	f.Add([]byte("16777216,16777471,AU\n16777472,16778239,CN\n"))
	f.Add([]byte("1,5,JP\n3,9,DE\n")) // overlapping countries
	f.Add([]byte("1,5,JP\n3,9,JP\n")) // overlapping, one country: merged
	f.Fuzz(func(t *testing.T, data []byte) {
		var b Builder
		if err := b.ReadTor(bytes.NewReader(data), "fuzz"); err != nil {
			return
		}
		db, err := b.Build()
		if err != nil {
			return
		}
		_ = db.Lookup(addr4(3))
	})
}
