package speech

import (
	"math"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// DefaultMaxChars is the length limit Clean applies: about 25 seconds of speech,
// enough for any announcement and short enough that a hostile PACKTERVOICE cannot
// hold the voice for minutes.
const DefaultMaxChars = 400

// Clean makes text safe and pleasant to speak: invalid UTF-8, control and
// formatting characters (including bidi overrides) are removed, whitespace is
// collapsed, PACKTER 2.5's legacy "/T:1 /W:" option prefixes are stripped and the
// result is cut to DefaultMaxChars runes at a word boundary.
func Clean(text string) string { return clean(text, DefaultMaxChars) }

// clean is Clean with a chosen limit (max <= 0: no limit).
func clean(text string, max int) string {
	// Bound the work on huge inputs before anything else: a limit of max runes
	// never needs more than 4*max bytes (plus slack for removed characters).
	if max > 0 && len(text) > 16*max+64 {
		text = text[:16*max+64]
	}
	var b strings.Builder
	b.Grow(len(text))
	space := true // drops leading spaces and collapses runs
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		i += n
		switch {
		case r == utf8.RuneError && n <= 1:
			continue
		case unicode.IsSpace(r) || r == '\u00a0':
			if !space {
				b.WriteByte(' ')
				space = true
			}
			continue
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Co, r):
			continue
		}
		b.WriteRune(r)
		space = false
	}
	s := strings.TrimSpace(b.String())
	s = stripLegacyOptions(s)
	if max > 0 {
		s = truncate(s, max)
	}
	return s
}

// stripLegacyOptions removes PACKTER 2.5's leading TTS switches. Its viewer handed
// PACKTERVOICE text to a Windows speech program, so senders wrote "/T:1 /W:text"
// or "/T:1 /W: text": "/W:" introduces the words, any other "/X:value" token is a
// switch.
func stripLegacyOptions(s string) string {
	for {
		if len(s) < 3 || s[0] != '/' || !isASCIILetter(s[1]) || s[2] != ':' {
			return s
		}
		if s[1] == 'W' || s[1] == 'w' {
			s = strings.TrimSpace(s[3:])
			continue
		}
		end := strings.IndexByte(s, ' ')
		if end < 0 {
			return ""
		}
		s = strings.TrimSpace(s[end:])
	}
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// truncate cuts s to at most max runes, at the last word boundary when there is
// one reasonably close, so the voice does not end mid-word.
func truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	cut, n := 0, 0
	for i := range s {
		if n == max {
			cut = i
			break
		}
		n++
	}
	s = s[:cut]
	if sp := strings.LastIndexByte(s, ' '); sp > len(s)*3/4 {
		s = s[:sp]
	}
	return strings.TrimRight(s, " ,;:-")
}

// PlainHTML turns the HTML of PACKTERMSG/PACKTERHTML into words to speak: tags
// are dropped (with the contents of script and style), entities decoded, and
// line and block breaks become sentence pauses. The result is not length-limited;
// Say limits it.
func PlainHTML(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var out []byte
	skip := 0 // depth inside <script>/<style>
	// sep ends the text so far with mark ('.' a pause, ',' a short one) unless
	// it already ends in punctuation. It edits only the tail: linear overall.
	sep := func(mark byte) {
		for len(out) > 0 && out[len(out)-1] == ' ' {
			out = out[:len(out)-1]
		}
		if len(out) == 0 {
			return
		}
		switch last := out[len(out)-1]; {
		case strings.IndexByte(".!?:;", last) >= 0:
		case last == ',' && mark == '.':
			out[len(out)-1] = '.'
		case last != ',':
			out = append(out, mark)
		}
		out = append(out, ' ')
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return clean(string(out), 0)
		case html.TextToken:
			if skip == 0 {
				out = append(out, z.Text()...) // Text decodes entities
				out = append(out, ' ')
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style":
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
			case "br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "ul", "ol", "blockquote", "title":
				sep('.')
			case "td", "th":
				sep(',')
			}
		}
	}
}

