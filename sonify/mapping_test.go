package sonify

import (
	"math"
	"testing"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/protocol"
)

func TestMapGestures(t *testing.T) {
	th := Calm()
	for _, tc := range []struct {
		name string
		flag int
		desc string
		want Gesture
	}{
		{"ack", 0, "", GesturePluck}, {"syn", 1, "", GestureOpen}, {"fin", 2, "", GestureClose},
		{"rst", 2, "TCP [R.] 10.0.0.1", GestureReset}, {"udp", 3, "", GestureDrop}, {"icmp", 4, "", GesturePing},
		{"ack6", 5, "", GesturePluck}, {"syn6", 6, "", GestureOpen}, {"fin6", 7, "", GestureClose},
		{"udp6", 8, "", GestureDrop}, {"icmp6", 9, "", GesturePing},
		{"base 100 syn", 101, "", GestureOpen}, {"negative flag", -9, "", GestureOpen},
	} {
		ev := pkt(0, "10.0.0.1", 40000, 80, tc.flag)
		ev.Desc = event.CleanText(tc.desc, event.MaxText)
		if c := Map(ev, &th); c.Gesture != tc.want {
			t.Errorf("%s: gesture %v, want %v", tc.name, c.Gesture, tc.want)
		}
	}
}

func TestMapForeground(t *testing.T) {
	th := Calm()
	fl := pkt(0, "10.0.0.1", 0, 0, 0)
	fl.Model = event.CleanText("Missile", event.MaxText)
	ids := pkt(0, "10.0.0.1", 1, 2, 3)
	ids.Desc = event.CleanText("Incident:ET SCAN sid:1 gen:1 rev:1", event.MaxText)
	for _, tc := range []struct {
		ev   *event.Event
		want Gesture
	}{
		{fl, GestureFlood}, {ids, GestureIncident},
		{&event.Event{Kind: event.KindAlert, Text: event.CleanText("x", event.MaxText)}, GestureAlert},
		{&event.Event{Kind: event.KindVoice, Text: event.CleanText("x", event.MaxText)}, GestureNone},
		{&event.Event{Kind: event.KindMessage}, GestureNone},
	} {
		c := Map(tc.ev, &th)
		if c.Gesture != tc.want {
			t.Errorf("%+v: %v, want %v", tc.ev, c.Gesture, tc.want)
		}
		if tc.want.Foreground() != c.Gesture.Foreground() || (c.Gesture.Foreground() && c.Gain < th.NoteGain) {
			t.Errorf("%v: foreground %v gain %v", c.Gesture, c.Gesture.Foreground(), c.Gain)
		}
	}
}

func TestMapPitch(t *testing.T) {
	th := Calm()
	f := func(sport, dport uint32, flag int) Cue { return Map(pkt(0, "10.0.0.1", sport, dport, flag), &th) }
	// A web request and its reply share the web note.
	req, rep := f(51000, 443, 0), f(443, 51000, 0)
	if !req.Service || req.Freq != rep.Freq {
		t.Errorf("443 request %v Hz, reply %v Hz (service %v)", req.Freq, rep.Freq, req.Service)
	}
	if f(40000, 80, 0).Freq == req.Freq {
		t.Error("HTTP and HTTPS share a note")
	}
	// Every note is on the theme's scale.
	for p := uint32(0); p < 65536; p += 97 {
		c := f(40000, p, 3)
		midi := 69 + 12*math.Log2(c.Freq/440)
		st := int(math.Round(midi)) - th.Root
		if math.Abs(midi-math.Round(midi)) > 1e-6 {
			t.Fatalf("port %d: %f Hz is not a semitone", p, c.Freq)
		}
		on := false
		for _, s := range th.Scale {
			if ((st%12)+12)%12 == s {
				on = true
			}
		}
		if !on || c.Freq < 55 || c.Freq > 4000 {
			t.Fatalf("port %d: %f Hz off the scale or out of range", p, c.Freq)
		}
	}
	// ICMP: an echo request pings above its reply.
	reqP, _ := protocol.ICMPPorts(8, 0)
	repP, _ := protocol.ICMPPorts(0, 0)
	a, b := f(reqP.Value, 0, 4), f(repP.Value, 0, 4)
	if a.Freq <= b.Freq {
		t.Errorf("echo request %v Hz not above reply %v Hz", a.Freq, b.Freq)
	}
}

func TestMapTimbre(t *testing.T) {
	th := Calm()
	v4 := Map(pkt(0, "10.0.0.1", 40000, 80, 0), &th)
	v6 := Map(pkt(0, "10.0.0.1", 40000, 80, 5), &th)
	if v4.Ratio != math.Trunc(v4.Ratio) && v4.Ratio != 0.5 {
		t.Errorf("IPv4 ratio %v is not harmonic", v4.Ratio)
	}
	if v6.Ratio == v4.Ratio || v6.Ratio == math.Trunc(v6.Ratio) {
		t.Errorf("IPv6 ratio %v not inharmonic / not distinct from %v", v6.Ratio, v4.Ratio)
	}
	seen := map[float64]bool{}
	for _, a := range []string{"", "tokyo", "osaka", "kyoto", "nara", "kobe", "sapporo"} {
		ev := pkt(0, "10.0.0.1", 40000, 80, 0)
		ev.Agent = event.CleanText(a, event.MaxText)
		seen[Map(ev, &th).Ratio] = true
	}
	if len(seen) < 3 {
		t.Errorf("seven agents share %d timbres", len(seen))
	}
}

func TestMapPan(t *testing.T) {
	th := Calm()
	lo := Map(pkt(0, "0.0.0.1", 1, 2, 0), &th).Pan
	mid := Map(pkt(0, "128.0.0.0", 1, 2, 0), &th).Pan
	hi := Map(pkt(0, "255.255.255.255", 1, 2, 0), &th).Pan
	if !(lo < -0.8 && math.Abs(mid) < 0.01 && hi > 0.8) {
		t.Errorf("pan lo %v mid %v hi %v", lo, mid, hi)
	}
	ev := pkt(0, "10.0.0.1", 1, 2, 0)
	ev.Src = protocol.NormAddr(math.NaN())
	if p := Map(ev, &th).Pan; p != 0 {
		t.Errorf("NaN coordinate pans to %v", p)
	}
}

func TestMapAllocatesNothing(t *testing.T) {
	th := Calm()
	ev := pkt(0, "10.0.0.1", 40000, 80, 1)
	ev.Agent = event.CleanText("tokyo", event.MaxText)
	if n := testing.AllocsPerRun(100, func() { Map(ev, &th) }); n != 0 {
		t.Errorf("Map allocates %v times", n)
	}
}

func TestEventAllocatesNothing(t *testing.T) {
	e := offlineEngine(t, Options{})
	evs := flood(5000, time.Second, 2)
	i := 0
	n := testing.AllocsPerRun(2000, func() {
		e.Event(evs[i%len(evs)])
		i++
		if i%256 == 0 {
			e.renderBlock(maxBlock)
		}
	})
	if n != 0 {
		t.Errorf("Event+render allocate %v times per event", n)
	}
}
