package visual

import (
	"html"
	"strings"

	"github.com/packter/packter/event"
)

// HTMLText turns the HTML of a PACKTERMSG / PACKTERHTML into plain text for
// the board: tags are removed (line-breaking ones — br, p, div, li, tr, h1-6 —
// become new lines), script and style contents are dropped, entities are
// decoded, runs of spaces fold to one and blank lines go. It never fails:
// what is not a tag is text.
// Decoding can make control characters again (`&#27;`), so each line is
// cleaned anew.
func HTMLText(t event.Text) []event.Text {
	s := t.String()
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

// tidy cleans each line, folds white space within it and drops blank lines.
func tidy(s string) []event.Text {
	var lines []event.Text
	for line := range strings.SplitSeq(s, "\n") {
		f := strings.Fields(event.CleanText(line, event.MaxText).String())
		if len(f) == 0 {
			continue
		}
		lines = append(lines, event.CleanText(strings.Join(f, " "), event.MaxText))
	}
	return lines
}
