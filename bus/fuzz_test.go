package bus

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// FuzzParseSubject: subjects come from the servers, and so from whoever may
// publish; what Subject makes parses back to its tokens.
func FuzzParseSubject(f *testing.F) {
	f.Add("packter.tokyo.agent-1") // what agents publish
	f.Add("packter.tokyo")         // too short
	f.Add("packter..x")            // empty site
	f.Add("packter.a.b.c")         // too long
	f.Add("other.a.b")             // another prefix
	f.Fuzz(func(t *testing.T, s string) {
		site, agent, err := ParseSubject(s)
		if err != nil {
			return
		}
		if Subject(site, agent) != s && Token(site) == site && Token(agent) == agent {
			t.Fatalf("%q parsed to %q %q, which make %q", s, site, agent, Subject(site, agent))
		}
	})
}

// FuzzToken: any name becomes one safe, bounded token.
func FuzzToken(f *testing.F) {
	f.Add("tokyo")
	f.Add("a.b*c>d e")    // every character NATS reads as syntax
	f.Add("")             // empty
	f.Add("京都")           // not ASCII
	f.Add("\x00\x7f\xff") // control and invalid UTF-8
	f.Fuzz(func(t *testing.T, s string) {
		tok := Token(s)
		if tok == "" || len(tok) > maxToken+4 || strings.ContainsAny(tok, ".*> \t\r\n") {
			t.Fatalf("Token(%q) = %q", s, tok)
		}
		if _, _, err := ParseSubject(Subject(s, s)); err != nil {
			t.Fatalf("Subject(%q) does not parse: %v", s, err)
		}
	})
}

// FuzzAgentOf: the relay reads the first line of any datagram it is sent.
func FuzzAgentOf(f *testing.F) {
	f.Add([]byte("PACKTERAGENT a1,1700000000,abcd\nPACKTER\n1.2.3.4,5.6.7.8,1,2,3,x\n")) // PACKTER 3.0, signed
	f.Add([]byte("PACKTER\n1.2.3.4,5.6.7.8,1,2,3,x\n"))                                  // PACKTER 2.5
	f.Add([]byte("PACKTERAGENT ,1,2\n"))                                                 // empty id
	f.Add([]byte("PACKTERAGENT "))                                                       // cut short
	f.Fuzz(func(t *testing.T, b []byte) {
		a := AgentOf(b, netip.MustParseAddrPort("192.0.2.1:9"))
		if a == "" || len(a) > maxToken+8 {
			t.Fatalf("AgentOf(%q) = %q", b, a)
		}
	})
}

// FuzzValidFilter: filters come from the command line and go to the servers.
func FuzzValidFilter(f *testing.F) {
	f.Add("packter.>")
	f.Add("packter.tokyo.*")
	f.Add("packter.>.x") // '>' not last
	f.Add("packter.a*.b")
	f.Fuzz(func(t *testing.T, s string) {
		if ValidFilter(s) != nil {
			return
		}
		toks := strings.Split(s, ".")
		if toks[0] != SubjectPrefix || len(toks) > 3 {
			t.Fatalf("accepted %q", s)
		}
	})
}

// TestSitesAreCleaned: a publisher may put control characters in its
// subject (NATS allows them); the console's status line must not get them.
func TestSitesAreCleaned(t *testing.T) {
	var s Sites
	now := time.Now()
	s.saw("packter.\x1b]0;pwned\x07tokyo.agent\u202e1", now)
	list := s.List()
	if len(list) != 1 || list[0].Site.String() != "]0;pwnedtokyo" || list[0].Agents[0].String() != "agent1" {
		t.Fatalf("sites %+v", list)
	}
	if sum := Summary(list, now, time.Minute); strings.ContainsAny(sum, "\x1b\x07\u202e") {
		t.Errorf("summary carries a control character: %q", sum)
	}
}