var smallNumbers = [...]string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
	"ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
var tens = [...]string{"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}

// below100 says 0..99 in words.
func below100(n int) string {
	if n < 20 {
		return smallNumbers[n]
	}
	if n%10 == 0 {
		return tens[n/10]
	}
	return tens[n/10] + "-" + smallNumbers[n%10]
}

// octet says 0..255 the way people read addresses aloud: 192 is "one ninety-two",
// 205 "two oh five", 100 "one hundred".
func octet(n int) string {
	if n < 100 {
		return below100(n)
	}
	h, r := n/100, n%100
	switch {
	case r == 0:
		return smallNumbers[h] + " hundred"
	case r < 10:
		return smallNumbers[h] + " oh " + smallNumbers[r]
	}
	return smallNumbers[h] + " " + below100(r)
}

// SayAddr spells an IP address for a listener: "10.0.0.1" becomes "ten dot zero
// dot zero dot one"; IPv6 is read group by group, character by character, with
// "double colon" for the compressed run ("2001:db8::1" becomes "two zero zero one
// colon d b eight double colon one"). Anything that is not an address is returned
// cleaned but otherwise unchanged.
func SayAddr(addr string) string {
	a, err := netip.ParseAddr(strings.Trim(addr, "[]"))
	if err != nil {
		return Clean(addr)
	}
	if a.Is4() {
		return sayIPv4(a.As4())
	}
	var b strings.Builder
	if a.Is4In6() {
		b.WriteString("double colon f f f f colon ")
		b.WriteString(sayIPv4(a.Unmap().As4()))
	} else {
		s := a.WithZone("").String()
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c == ':' {
				if i+1 < len(s) && s[i+1] == ':' {
					b.WriteString(" double colon ")
					i++
				} else {
					b.WriteString(" colon ")
				}
				continue
			}
			if b.Len() > 0 && !strings.HasSuffix(b.String(), " ") {
				b.WriteByte(' ')
			}
			if c >= '0' && c <= '9' {
				b.WriteString(smallNumbers[c-'0'])
			} else {
				b.WriteByte(c)
			}
		}
	}
	if z := a.Zone(); z != "" {
		b.WriteString(" zone ")
		b.WriteString(Clean(z))
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func sayIPv4(o [4]byte) string {
	return octet(int(o[0])) + " dot " + octet(int(o[1])) + " dot " + octet(int(o[2])) + " dot " + octet(int(o[3]))
}

var scales = [...]struct {
	v    float64
	name string
}{{1e12, "trillion"}, {1e9, "billion"}, {1e6, "million"}, {1e3, "thousand"}}

// SayCount rounds a count or rate so it can be understood at a glance of the ear:
// 12000 is "12 thousand", 1500000 "1.5 million", 42 "42", 2.5 "2.5". Two or three
// significant figures are kept; TTS engines read the remaining digits well.
func SayCount(n float64) string {
	switch {
	case math.IsNaN(n):
		return "unknown"
	case math.IsInf(n, 1):
		return "infinitely many"
	case math.IsInf(n, -1):
		return "minus infinitely many"
	case n < 0:
		return "minus " + SayCount(-n)
	}
	for i, s := range scales {
		if n < s.v*0.9995 && !(i == len(scales)-1 && n >= 999.5) {
			continue
		}
		v := n / s.v
		str := roundFigure(v)
		if str == "1000" && i > 0 { // 999.6 thousand rounds up into the next scale
			return "1 " + scales[i-1].name
		}
		return str + " " + s.name
	}
	return roundFigure(n)
}

// roundFigure formats v with one decimal below 10 and as an integer above.
func roundFigure(v float64) string {
	if v < 9.95 {
		s := strconv.FormatFloat(math.Round(v*10)/10, 'f', 1, 64)
		return strings.TrimSuffix(s, ".0")
	}
	return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
}
