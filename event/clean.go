package event

import (
	"encoding/binary"
	"unicode/utf8"
)

// Limits on text that came from the network or a file, in bytes.
const (
	MaxDesc = 1024 // a record's description or model
	MaxText = 8192 // a message's text (PACKTERMSG, HTML, voice, alerts)
	MaxName = 256  // a file name, agent id
)

// AppendClean appends src to dst made safe to print on a terminal, speak or
// log: at most max bytes (cut on a character boundary, "…" marking the cut),
// invalid UTF-8 as U+FFFD, and every control character that could move the
// cursor, retitle the window, reach the clipboard or reorder text dropped:
// C0 (tab and newline become a space), DEL, C1 (U+0080–U+009F, including the
// one-character CSI U+009B) and the bidirectional overrides and isolates.
// Printable text passes unchanged, so clean input costs one copy.
func AppendClean(dst, src []byte, max int) []byte {
	start := len(dst)
	// Printable ASCII, the common case, is copied in runs.
	for i := 0; i < len(src); {
		j := i + printableRun(src[i:])
		if j > i {
			if len(dst)-start+(j-i) > max {
				dst = append(dst, src[i:min(j, i+max+1-(len(dst)-start))]...)
				return appendCut(dst, start, max)
			}
			dst = append(dst, src[i:j]...)
			i = j
			continue
		}
		r, n := utf8.DecodeRune(src[i:])
		i += n
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			r = ' '
		case r < 0x20 || r == 0x7F:
			continue
		case r == utf8.RuneError && n == 1:
			// invalid byte: keep a visible mark
		case unsafeRune(r):
			continue
		}
		if len(dst)-start+utf8.RuneLen(r) > max {
			return appendCut(dst, start, max)
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// Clean is AppendClean into a new string.
func Clean(src string, max int) string {
	return string(AppendClean(nil, []byte(src), max))
}

// unsafeRune reports C1 controls and the invisible characters that reorder
// or hide text (bidi embeddings, overrides, isolates and marks).
func unsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9F:
		return true
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x200E, r == 0x200F, r == 0x061C:
		return true
	}
	return false
}

// appendCut ends a cut text with "…" within max bytes.
func appendCut(dst []byte, start, max int) []byte {
	const ell = "…"
	keep := max - len(ell)
	if keep < 0 {
		return dst[:start]
	}
	end := start + keep
	if end > len(dst) {
		end = len(dst)
	}
	for end > start && end < len(dst) && !utf8.RuneStart(dst[end]) {
		end--
	}
	return append(dst[:end], ell...)
}

// printableRun is how many bytes at the start of b are printable ASCII
// (0x20–0x7E), eight at a time where it can: descriptions are mostly that.
func printableRun(b []byte) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	n := 0
	for ; n+8 <= len(b); n += 8 {
		x := binary.LittleEndian.Uint64(b[n:])
		// A byte below 0x20 borrows when 0x20 is taken from it; a byte of
		// 0x7F or more has its high bit set once 1 is added (or before).
		if (x-0x20*ones)&^x&highs != 0 || (x|(x+ones))&highs != 0 {
			break
		}
	}
	for n < len(b) && b[n] >= 0x20 && b[n] < 0x7F {
		n++
	}
	return n
}
