package intertrack

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

func TestAnswerDigestQuery(t *testing.T) {
	s := NewDigestStore(DigestConfig{Capacity: 100})
	at := time.UnixMilli(1_700_000_000_000)
	s.Insert(testHash, at)
	h := fmt.Sprintf("%x", testHash)
	for in, want := range map[string]string{
		"QUERY " + h + "\n":                             "SEEN 65001\n",
		"QUERY " + strings.ToUpper(h) + "\r\n":          "SEEN 65001\n",
		"QUERY " + h + " 0 0\n":                         "SEEN 65001\n",
		"QUERY " + h + " 1699999990000 1700000010000\n": "SEEN 65001\n",
		"QUERY " + h + " 1700000600000 0\n":             "UNSEEN 65001\n", // only after it was seen
		"QUERY ffffffffffffffffffffffffffffffff\n":      "UNSEEN 65001\n",
		"QUERY " + h + " 5\n":                           "ERROR usage: QUERY <hash> [<from-ms> <to-ms>]\n",
		"QUERY " + h + " -1 0\n":                        "ERROR times must be Unix milliseconds\n",
		"QUERY xyz\n":                                   "ERROR hash must be 32 hex digits\n",
		"AS\n":                                          "AS 65001\n",
		"HELLO\n":                                       "ERROR unknown request\n",
		"\n":                                            "ERROR unknown request\n",
	} {
		if got := string(AnswerDigestQuery([]byte(in), 65001, s)); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
}

func TestParseDigestReply(t *testing.T) {
	for in, want := range map[string]string{
		"SEEN 65001\n":           "true 65001 <nil>",
		"UNSEEN 1\r\n":           "false 1 <nil>",
		"SEEN 4294967296\n":      "bad",
		"SEEN\n":                 "bad",
		"ERROR nope\n":           "bad",
		"HTTP/1.1 200 OK\r\n":    "bad",
		strings.Repeat("S", 200): "bad",
	} {
		a, err := ParseDigestReply([]byte(in))
		got := fmt.Sprintf("%v %d %v", a.Seen, a.ASN, err)
		if want == "bad" {
			if err == nil {
				t.Errorf("%q accepted: %s", in, got)
			}
		} else if got != want {
			t.Errorf("%q → %s, want %s", in, got, want)
		}
	}
}

func TestServeDigestsPipelinedAndLimits(t *testing.T) {
	ctx := t.Context()
	s := NewDigestStore(DigestConfig{Capacity: 100})
	s.Insert(testHash, time.Now())
	addr := startAgent(t, ctx, 64512, s)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "QUERY %x\nAS\nQUERY %x\n%s\n", testHash, hashN(9), strings.Repeat("x", 300))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	var got []string
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			break
		}
		got = append(got, l)
	}
	want := "SEEN 64512\n|AS 64512\n|UNSEEN 64512\n|ERROR line longer than 128 bytes\n"
	if strings.Join(got, "|") != want {
		t.Errorf("replies %q, want %q", got, want)
	}
	a, err := QueryDigest(ctx, nil, addr, testHash, time.Time{}, time.Time{})
	if err != nil || !a.Seen || a.ASN != 64512 {
		t.Errorf("QueryDigest = %+v, %v", a, err)
	}
}
