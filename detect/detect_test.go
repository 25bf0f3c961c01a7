package detect

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// pkt is one crafted packet.
type pkt struct {
	ts    time.Time
	dst   netip.Addr
	m     Mask
	flood bool // part of the crafted flood
}

var (
	t0     = time.Unix(1700000000, 0)
	victim = netip.MustParseAddr("10.0.0.5")
)

// normal is ordinary office traffic: pps packets per second for d, spread
// over 20 hosts, mostly ACKs, with connections opening and closing (SYN and
// FIN in step), some UDP and ping, at random intervals.
func normal(r *rand.Rand, from time.Time, d time.Duration, pps float64) []pkt {
	var out []pkt
	for ts := from; ts.Before(from.Add(d)); ts = ts.Add(time.Duration(r.ExpFloat64() / pps * float64(time.Second))) {
		dst := netip.AddrFrom4([4]byte{10, 0, 0, byte(1 + r.IntN(20))})
		var m Mask
		switch x := r.IntN(100); {
		case x < 10:
			m = Classify(protoTCP, tcpSyn)
		case x < 20:
			m = Classify(protoTCP, tcpFin|0x10)
		case x < 30:
			m = Classify(protoUDP, 0)
		case x < 32:
			m = Classify(protoICMP, 0)
		default:
			m = Classify(protoTCP, 0x10)
		}
		out = append(out, pkt{ts: ts, dst: dst, m: m})
	}
	return out
}

// synFlood is pps SYNs per second toward victim for d.
func synFlood(from time.Time, d time.Duration, pps float64) []pkt {
	var out []pkt
	step := time.Duration(float64(time.Second) / pps)
	for ts := from; ts.Before(from.Add(d)); ts = ts.Add(step) {
		out = append(out, pkt{ts: ts, dst: victim, m: Classify(protoTCP, tcpSyn), flood: true})
	}
	return out
}

// merge interleaves packet sequences by time.
func merge(seqs ...[]pkt) []pkt {
	var out []pkt
	idx := make([]int, len(seqs))
	for {
		best := -1
		for i, s := range seqs {
			if idx[i] < len(s) && (best < 0 || s[idx[i]].ts.Before(seqs[best][idx[best]].ts)) {
				best = i
			}
		}
		if best < 0 {
			return out
		}
		out = append(out, seqs[best][idx[best]])
		idx[best]++
	}
}

func mustNew(t testing.TB, spec string) Detector {
	t.Helper()
	sp, err := ParseSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(sp, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// run feeds the packets and returns the alerts and, per packet, whether it
// was marked as part of a flood.
func run(d Detector, ps []pkt) ([]*Alert, []bool) {
	var alerts []*Alert
	marked := make([]bool, len(ps))
	for i, p := range ps {
		if al := d.Observe(p.ts, p.dst, p.m); al != nil {
			alerts = append(alerts, al)
		}
		marked[i] = d.Flooding(p.ts, p.dst, p.m)
	}
	return alerts, marked
}

// Issue 15: untuned, a 5,000 SYN/s flood after 20 s of quiet is detected
// within 1 s; the alert names the kind and target first and announces the
// flood's own rate (within 20 % of its rate over its first second).
func TestAdaptiveSYNFloodAfterQuiet(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 4, 5} {
		r := rand.New(rand.NewPCG(seed, 7))
		start := t0.Add(20 * time.Second)
		ps := merge(normal(r, t0, 30*time.Second, 200), synFlood(start, 5*time.Second, 5000))
		alerts, _ := run(mustNew(t, "adaptive"), ps)
		if len(alerts) != 1 {
			t.Fatalf("seed %d: %d alerts, want 1", seed, len(alerts))
		}
		al := alerts[0]
		lag := al.Time.Sub(start)
		t.Logf("seed %d: detected %v after the first flood packet", seed, lag)
		// Within 1 s (issue 15), and within 300 ms so that, with speech's
		// ~20 ms to its first sound, the alert is heard within 400 ms of the
		// first flood packet (issue 14; simulated time: deterministic).
		if lag < 0 || lag > 300*time.Millisecond {
			t.Errorf("seed %d: detected %v after the flood began", seed, lag)
		}
		if al.Kinds[0] != SYN || al.Target != victim {
			t.Errorf("seed %d: %v toward %v", seed, al.Kinds, al.Target)
		}
		if al.PPS < 4000 || al.PPS > 6000 {
			t.Errorf("seed %d: announced %.0f packets per second, the flood sends 5000", seed, al.PPS)
		}
		if !strings.HasPrefix(al.Voice, "SYN flood toward 10.0.0.5, ") || !strings.HasPrefix(al.Msg, ",SYN flood toward 10.0.0.5, ") {
			t.Errorf("seed %d: words %q / %q", seed, al.Voice, al.Msg)
		}
	}
}

// The threshold judge announces the flood's own rate too.
func TestThresholdAnnouncesFloodRate(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	start := t0.Add(10 * time.Second)
	ps := merge(normal(r, t0, 15*time.Second, 200), synFlood(start, 3*time.Second, 2000))
	alerts, _ := run(mustNew(t, "threshold"), ps)
	if len(alerts) != 1 || alerts[0].Target != victim || alerts[0].PPS < 1600 || alerts[0].PPS > 2400 {
		t.Fatalf("alerts %+v", alerts)
	}
}

// No alert on ordinary traffic, at any rate, without tuning.
func TestAdaptiveQuietOnNormalTraffic(t *testing.T) {
	for _, pps := range []float64{20, 200, 3000} {
		r := rand.New(rand.NewPCG(uint64(pps), 1))
		alerts, marked := run(mustNew(t, "adaptive"), normal(r, t0, 10*time.Minute, pps))
		if len(alerts) != 0 {
			t.Errorf("%v pps: %d false alarms in 10 minutes, first %q", pps, len(alerts), alerts[0].Voice)
		}
		for _, m := range marked {
			if m {
				t.Fatalf("%v pps: a normal packet drawn as a flood", pps)
			}
		}
	}
}

// Issue 15: once the flood ends, its target's ordinary packets stop being
// marked within 1 s, long before the quiet time (30 s) ends; while it goes
// on, its packets are marked.
func TestFloodMarkingStopsWithTheFlood(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 11))
	start := t0.Add(20 * time.Second)
	end := start.Add(4 * time.Second)
	// After the flood, the victim keeps getting ordinary connections.
	var after []pkt
	for ts := start; ts.Before(t0.Add(40 * time.Second)); ts = ts.Add(50 * time.Millisecond) {
		after = append(after, pkt{ts: ts, dst: victim, m: Classify(protoTCP, tcpSyn)})
	}
	ps := merge(normal(r, t0, 40*time.Second, 200), synFlood(start, 4*time.Second, 5000), after)
	alerts, marked := run(mustNew(t, "adaptive"), ps)
	if len(alerts) != 1 {
		t.Fatalf("%d alerts", len(alerts))
	}
	var floodMarked, floodAfterAlert, lateMarked int
	for i, p := range ps {
		switch {
		case p.flood && p.ts.After(alerts[0].Time):
			floodAfterAlert++
			if marked[i] {
				floodMarked++
			}
		case p.ts.After(end.Add(time.Second)) && marked[i]:
			lateMarked++
		}
	}
	if floodMarked != floodAfterAlert {
		t.Errorf("%d of %d flood packets after the alert marked", floodMarked, floodAfterAlert)
	}
	if lateMarked != 0 {
		t.Errorf("%d packets marked more than 1 s after the flood ended", lateMarked)
	}
}

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		proto, flags uint8
		want         Mask
	}{
		{protoTCP, tcpSyn, 1 << SYN},
		{protoTCP, tcpSyn | 0x10, 1 << SYN},
		{protoTCP, tcpFin | tcpRst, 1<<FIN | 1<<RST},
		{protoTCP, 0x10, 0},
		{protoUDP, 0xff, 1 << UDP},
		{protoICMP, 0, 1 << ICMP},
		{protoICMPv6, 0, 1 << ICMP},
		{47, 0, 0},
	} {
		if got := Classify(c.proto, c.flags); got != c.want {
			t.Errorf("Classify(%d, %#x) = %b, want %b", c.proto, c.flags, got, c.want)
		}
	}
}

