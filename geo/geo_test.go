package geo

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"os"
	"strings"
	"testing"
)

func testDB(t testing.TB) *DB {
	t.Helper()
	db, err := Open("testdata/ranges4.txt,testdata/ranges6.txt")
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestLookup(t *testing.T) {
	db := testDB(t)
	for _, tc := range []struct{ addr, want string }{
		{"1.0.0.0", "JP"}, {"1.0.0.255", "JP"},
		{"1.0.1.0", "DE"}, {"1.0.7.255", "DE"}, // two touching ranges, merged
		{"1.0.8.0", "unknown"},
		{"5.128.0.1", "BR"},
		{"8.8.8.8", "US"}, {"8.8.7.255", "unknown"}, {"8.8.9.0", "unknown"},
		{"100.63.255.255", "GB"}, {"100.64.0.1", "local"}, // shared address space
		{"200.1.2.3", "unknown"},  // "??" in the file
		{"203.0.113.9", "local"},  // documentation beats the file
		{"210.1.1.1", "GB"},       // UK alias
		{"223.255.255.255", "NZ"}, // the top of a /16 and the table
		{"10.1.2.3", "local"}, {"192.168.0.1", "local"}, {"127.0.0.1", "local"}, {"169.254.1.1", "local"},
		{"224.0.0.1", "local"}, {"0.0.0.0", "local"}, {"255.255.255.255", "local"},
		{"::ffff:1.0.0.7", "JP"}, // IPv4-mapped: looked up as IPv4
		{"2001:200::1", "JP"}, {"2001:200:ffff:ffff:ffff:ffff:ffff:ffff", "JP"}, {"2001:201::", "unknown"},
		{"2a00:1450::1", "DE"}, {"2800::", "BR"},
		{"2001:db8::7", "local"}, {"fe80::1", "local"}, {"fd00::1", "local"}, {"::1", "local"}, {"ff02::1", "local"},
		{"2c0f::1", "unknown"},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			if got := db.Lookup(netip.MustParseAddr(tc.addr)).String(); got != tc.want {
				t.Errorf("Lookup(%s) = %s, want %s", tc.addr, got, tc.want)
			}
		})
	}
	if v4, v6 := db.Len(); v4 != 8 || v6 != 4 {
		t.Errorf("Len = %d, %d; want 8 IPv4 ranges (one merge, ?? dropped) and 4 IPv6", v4, v6)
	}
}

// TestLookupAgainstScan checks the indexed search against a plain scan over
// random tables, with ranges crowded into few /16s and spread over many.
func TestLookupAgainstScan(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 20; round++ {
		var b Builder
		type rg struct {
			s, e uint32
			c    Country
		}
		var rs []rg
		// At most a few thousand ranges: small spans crowd into a few /16s,
		// large ones spread over the whole space.
		next := uint32(r.IntN(1 << 20))
		span := uint32(1) << (4 + r.IntN(20))
		for next < 0xdf000000 && len(rs) < 3000 {
			e := next + uint32(r.Uint64N(uint64(span)))
			c := first + Country(r.IntN(5))
			rs = append(rs, rg{next, e, c})
			if err := b.Add(addr4(next), addr4(e), c); err != nil {
				t.Fatal(err)
			}
			next = e + 1 + uint32(r.Uint64N(uint64(span)))
			if next < e {
				break
			}
		}
		db, err := b.Build()
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 20000; i++ {
			x := uint32(r.Uint64N(0xdf000000))
			if i%2 == 0 && len(rs) > 0 { // on a boundary, half the time
				g := rs[r.IntN(len(rs))]
				x = [4]uint32{g.s, g.e, g.s - 1, g.e + 1}[r.IntN(4)]
			}
			a := addr4(x)
			want := Unknown
			for _, g := range rs {
				if g.s <= x && x <= g.e {
					want = g.c
				}
			}
			if IsLocal(a) {
				want = Local
			}
			if got := db.Lookup(a); got != want {
				t.Fatalf("round %d: Lookup(%v) = %v, want %v", round, a, got, want)
			}
		}
	}
}

