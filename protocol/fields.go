package protocol

// Field parsers of record lines: addresses, ports, flags, numbers, lines.

import (
	"bytes"
	"math"
	"net/netip"
	"strconv"
	"unsafe"
)

func parseAddr(b []byte) (Addr, error) {
	b = trimSpace(b)
	if len(b) == 0 || len(b) > 64 {
		return Addr{}, ErrAddr
	}
	if ip, ok := parseIPv4(b); ok {
		return Addr{IP: ip}, nil
	}
	if bytes.IndexByte(b, ':') >= 0 {
		// The string aliases b only for the call: the error, which would keep
		// it, is dropped.
		ip, err := netip.ParseAddr(unsafeString(b))
		if err != nil {
			return Addr{}, ErrAddr
		}
		return Addr{IP: ip.WithZone("")}, nil
	}
	v, ok := parseFloat(b)
	if !ok || v < 0 || v >= 1 {
		return Addr{}, ErrAddr
	}
	return Addr{Norm: v}, nil
}

func parseIPv4(b []byte) (netip.Addr, bool) {
	if len(b) < 7 || len(b) > 15 {
		return netip.Addr{}, false
	}
	var out [4]byte
	part, n, digits := 0, 0, 0
	for _, c := range b {
		if c == '.' {
			if digits == 0 || part == 3 {
				return netip.Addr{}, false
			}
			out[part] = byte(n)
			part++
			n, digits = 0, 0
			continue
		}
		d := int(c) - '0'
		// Not a digit, a leading zero (ambiguous octal, refused as netip does),
		// or over 255.
		if d < 0 || d > 9 || (digits > 0 && n == 0) {
			return netip.Addr{}, false
		}
		n = n*10 + d
		digits++
		if n > 255 {
			return netip.Addr{}, false
		}
	}
	if digits == 0 || part != 3 {
		return netip.Addr{}, false
	}
	out[3] = byte(n)
	return netip.AddrFrom4(out), true
}

func parsePort(b []byte) (Port, error) {
	b = trimSpace(b)
	if len(b) == 0 {
		return Port{}, ErrPort
	}
	if v, ok := parseInt(b); ok { // the common case first
		if v < 0 || v > 65536 {
			return Port{}, ErrPort
		}
		return Port{Value: uint32(v)}, nil
	}
	if bytes.IndexByte(b, '.') >= 0 {
		v, ok := parseFloat(b)
		if !ok || v < 0 || v > 1 {
			return Port{}, ErrPort
		}
		return Port{Norm: v, IsNorm: true}, nil
	}
	return Port{}, ErrPort
}

// parseFlag reads FLAG: an integer, or a model file name.
func parseFlag(b []byte) (int, []byte, error) {
	b = trimSpace(b)
	if len(b) == 0 {
		return 0, nil, ErrFlag
	}
	if v, ok := parseInt(b); ok {
		if v < 0 || v > math.MaxInt32 {
			return 0, nil, ErrFlag
		}
		return v, nil, nil
	}
	if len(b) > MaxModel || !printable(b) || (b[0] >= '0' && b[0] <= '9') || b[0] == '-' {
		return 0, nil, ErrFlag
	}
	return 0, b, nil
}

// parseInt reads an optionally signed decimal integer of at most 18 digits.
func parseInt(b []byte) (int, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

func parseFloat(b []byte) (float64, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || len(b) > 32 {
		return 0, false
	}
	v, err := strconv.ParseFloat(unsafeString(b), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// trimSpace is bytes.TrimSpace with a fast path for the usual untrimmed field.
func trimSpace(b []byte) []byte {
	if len(b) > 0 && b[0] > ' ' && b[len(b)-1] > ' ' {
		return b
	}
	return bytes.TrimSpace(b)
}

func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == 0x7f || c == ',' {
			return false
		}
	}
	return true
}

// unsafeString views b as a string for a call that does not keep it.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func cutLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return trimCR(b), nil
	}
	return trimCR(b[:i]), b[i+1:]
}

func firstLine(b []byte) []byte {
	l, _ := cutLine(b)
	return l
}

func trimCR(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}

func trimEOL(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		b = b[:len(b)-1]
	}
	return trimCR(b)
}
