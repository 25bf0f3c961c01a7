package intertrack

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// summary renders a result as "depth:AS:state:status" terms.
func summary(r InterASTraceResult) string {
	var s []string
	for _, a := range r.AS {
		s = append(s, fmt.Sprintf("%d:%d:%s:%s", a.Depth, a.ASNumber(), a.State, a.ASStatus.Type))
	}
	return strings.Join(s, " ")
}

func TestDPTrace(t *testing.T) {
	ctx := t.Context()
	// 65003 (home) — 65002 — 65001, 65002 — 65004 — 65005 (no agent), 65003 — 65006 (agent down).
	stores := map[uint32]*DigestStore{}
	cfg := DPConfig{Home: 65003, Agents: map[uint32]string{}, QueryTimeout: time.Second,
		Links: [][2]uint32{{65001, 65002}, {65002, 65003}, {65002, 65004}, {65004, 65005}, {65003, 65006}}}
	for _, asn := range []uint32{65001, 65002, 65003, 65004} {
		stores[asn] = NewDigestStore(DigestConfig{Capacity: 1000})
		cfg.Agents[asn] = startAgent(t, ctx, asn, stores[asn])
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	cfg.Agents[65006] = ln.Addr().String()
	ln.Close() // refused
	d, err := NewDP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	see := func(h [16]byte, ases ...uint32) {
		for _, a := range ases {
			stores[a].Insert(h, now)
		}
	}
	see(hashN(1), 65003, 65002, 65001)
	see(hashN(2), 65003, 65002, 65004)
	see(hashN(3), 65003, 65002, 65001, 65004)
	see(hashN(4), 65002, 65001) // home did not see it
	see(hashN(5), 65003, 65001) // 65001 saw it, but not via a seeing transit: not on the path
	see(hashN(6), 65003, 65002) // spoofed: 65002's watched neighbours did not see it
	for _, c := range []struct {
		h    [16]byte
		ttl  int
		want string
	}{
		{hashN(1), 16, "0:65003:found:Destination 1:65002:found:Transit 1:65006:error:Unknown 2:65001:found:Source"},
		{hashN(2), 16, "0:65003:found:Destination 1:65002:found:Transit 1:65006:error:Unknown 2:65004:reached:Source"},
		{hashN(3), 16, "0:65003:found:Destination 1:65002:found:Transit 1:65006:error:Unknown 2:65001:found:Source 2:65004:reached:Source"},
		{hashN(4), 16, "0:65003:notfound:NotFound"},
		{hashN(5), 16, "0:65003:found:Internal 1:65006:error:Unknown"},
		{hashN(1), 1, "0:65003:found:Destination 1:65002:found:Source 1:65006:error:Unknown"},
		{hashN(6), 16, "0:65003:found:Destination 1:65002:found:Transit 1:65006:error:Unknown"},
	} {
		r := d.Trace(ctx, c.h, c.ttl)
		if got := summary(r); got != c.want {
			t.Errorf("%x ttl %d:\n got %s\nwant %s", c.h[:2], c.ttl, got, c.want)
		}
	}
	if r := d.Trace(ctx, hashN(3), 16); r.Degree != 50 {
		t.Errorf("two sources: degree %d, want 50", r.Degree)
	}
}

func TestDPConfigErrors(t *testing.T) {
	for name, cfg := range map[string]DPConfig{
		"no home":       {Agents: map[uint32]string{1: "x"}},
		"no home agent": {Home: 2, Agents: map[uint32]string{1: "x"}},
		"self link":     {Home: 1, Agents: map[uint32]string{1: "x"}, Links: [][2]uint32{{1, 1}}},
	} {
		if _, err := NewDP(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// PACKTER's TC keeps one connection, sends requests back to back without
// waiting, and puts `HASH-TCHOST` in the PacketDump.
func TestDPServesPACKTERStyleConnection(t *testing.T) {
	ctx := t.Context()
	stores, cfg := threeASes(t, ctx)
	for _, s := range stores {
		s.Insert(hashN(1), time.Now())
	}
	c, err := net.Dial("tcp", startDP(t, ctx, cfg))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := uint64(1); i <= 2; i++ {
		m := NewTraceRequest(hashN(i), netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.1"), time.Now())
		m.ClientTraceRequest.PacketDump[0].Data += "-127.0.0.1"
		b, _ := Encode(m)
		c.Write(b)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	f := NewFramer(c, 0)
	acks, results := 0, map[string]string{}
	for acks+len(results) < 4 {
		raw, err := f.Next()
		if err != nil {
			t.Fatal(err)
		}
		m, err := Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		switch m.Type {
		case TypeClientMessageIDReply:
			acks++
		case TypeClientTraceReply:
			ex := m.ClientTraceReply.AllResultExport
			results[strings.TrimSpace(ex.ITMTraceRequest.Footmark.PacketDump.Data)] = summary(ex.ITMTraceReply.InterASTraceResult)
		}
	}
	want := map[string]string{
		fmt.Sprintf("%x", hashN(1)): "0:65003:found:Destination 1:65002:found:Transit 2:65001:found:Source",
		fmt.Sprintf("%x", hashN(2)): "0:65003:notfound:NotFound",
	}
	for h, w := range want {
		if results[h] != w {
			t.Errorf("%s: %q, want %q", h, results[h], w)
		}
	}
}

func TestTCSaysWhichAgentsWereSilent(t *testing.T) {
	ctx := t.Context()
	stores, cfg := threeASes(t, ctx)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	cfg.Agents[65004] = ln.Addr().String()
	ln.Close()
	cfg.Links = append(cfg.Links, [2]uint32{65003, 65004})
	for _, s := range stores {
		s.Insert(testHash, time.Now())
	}
	rig := startTC(t, ctx, TCConfig{DP: startDP(t, ctx, cfg)})
	rig.launch(t, testHash)
	o := rig.next(t)
	want := "Traceback succeeded: the packet came from AS 65001, through AS 65002; the agent of AS 65004 did not answer"
	if o.Kind != Succeeded || o.Voice != want {
		t.Errorf("%v %q, want %q", o.Kind, o.Voice, want)
	}
}
