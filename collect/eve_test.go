package collect

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func eveLine(sid int, sig string, sev int) string {
	return fmt.Sprintf(`{"timestamp":"2026-06-10T12:00:00.250000+0900","flow_id":1,"event_type":"alert","src_ip":"192.168.1.50","src_port":49152,"dest_ip":"2001:db8::80","dest_port":443,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":%d,"rev":2,"signature":%q,"category":"scan","severity":%d}}`, sid, sig, sev)
}

func TestParseEVE(t *testing.T) {
	var a EVEAlert
	if err := ParseEVE([]byte(eveLine(2019401, "ET SCAN NMAP -sS", 2)), &a); err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 6, 10, 3, 0, 0, 250e6, time.UTC)
	if a.Src != netip.MustParseAddr("192.168.1.50") || a.Dst != netip.MustParseAddr("2001:db8::80") || a.SPort != 49152 ||
		a.DPort != 443 || a.Proto != 6 || a.SID != 2019401 || a.GID != 1 || a.Rev != 2 || a.Severity != 2 || !a.Time.Equal(want) {
		t.Errorf("alert %+v", a)
	}
	if d := a.Description(); d != "Incident:ET SCAN NMAP -sS sid:2019401 gen:1 rev:2" {
		t.Errorf("description %q", d)
	}
	icmp := `{"event_type":"alert","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","proto":"ICMP","icmp_type":8,"icmp_code":0,"alert":{"signature":"ping","signature_id":1}}`
	if err := ParseEVE([]byte(icmp), &a); err != nil || a.Proto != 1 || a.ICMPType != 8 || !a.Time.IsZero() {
		t.Errorf("icmp: %v %+v", err, a)
	}
	num := `{"event_type":"alert","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","proto":"047","alert":{"signature":"gre"}}`
	if err := ParseEVE([]byte(num), &a); err != nil || a.Proto != 47 {
		t.Errorf("numeric proto: %v %+v", err, a)
	}
	for name, c := range map[string]struct {
		line string
		want error
	}{
		"flow event":  {`{"event_type":"flow","src_ip":"1.1.1.1"}`, ErrNotAlert},
		"no alert":    {`{"event_type":"alert","src_ip":"1.1.1.1","dest_ip":"1.1.1.2"}`, ErrFormat},
		"bad address": {`{"event_type":"alert","src_ip":"nope","dest_ip":"1.1.1.2","alert":{}}`, nil},
		"not json":    {`{"event_type":`, nil},
	} {
		err := ParseEVE([]byte(c.line), &a)
		if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}

func startEVE(t *testing.T, path string, minSev int, sink Sink, st *Stats) {
	t.Helper()
	ready := make(chan struct{})
	serve(t, func(ctx context.Context) error {
		return ServeEVE(ctx, path, minSev, sink, nil, Options{Stats: st, Ready: func() { close(ready) }})
	})
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("eve never ready")
	}
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

func sids(s *recSink) []string {
	var out []string
	for _, f := range s.flows {
		i := strings.Index(f.Desc, "sid:")
		out = append(out, strings.Fields(f.Desc[i:])[0])
	}
	return out
}

func TestEVEFollowFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "eve.json")
	appendFile(t, path, eveLine(1, "old, before start", 1)+"\n")
	sink := newRecSink()
	var st Stats
	startEVE(t, path, 0, sink, &st) // the default: severity 1 only
	has := func(want ...string) func(s *recSink) bool {
		return func(s *recSink) bool { return strings.Join(sids(s), " ") == strings.Join(want, " ") }
	}
	// A line written in two pieces, plus a non-alert event and garbage.
	appendFile(t, path, eveLine(2, "two", 1)[:40])
	appendFile(t, path, eveLine(2, "two", 1)[40:]+"\n"+`{"event_type":"stats"}`+"\n"+"not json\n")
	if !sink.wait(10*time.Second, has("sid:2")) {
		t.Fatalf("after append: %v", sids(sink))
	}
	// Rotation: the old file gets one more line after the rename, then a new
	// file appears.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path+".1", eveLine(3, "late in old file", 3)+"\n")
	appendFile(t, path, eveLine(4, "new file", 3)+"\n")
	if !sink.wait(10*time.Second, has("sid:2", "sid:3", "sid:4")) {
		t.Fatalf("after rotation: %v", sids(sink))
	}
	// Truncation in place: read again from the start.
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, eveLine(5, "t", 3)+"\n")
	if !sink.wait(10*time.Second, has("sid:2", "sid:3", "sid:4", "sid:5")) {
		t.Fatalf("after truncation: %v", sids(sink))
	}
	_, _, alerts := sink.snapshot()
	if len(alerts) != 1 || !strings.Contains(alerts[0], "two") {
		t.Errorf("spoken alerts %q, want the one of severity 1", alerts)
	}
	if s := st.Snapshot(); s.Malformed != 1 || s.Skipped != 1 {
		t.Errorf("stats %+v, want 1 malformed and 1 skipped line", s)
	}
}

func TestEVEUnixStream(t *testing.T) {
	path := filepath.Join(t.TempDir(), "eve.sock")
	sink := newRecSink()
	startEVE(t, "unix:"+path, -1, sink, nil)
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	line := eveLine(7, "stream", 1)
	fmt.Fprint(c, line[:30])
	fmt.Fprint(c, line[30:]+"\n"+eveLine(8, "last without newline", 1))
	c.Close()
	if !sink.wait(10*time.Second, func(s *recSink) bool { return len(s.flows) == 2 }) {
		t.Fatalf("flows %v", sids(sink))
	}
	if _, _, alerts := sink.snapshot(); len(alerts) != 0 {
		t.Errorf("minSeverity -1 spoke %q", alerts)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v %v", st.Mode(), err)
	}
}

func TestLineSplitterOverlong(t *testing.T) {
	var got []string
	over := 0
	var s lineSplitter
	long := strings.Repeat("x", maxEVELine+10)
	for _, chunk := range []string{"a\nb", long[:maxEVELine/2], long[maxEVELine/2:] + "\nc\n", strings.Repeat("y", maxEVELine+1) + "\nd\n"} {
		s.feed([]byte(chunk), func(l []byte) { got = append(got, string(l)) }, func() { over++ })
	}
	if strings.Join(got, ",") != "a,c,d" { // "b" began the overlong line
		t.Errorf("lines %q", got)
	}
	if over != 2 {
		t.Errorf("overlong %d, want 2", over)
	}
}
