package geo

import (
	"bytes"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// writeMMDB makes a small GeoLite2-shaped country database in a temporary file.
func writeMMDB(t *testing.T) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "Packter-Test-Country", RecordSize: 24, IncludeReservedNetworks: true})
	if err != nil {
		t.Fatal(err)
	}
	country := func(field, code string) mmdbtype.Map {
		return mmdbtype.Map{mmdbtype.String(field): mmdbtype.Map{"iso_code": mmdbtype.String(code)}}
	}
	for _, n := range []struct {
		cidr string
		rec  mmdbtype.Map
	}{
		{"1.0.0.0/24", country("country", "JP")},
		{"5.0.0.0/8", country("country", "BR")},
		{"81.2.69.0/24", country("registered_country", "GB")}, // no country: the registered one
		{"2a00::/16", country("country", "DE")},
		{"9.9.9.0/24", mmdbtype.Map{"continent": mmdbtype.Map{"code": mmdbtype.String("EU")}}}, // no country at all
	} {
		_, ipn, err := net.ParseCIDR(n.cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(ipn, n.rec); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := tree.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "test.mmdb")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMMDB(t *testing.T) {
	db, err := Open(writeMMDB(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ addr, want string }{
		{"1.0.0.1", "JP"}, {"1.0.1.0", "unknown"}, {"5.6.7.8", "BR"}, {"81.2.69.160", "GB"},
		{"9.9.9.9", "unknown"}, {"2a00:1450::1", "DE"}, {"::ffff:5.1.1.1", "BR"}, {"10.0.0.1", "local"},
	} {
		if got := db.Lookup(netip.MustParseAddr(tc.addr)).String(); got != tc.want {
			t.Errorf("Lookup(%s) = %s, want %s", tc.addr, got, tc.want)
		}
	}
}

func TestMMDBCorrupt(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.mmdb")
	// The metadata marker with nothing valid around it.
	if err := os.WriteFile(p, append([]byte("junk"), mmdbMagic...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(p); err == nil {
		t.Fatal("a corrupt .mmdb was accepted")
	}
}

// FuzzReadMMDB: a database of any bytes is refused or read, never a panic
// (maxminddb's reader checks its offsets; this checks our walk over it).
func FuzzReadMMDB(f *testing.F) {
	f.Add(append([]byte("junk"), mmdbMagic...)) // the marker and nothing valid
	f.Fuzz(func(t *testing.T, data []byte) {
		var b Builder
		if err := b.ReadMMDB(data, "fuzz"); err != nil {
			return
		}
		if db, err := b.Build(); err == nil {
			_ = db.Lookup(netip.MustParseAddr("1.0.0.1"))
		}
	})
}