// Rates are rounded for speech; the target address in the alert is not.
func TestSpeakRate(t *testing.T) {
	for v, want := range map[float64]string{850: "850", 1500: "1.5 thousand", 1000: "1 thousand", 999.7: "1 thousand",
		12345: "12 thousand", 2.34e6: "2.3 million", 0: "0"} {
		if got := SpeakRate(v); got != want {
			t.Errorf("SpeakRate(%v) = %q, want %q", v, got, want)
		}
	}
	b := base{conf: map[string]string{}}
	b.w.n, b.w.count[SYN] = 100, 90
	al := &Alert{Kinds: []Kind{SYN}, Target: netip.MustParseAddr("65.43.21.198"), PPS: 65001}
	b.words(al, &[nKinds]float64{SYN: 0.6})
	if al.Voice != "SYN flood toward 65.43.21.198, 65 thousand packets per second" {
		t.Fatalf("voice %q", al.Voice)
	}
}

func TestSpecErrors(t *testing.T) {
	for _, bad := range []string{"magic", "threshold,bogus=1", "threshold,syn", "adaptive,lambda=0", "threshold,window=5",
		"threshold,quiet=-1s", "threshold,pps=NaN", "adaptive,k=x"} {
		sp, err := ParseSpec(bad)
		if err == nil {
			_, err = New(sp, nil)
		}
		if err == nil || !strings.HasPrefix(err.Error(), "--detect: ") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestConfig(t *testing.T) {
	conf, err := ParseConf([]byte("# PACKTER 2.5 style\nTH_COUNT=100\nTH_SYN = 0.9\nMON_SYN_VOICE=SYN attack\nMON_SYN_VOICE=second\n\tbad line\n"))
	if err != nil || conf["TH_COUNT"] != "100" || conf["MON_SYN_VOICE"] != "SYN attack" || len(conf) != 3 {
		t.Fatalf("%v %q", err, conf)
	}
	sp, _ := ParseSpec("threshold,window=50")
	d, err := New(sp, conf)
	if err != nil {
		t.Fatal(err)
	}
	th := d.(*Threshold)
	if th.size != 50 || th.limit[SYN] != 0.9 {
		t.Fatalf("flag over config: window %d, syn %v", th.size, th.limit[SYN])
	}
	if _, err := ParseConf(make([]byte, MaxConf+1)); err == nil {
		t.Fatal("oversized config accepted")
	}
}
