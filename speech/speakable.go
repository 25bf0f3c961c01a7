package speech

import (
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Speakable rewrites free text so that a listener hears what it says. It is the
// one place that decides how numbers and identifiers are read:
//
//   - A count or rate of five digits or more is rounded: "12000 packets" is
//     "12 thousand packets". A number is a count when a unit follows it
//     ("packets", "bytes", "pps", "per second", "/s", … see countUnits) or
//     "rate", "total" or "count" precedes it.
//   - Every other number is an identifier (AS number, port, year, sequence
//     number) and is read exactly as written: "port 59764" stays "port 59764".
//   - "AS 64540", "AS:64540" and "AS64540" become "A S 64540": engines read a
//     capital "AS" as the word "as".
//   - IP addresses are read out (SayAddr); "addr:port" becomes "… port N".
//   - Hashes are never read out: 16 or more hex digits become "hash ending
//     2 d f d"; a traceback description HASH-TCHOST becomes "hash ending 2 d f
//     d, traceback host …"; any hex after the word "hash" becomes "ending …".
//     Sixteen or more decimal digits that are not a count become "number
//     ending 1 2 3 4".
//
// Other words pass unchanged. The result is not length-limited.
func Speakable(text string) string {
	words := strings.Fields(text)
	out := make([]string, 0, len(words))
	for i, w := range words {
		pre, c, post := splitWord(w)
		if c == "" {
			out = append(out, w)
			continue
		}
		for _, unit := range []string{"/s", "/sec"} {
			if n, ok := strings.CutSuffix(c, unit); ok && n != "" && strings.Trim(n, "0123456789,") == "" {
				c, post = n, unit+post
			}
		}
		var prev, next, next2 string
		if i > 0 {
			_, prev, _ = splitWord(words[i-1])
		}
		if i+1 < len(words) {
			_, next, _ = splitWord(words[i+1])
		}
		if i+2 < len(words) {
			_, next2, _ = splitWord(words[i+2])
		}
		s, ok := speakWord(c, post, prev, next, next2)
		if !ok {
			out = append(out, w)
			continue
		}
		// "12000/s" has said its unit already ("per second").
		if strings.HasPrefix(post, "/") && strings.HasSuffix(s, " per second") {
			post = strings.TrimLeft(post[1:], "sec")
		}
		out = append(out, pre+s+post)
	}
	return strings.Join(out, " ")
}

// splitWord separates a word's surrounding punctuation from its core:
// "(10.0.0.1)," has the core "10.0.0.1".
func splitWord(w string) (pre, core, post string) {
	start := strings.IndexFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == ':' || r == '[' })
	if start < 0 {
		return w, "", ""
	}
	end := strings.LastIndexFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == ']' })
	if end < start {
		return w, "", ""
	}
	_, sz := utf8.DecodeRuneInString(w[end:])
	return w[:start], w[start : end+sz], w[end+sz:]
}

// countUnits are the words after a number that make it a count or a rate.
var countUnits = map[string]bool{
	"packet": true, "packets": true, "pkts": true, "pps": true, "datagram": true, "datagrams": true,
	"byte": true, "bytes": true, "bps": true, "kbps": true, "mbps": true, "gbps": true, "bit": true, "bits": true,
	"kb": true, "mb": true, "gb": true, "kib": true, "mib": true, "gib": true,
	"record": true, "records": true, "event": true, "events": true, "flow": true, "flows": true,
	"connection": true, "connections": true, "session": true, "sessions": true, "request": true, "requests": true,
	"query": true, "queries": true, "alert": true, "alerts": true, "message": true, "messages": true,
	"hit": true, "hits": true, "drop": true, "drops": true, "dropped": true, "error": true, "errors": true,
	"time": true, "times": true, "per": true, "a": true, // "12000 a second"
	"sample": true, "samples": true, "frame": true, "frames": true, "host": true, "hosts": true, "address": true, "addresses": true,
}

// countLeads are the words before a number that make it a count.
var countLeads = map[string]bool{"rate": true, "total": true, "count": true, "counted": true}

