package capture

import "crypto/md5"

// TraceHash is PACKTER's traceback digest of an IP packet (the bytes from the
// IP header on, as captured). IPv4: TOS, total length, flags+fragment offset,
// TTL and checksum zeroed, options zeroed but kept, MD5 over the header + 8
// bytes. IPv6: the upper traffic-class nibble and the hop limit zeroed, MD5
// over the 40-byte header + 8 bytes. ok is false when the packet is too short
// (or the version nibble does not match v6).
func TraceHash(ip []byte, v6 bool) (sum [16]byte, ok bool) {
	var w [68]byte // 60-byte IPv4 header at most, + 8
	if v6 {
		if len(ip) < 48 {
			return sum, false
		}
		copy(w[:48], ip)
		w[0] &= 0xf0 // keeps the version nibble; PACKTER's quirk leaves the rest of the traffic class
		w[7] = 0     // hop limit
		return md5.Sum(w[:48]), true
	}
	if len(ip) < 20 {
		return sum, false
	}
	hl := int(ip[0]&0x0f) * 4
	if hl < 20 || len(ip) < hl+8 {
		return sum, false
	}
	n := copy(w[:hl+8], ip)
	w[1] = 0            // TOS
	w[2], w[3] = 0, 0   // total length
	w[6], w[7] = 0, 0   // flags + fragment offset
	w[8] = 0            // TTL
	w[10], w[11] = 0, 0 // header checksum
	clear(w[20:hl])     // options
	return md5.Sum(w[:n]), true
}

const hexDigits = "0123456789abcdef"

// AppendHex appends a digest as 32 lowercase hex digits.
func AppendHex(b []byte, sum [16]byte) []byte {
	for _, c := range sum {
		b = append(b, hexDigits[c>>4], hexDigits[c&0x0f])
	}
	return b
}
