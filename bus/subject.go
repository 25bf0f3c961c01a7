package bus

import (
	"errors"
	"fmt"
	"strings"
)

// Subject names. Records of one agent go to packter.<site>.<agent>; the
// stream holds packter.*.* so that permissions can be granted per site
// (publish packter.<site>.>) and digest requests, on another prefix, are
// never stored.
const (
	SubjectPrefix = "packter"
	StreamName    = "PACKTER"
	streamSubject = SubjectPrefix + ".*.*"
	digestPrefix  = "packter-digests"
	maxToken      = 64
)

// Subject is where agent at site publishes. Names are made safe as subject
// tokens (Token).
func Subject(site, agent string) string {
	return SubjectPrefix + "." + Token(site) + "." + Token(agent)
}

// Token makes s usable as one subject token: characters NATS gives meaning
// to ('.', '*', '>', spaces and control characters) become '-', and it is
// cut at 64 bytes; an empty name becomes "unknown".
func Token(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= maxToken {
			break
		}
		switch {
		case r == '.' || r == '*' || r == '>' || r <= ' ' || r == 0x7f:
			b.WriteByte('-')
		case r > 0x7e:
			b.WriteByte('_') // keep subjects ASCII: permissions are written by hand
		default:
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "unknown"
	}
	return b.String()
}

// ErrSubject is returned for a subject that is not packter.<site>.<agent>.
var ErrSubject = errors.New("not a packter.<site>.<agent> subject")

// ParseSubject splits a record subject into site and agent (pure; fuzzed).
func ParseSubject(subj string) (site, agent string, err error) {
	rest, ok := strings.CutPrefix(subj, SubjectPrefix+".")
	if !ok {
		return "", "", fmt.Errorf("%q: %w", clip(subj), ErrSubject)
	}
	site, agent, ok = strings.Cut(rest, ".")
	if !ok || site == "" || agent == "" || strings.Contains(agent, ".") {
		return "", "", fmt.Errorf("%q: %w", clip(subj), ErrSubject)
	}
	return site, agent, nil
}

// ValidFilter checks a consumer filter such as "packter.>" or
// "packter.tokyo.*": it must lie within the stream's subjects.
func ValidFilter(f string) error {
	toks := strings.Split(f, ".")
	if len(toks) < 2 || len(toks) > 3 || toks[0] != SubjectPrefix {
		return fmt.Errorf("filter %q: want packter.>, packter.SITE.> or packter.SITE.AGENT (* for any one)", f)
	}
	for i, t := range toks[1:] {
		switch {
		case t == "":
			return fmt.Errorf("filter %q: empty token", f)
		case t == ">" && i != len(toks)-2:
			return fmt.Errorf("filter %q: '>' only at the end", f)
		case len(toks) == 2 && t != ">":
			return fmt.Errorf("filter %q: name an agent too, or end with '>'", f)
		case strings.ContainsAny(t, " \t\r\n") || (len(t) > 1 && strings.ContainsAny(t, "*>")):
			return fmt.Errorf("filter %q: bad token %q", f, t)
		}
	}
	return nil
}

func digestSubject(asn uint32) string { return fmt.Sprintf("%s.%d", digestPrefix, asn) }

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