func TestBuildOverlap(t *testing.T) {
	jp, _ := ByCode("JP")
	de, _ := ByCode("DE")
	var b Builder
	_ = b.AddPrefix(netip.MustParsePrefix("1.0.0.0/16"), jp)
	_ = b.AddPrefix(netip.MustParsePrefix("1.0.128.0/24"), de)
	if _, err := b.Build(); !errors.Is(err, ErrOverlap) {
		t.Fatalf("overlap of two countries: err = %v, want ErrOverlap", err)
	}
	var ok Builder
	_ = ok.AddPrefix(netip.MustParsePrefix("1.0.0.0/16"), jp)
	_ = ok.AddPrefix(netip.MustParsePrefix("1.0.128.0/24"), jp)
	db, err := ok.Build()
	if err != nil || db.Lookup(netip.MustParseAddr("1.0.255.255")) != jp {
		t.Fatalf("nested ranges of one country: %v", err)
	}
	if err := ok.Add(netip.MustParseAddr("1.0.0.9"), netip.MustParseAddr("1.0.0.1"), jp); err == nil {
		t.Error("a backward range was accepted")
	}
	if err := ok.Add(netip.MustParseAddr("1.0.0.9"), netip.MustParseAddr("::1"), jp); err == nil {
		t.Error("a range mixing families was accepted")
	}
}

func TestParseTorLine(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		ok         bool
		err        bool
		want       string
	}{
		{"ipv4", "16777216,16777471,AU", true, false, "1.0.0.0-1.0.0.255 AU"},
		{"ipv6", "2001:2::,2001:2:0:ffff:ffff:ffff:ffff:ffff,JP", true, false, "2001:2::-2001:2:0:ffff:ffff:ffff:ffff:ffff JP"},
		{"crlf", "16777216,16777471,AU\r", true, false, "1.0.0.0-1.0.0.255 AU"},
		{"comment", "# IPFire", false, false, ""},
		{"blank", "   ", false, false, ""},
		{"unknown code", "1,2,??", true, false, "0.0.0.1-0.0.0.2 unknown"},
		{"two fields", "1,2", false, true, ""},
		{"backward", "5,2,JP", false, true, ""},
		{"families", "1,::1,JP", false, true, ""},
		{"over 32 bits", "4294967296,4294967297,JP", false, true, ""},
		{"long code", "1,2,JPN", false, true, ""},
		{"zone", "fe80::1%eth0,fe80::2,JP", false, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from, to, c, ok, err := ParseTorLine([]byte(tc.line))
			if (err != nil) != tc.err || ok != tc.ok {
				t.Fatalf("ok=%v err=%v, want ok=%v err=%v", ok, err, tc.ok, tc.err)
			}
			if err != nil && !errors.Is(err, ErrLine) {
				t.Errorf("error %v does not wrap ErrLine", err)
			}
			if ok {
				if got := from.String() + "-" + to.String() + " " + c.String(); got != tc.want {
					t.Errorf("got %s, want %s", got, tc.want)
				}
			}
		})
	}
}

func TestCountries(t *testing.T) {
	for _, tc := range []struct{ in, code, name string }{
		{"JP", "JP", "Japan"}, {"jp", "JP", "Japan"}, {"japan", "JP", "Japan"},
		{"south korea", "KR", "South Korea"}, {"United-States", "US", "United States"},
		{"uk", "GB", "United Kingdom"}, {"russia", "RU", "Russia"}, {"de", "DE", "Germany"},
	} {
		c, ok := Find(tc.in)
		if !ok || c.Code() != tc.code || c.Name() != tc.name {
			t.Errorf("Find(%q) = %v %q %v, want %s %q", tc.in, c, c.Name(), ok, tc.code, tc.name)
		}
	}
	if c, ok := Find("local"); !ok || c != Local {
		t.Errorf("Find(local) = %v %v", c, ok)
	}
	for _, bad := range []string{"", "XX", "atlantis", "j"} {
		if c, ok := Find(bad); ok {
			t.Errorf("Find(%q) = %v, want not found", bad, c)
		}
	}
	if Unknown.Name() != "an unknown country" || Local.Name() != "the local network" || Country(60000).Code() != "" {
		t.Error("names of non-countries")
	}
}