// speakWord rewrites one word's core given its neighbours' cores, or reports
// false to leave it as it is.
func speakWord(c, post, prev, next, next2 string) (string, bool) {
	lprev, lnext := strings.ToLower(prev), strings.ToLower(next)
	if c == "AS" && isDigits(next) {
		return "A S", true
	}
	if n, ok := strings.CutPrefix(c, "AS"); ok {
		if n = strings.TrimPrefix(n, ":"); isDigits(n) {
			return "A S " + n, true
		}
	}
	count := countUnits[lnext] && !(lnext == "a" && strings.ToLower(next2) != "second") ||
		countLeads[lprev] || strings.HasPrefix(post, "/s")
	if h, ok := hexRun(c); ok {
		switch {
		case lprev == "hash" && len(h) >= 4:
			return "ending " + spell(h[len(h)-4:]), true
		case len(h) >= 16 && isDigits(h) && count:
			// a count, rounded below
		case len(h) >= 16 && isDigits(h):
			return "number ending " + spell(h[len(h)-4:]), true
		case len(h) >= 16:
			return "hash ending " + spell(h[len(h)-4:]), true
		}
	}
	if h, host, ok := strings.Cut(c, "-"); ok {
		if hx, isHex := hexRun(h); isHex && len(hx) >= 16 && host != "" {
			if s, ok := speakAddr(host); ok {
				host = s
			}
			return "hash ending " + spell(hx[len(hx)-4:]) + ", traceback host " + host, true
		}
	}
	if n, ok := bigNumber(c); ok {
		if !count {
			return "", false // an identifier: read exactly
		}
		s := SayCount(n)
		if strings.HasPrefix(post, "/s") {
			s += " per second"
		}
		return s, true
	}
	return speakAddr(c)
}

// speakAddr reads an address, with or without a port.
func speakAddr(t string) (string, bool) {
	if !strings.ContainsAny(t, ".:") {
		return "", false
	}
	if ap, err := netip.ParseAddrPort(t); err == nil {
		return SayAddr(ap.Addr().String()) + " port " + strconv.Itoa(int(ap.Port())), true
	}
	if a, err := netip.ParseAddr(strings.Trim(t, "[]")); err == nil && t != "::" {
		return SayAddr(a.String()), true
	}
	return "", false
}

// hexRun returns t, without a 0x prefix and lower-cased, when it is all hex
// digits.
func hexRun(t string) (string, bool) {
	if len(t) > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') {
		t = t[2:]
	}
	if t == "" {
		return "", false
	}
	for i := 0; i < len(t); i++ {
		c := t[i] | 0x20
		if !(t[i] >= '0' && t[i] <= '9' || c >= 'a' && c <= 'f') {
			return "", false
		}
	}
	return strings.ToLower(t), true
}

func isDigits(t string) bool {
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			return false
		}
	}
	return t != ""
}

// spell reads characters one by one: "2dfd" is "2 d f d".
func spell(s string) string {
	b := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, s[i])
	}
	return string(b)
}

// bigNumber accepts whole numbers of five or more digits, with optional thousands
// commas ("12,000"); smaller numbers read fine as they are.
func bigNumber(t string) (float64, bool) {
	groups := strings.Split(t, ",")
	digits := 0
	for gi, g := range groups {
		if g == "" || gi > 0 && len(g) != 3 || gi == 0 && len(groups) > 1 && len(g) > 3 {
			return 0, false
		}
		if !isDigits(g) {
			return 0, false
		}
		digits += len(g)
	}
	if digits < 5 || digits > 18 {
		return 0, false
	}
	n, err := strconv.ParseFloat(strings.ReplaceAll(t, ",", ""), 64)
	return n, err == nil
}

// Defuse keeps text from being read as markup by any speech engine: espeak-ng
// reads "[[…]]" as phonemes and macOS say reads it as embedded commands, so
// square brackets become round ones (which read as the same pause). SSML and
// SAPI XML are never enabled by Packter, so angle brackets are plain text.
func Defuse(text string) string {
	if !strings.ContainsAny(text, "[]") {
		return text
	}
	return strings.NewReplacer("[", "(", "]", ")").Replace(text)
}
