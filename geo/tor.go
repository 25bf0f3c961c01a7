package geo

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
)

// ErrLine marks a line of a range file that cannot be read.
var ErrLine = errors.New("bad range line")

// ParseTorLine reads one line of Tor's country range files: IPv4 as
// "FROM,TO,CC" with FROM and TO decimal integers (geoip), IPv6 as
// "FROM,TO,CC" with address literals (geoip6). Blank lines and '#' comments
// give ok == false and no error. Codes that are no ISO country ("??", "EU",
// "AP") give Unknown. It never panics.
func ParseTorLine(line []byte) (from, to netip.Addr, c Country, ok bool, err error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] == '#' {
		return netip.Addr{}, netip.Addr{}, Unknown, false, nil
	}
	i := bytes.IndexByte(line, ',')
	if i < 0 {
		return netip.Addr{}, netip.Addr{}, Unknown, false, fmt.Errorf("%w: want FROM,TO,CC", ErrLine)
	}
	j := bytes.IndexByte(line[i+1:], ',')
	if j < 0 {
		return netip.Addr{}, netip.Addr{}, Unknown, false, fmt.Errorf("%w: want FROM,TO,CC", ErrLine)
	}
	j += i + 1
	f, t, cc := line[:i], line[i+1:j], bytes.TrimSpace(line[j+1:])
	if from, err = parseEnd(f); err != nil {
		return
	}
	if to, err = parseEnd(t); err != nil {
		return
	}
	// IPv4-mapped literals are IPv4, as Lookup treats them.
	from, to = from.Unmap(), to.Unmap()
	if from.Is4() != to.Is4() || to.Less(from) {
		return netip.Addr{}, netip.Addr{}, Unknown, false, fmt.Errorf("%w: range ends before it starts or mixes families", ErrLine)
	}
	if len(cc) != 2 {
		return netip.Addr{}, netip.Addr{}, Unknown, false, fmt.Errorf("%w: country code %q is not two letters", ErrLine, cc)
	}
	c, _ = ByCode(string(cc)) // no allocation: the conversion does not escape
	return from, to, c, true, nil
}

// parseEnd reads a decimal IPv4 number or an address literal.
func parseEnd(b []byte) (netip.Addr, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || len(b) > 64 {
		return netip.Addr{}, fmt.Errorf("%w: empty or overlong address", ErrLine)
	}
	if b[0] >= '0' && b[0] <= '9' && bytes.IndexAny(b, ".:") < 0 {
		n, err := strconv.ParseUint(string(b), 10, 32)
		if err != nil {
			return netip.Addr{}, fmt.Errorf("%w: %q is not an IPv4 number", ErrLine, b)
		}
		return addr4(uint32(n)), nil
	}
	a, err := netip.ParseAddr(string(b))
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("%w: %q is not an address", ErrLine, b)
	}
	return a, nil
}

// MaxLine bounds a range file's line: real ones are under 100 bytes.
const MaxLine = 4096

// ReadTor adds the ranges of one of Tor's files to b. name is used in errors,
// which give the line number.
func (b *Builder) ReadTor(r io.Reader, name string) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 256), MaxLine)
	for n := 1; sc.Scan(); n++ {
		from, to, c, ok, err := ParseTorLine(sc.Bytes())
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, n, err)
		}
		if !ok {
			continue
		}
		if err := b.Add(from, to, c); err != nil {
			return fmt.Errorf("%s:%d: %w", name, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