func TestNearest(t *testing.T) {
	// Every representative point reads back as its own country.
	n := 0
	for i := range countries {
		c := first + Country(i)
		lat, lon, ok := c.Point()
		if !ok {
			continue
		}
		n++
		if got, _ := Nearest(lat, lon); got != c {
			t.Errorf("Nearest(point of %s) = %s", c, got)
		}
	}
	if n < 240 {
		t.Errorf("only %d countries have points", n)
	}
	// Other coordinates, as PACKTER 3.0's agents may send them: city
	// centres near, not at, the zone cities.
	for _, tc := range []struct {
		lat, lon float64
		want     string
	}{
		{35.68, 139.69, "JP"}, // Tokyo station
		{52.52, 13.40, "DE"},  // Berlin Mitte
		{-22.9, -43.2, "BR"},  // Rio de Janeiro
		{48.86, 2.35, "FR"},   // Paris
		{-36.85, 174.76, "NZ"},
	} {
		if got, ok := Nearest(tc.lat, tc.lon); !ok || got.Code() != tc.want {
			t.Errorf("Nearest(%v, %v) = %v, want %s", tc.lat, tc.lon, got, tc.want)
		}
	}
	for _, bad := range [][2]float64{{91, 0}, {0, 181}, {0, 0x7ff8000000000001}} {
		if _, ok := Nearest(bad[0], bad[1]); ok {
			t.Errorf("Nearest(%v) accepted", bad)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open("testdata/missing.txt"); err == nil || !strings.Contains(err.Error(), "testdata/missing.txt") {
		t.Errorf("missing file: %v", err)
	}
	bad := t.TempDir() + "/bad.txt"
	if err := os.WriteFile(bad, []byte("# ok\n1,2,JP\nnonsense\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(bad); err == nil || !strings.Contains(err.Error(), ":3:") {
		t.Errorf("bad line: %v, want the line number", err)
	}
	if _, err := Open(" , "); err == nil {
		t.Error("an empty spec was accepted")
	}
}

// TestDebianTor reads the real tor-geoipdb when it is installed.
func TestDebianTor(t *testing.T) {
	if _, err := os.Stat(TorIPv4); err != nil {
		t.Skip("tor-geoipdb is not installed (apt install tor-geoipdb)")
	}
	if testing.Short() {
		t.Skip("reads 25 MB")
	}
	db, err := Open("auto")
	if err != nil {
		t.Fatal(err)
	}
	v4, v6 := db.Len()
	if v4 < 100000 || v6 < 50000 {
		t.Errorf("only %d IPv4 and %d IPv6 ranges", v4, v6)
	}
	// Every line of the file must read back as its own country, at both ends.
	data, err := os.ReadFile(TorIPv4)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, line := range strings.Split(string(data), "\n") {
		from, to, c, ok, err := ParseTorLine([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		if !ok || IsLocal(from) || IsLocal(to) {
			continue
		}
		if got := db.Lookup(from); got != c {
			t.Fatalf("%s: Lookup(%v) = %v", line, from, got)
		}
		if got := db.Lookup(to); got != c {
			t.Fatalf("%s: Lookup(%v) = %v", line, to, got)
		}
		checked++
	}
	if checked < 100000 {
		t.Errorf("only %d lines checked", checked)
	}
	if got := db.Lookup(netip.MustParseAddr("8.8.8.8")); got.Code() != "US" {
		t.Errorf("8.8.8.8 is in %v", got)
	}
}
