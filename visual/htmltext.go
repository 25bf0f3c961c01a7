package visual

import (
	"html"
	"strings"
)

// MaxMessageText bounds the text kept from one message (bytes of input).
const MaxMessageText = 16 << 10

// HTMLText turns the HTML of a PACKTERMSG / PACKTERHTML into plain text for
// the board: tags are removed (line-breaking ones — br, p, div, li, tr, h1-6 —
// become new lines), script and style contents are dropped, entities are
// decoded, runs of spaces fold to one and blank lines go. Input past
// MaxMessageText is ignored. It never fails: what is not a tag is text.
func HTMLText(s string) string {
	if len(s) > MaxMessageText {
		s = s[:MaxMessageText]
	}
	var out strings.Builder
	var text strings.Builder // the current run of text, entities undecoded
	flush := func() {
		if text.Len() > 0 {
			out.WriteString(html.UnescapeString(text.String()))
			text.Reset()
		}
	}
	skipUntil := "" // closing tag whose contents are dropped
	for i := 0; i < len(s); {
		c := s[i]
		if c != '<' {
			if skipUntil == "" {
				text.WriteByte(c)
			}
			i++
			continue
		}
		end := strings.IndexByte(s[i+1:], '>')
		if end < 0 || !startsTag(s[i+1:]) { // a lone '<' is text
			if skipUntil == "" {
				text.WriteByte(c)
			}
			i++
			continue
		}
		tag := s[i+1 : i+1+end]
		i += end + 2
		name, closing := tagName(tag)
		if skipUntil != "" {
			if closing && name == skipUntil {
				skipUntil = ""
			}
			continue
		}
		if !closing && (name == "script" || name == "style") && !strings.HasSuffix(tag, "/") {
			skipUntil = name
			continue
		}
		if breaksLine(name) {
			flush()
			out.WriteByte('\n')
		}
	}
	flush()
	return tidy(out.String())
}

// startsTag reports whether what follows a '<' opens a tag, as HTML reads
// it: a letter, '/' and a letter, '!' or '?'.
func startsTag(s string) bool {
	if s == "" {
		return false
	}
	c := s[0]
	if c == '/' && len(s) > 1 {
		c = s[1]
	} else if c == '!' || c == '?' {
		return true
	}
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// tagName returns the lower-case name of a tag's inside ("/b", "br/", "a href=…").
func tagName(tag string) (string, bool) {
	closing := strings.HasPrefix(tag, "/")
	tag = strings.TrimPrefix(tag, "/")
	n := 0
	for n < len(tag) && (tag[n] >= 'a' && tag[n] <= 'z' || tag[n] >= 'A' && tag[n] <= 'Z' || tag[n] >= '0' && tag[n] <= '9') {
		n++
	}
	return strings.ToLower(tag[:n]), closing
}

func breaksLine(name string) bool {
	switch name {
	case "br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "hr", "pre", "blockquote":
		return true
	}
	return false
}

// tidy folds white space within lines and drops blank lines.
func tidy(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(strings.Join(f, " "))
	}
	return b.String()
}
