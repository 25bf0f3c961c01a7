package geo

import (
	"math/rand/v2"
	"net/netip"
	"os"
	"testing"
)

// benchDB is the real tor-geoipdb when installed (385,000 IPv4 ranges), else
// a synthetic table of the same size, so the figure means the same thing.
func benchDB(b *testing.B) *DB {
	b.Helper()
	if _, err := os.Stat(TorIPv4); err == nil {
		db, err := Open(TorIPv4)
		if err != nil {
			b.Fatal(err)
		}
		return db
	}
	var bl Builder
	r := rand.New(rand.NewPCG(3, 4))
	x := uint32(1 << 24)
	for i := 0; i < 385000; i++ {
		n := uint32(r.IntN(20000)) + 1
		_ = bl.Add(addr4(x), addr4(x+n-1), first+Country(i%200))
		x += n + uint32(r.IntN(4000))
	}
	db, err := bl.Build()
	if err != nil {
		b.Fatal(err)
	}
	return db
}

// BenchmarkLookupIPv4: random public addresses, so the index and the search
// miss the cache as a live capture's varied sources do.
func BenchmarkLookupIPv4(b *testing.B) {
	db := benchDB(b)
	r := rand.New(rand.NewPCG(5, 6))
	addrs := make([]netip.Addr, 4096)
	for i := range addrs {
		addrs[i] = addr4(uint32(r.Uint64N(0xdf000000-0x01000000)) + 0x01000000)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var sink Country
	for i := 0; i < b.N; i++ {
		sink += db.Lookup(addrs[i&4095])
	}
	_ = sink
}

func BenchmarkLookupIPv6(b *testing.B) {
	db := testDB(b)
	a := netip.MustParseAddr("2a00:1450:4001:82a::200e")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = db.Lookup(a)
	}
}

func BenchmarkNearest(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_, _ = Nearest(35.68, 139.69+float64(i&7)*0.01)
	}
}
