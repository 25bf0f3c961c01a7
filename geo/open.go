package geo

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/packter/packter/internal/safefile"
)

// Debian's tor-geoipdb files, which "auto" reads.
const (
	TorIPv4 = "/usr/share/tor/geoip"
	TorIPv6 = "/usr/share/tor/geoip6"
)

// MaxFile bounds a database file: GeoLite2-City is about 60 MB, Tor's IPv6
// file 16 MB.
const MaxFile = 512 << 20

// ErrNoDatabase is returned by Open("auto") when tor-geoipdb is not installed.
var ErrNoDatabase = errors.New("no country database: install Debian's tor-geoipdb (apt install tor-geoipdb) or give a .mmdb file")

// mmdbMagic opens a MaxMind database's metadata section, near its end.
var mmdbMagic = []byte("\xab\xcd\xefMaxMind.com")

// Open reads the databases named by spec: "auto" (Tor's IPv4 and IPv6 files
// from tor-geoipdb), or one or more comma-separated paths, each a .mmdb file
// or one of Tor's range files (told apart by content, not by name).
func Open(spec string) (*DB, error) {
	var paths []string
	for _, p := range strings.Split(spec, ",") {
		if p = strings.TrimSpace(p); p == "auto" {
			if _, err := os.Stat(TorIPv4); err != nil {
				return nil, ErrNoDatabase
			}
			paths = append(paths, TorIPv4)
			if _, err := os.Stat(TorIPv6); err == nil {
				paths = append(paths, TorIPv6)
			}
		} else if p != "" {
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 {
		return nil, errors.New("--geoip: give auto or a database path")
	}
	var b Builder
	for _, p := range paths {
		data, err := safefile.ReadFile(p, MaxFile)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, fmt.Errorf("country database %s: %w", p, err)
		}
		if bytes.Contains(data[max(0, len(data)-128<<10):], mmdbMagic) {
			err = b.ReadMMDB(data, p)
		} else {
			err = b.ReadTor(bytes.NewReader(data), p)
		}
		if err != nil {
			return nil, fmt.Errorf("country database %w", err)
		}
	}
	db, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("country database %s: %w", spec, err)
	}
	return db, nil
}
