package timeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"runtime"
	stdstrings "strings"
	"testing"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/protocol"
)

var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func packet(i int, desc string) event.Event {
	r := protocol.Record{
		Src: protocol.AddrFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})), Dst: protocol.AddrFrom(netip.MustParseAddr("192.0.2.1")),
		SPort: protocol.PortFrom(uint32(1024 + i%60000)), DPort: protocol.PortFrom(443), Flag: i % 10,
	}
	if desc == "" {
		desc = string(protocol.AppendDesc(nil, &r))
	}
	r.Desc = []byte(desc)
	return event.FromRecord(t0.Add(time.Duration(i)*time.Millisecond), &r)
}

// TestRoundTrip: every kind of event comes back exactly as it went in.
func TestRoundTrip(t *testing.T) {
	hash := "0123456789abcdef0123456789abcdef"
	v6 := packet(3, "")
	v6.Src = protocol.AddrFrom(netip.MustParseAddr("2001:db8::1"))
	v6.Desc = event.CleanText(hash+"-tc.example", event.MaxText) // IPv6 with a hash: kept as a string
	norm := packet(4, "custom text, with commas")
	norm.Src, norm.DPort = protocol.NormAddr(0.25), protocol.Port{Norm: 0.5, IsNorm: true}
	flood := packet(5, "SYN flood toward 192.0.2.1")
	flood.Model = event.CleanText("missile", event.MaxText)
	signed := packet(6, "")
	signed.Agent, signed.Authed = event.CleanText("edge-1", event.MaxText), true
	events := []event.Event{
		packet(1, ""),               // default description: rebuilt
		packet(2, hash+"-10.0.0.9"), // traceback hash in the spare bytes
		v6, norm, flood, signed,
		{Time: t0, Kind: event.KindMessage, Text: event.CleanText("<b>hello</b>", event.MaxText), File: event.CleanText("pic01.png", event.MaxText)},
		{Time: t0, Kind: event.KindSound, Millis: -30000, File: event.CleanText("Detection.wav", event.MaxText)},
		{Time: t0, Kind: event.KindVoice, Text: event.CleanText("SYN flood toward 10.1.2.3", event.MaxText), Agent: event.CleanText("edge-1", event.MaxText)},
		{Time: t0, Kind: event.KindEarth, Lat1: 35.6, Lon1: 139.7, Lat2: -33.9, Lon2: 151.2, Flag: 2, Desc: event.CleanText("geo", event.MaxText)},
		{Time: t0, Kind: event.KindAlert, Text: event.CleanText("monitor warning", event.MaxText)},
	}
	tl := New(100)
	for i := range events {
		if seq := tl.Append(&events[i]); seq != uint64(i) {
			t.Fatalf("seq %d, want %d", seq, i)
		}
	}
	for i := range events {
		var got event.Event
		if !tl.Get(uint64(i), &got) {
			t.Fatalf("Get(%d) failed", i)
		}
		want := events[i]
		if !got.Time.Equal(want.Time) {
			t.Errorf("event %d: time %v, want %v", i, got.Time, want.Time)
		}
		got.Time = want.Time
		if !reflect.DeepEqual(got, want) {
			t.Errorf("event %d:\n got %+v\nwant %+v", i, got, want)
		}
	}
	c := tl.Counts()
	if c.Flood != 1 || c.Kind[event.KindPacket] != 6 || c.Kind[event.KindVoice] != 1 || c.Class[1] != 1 {
		t.Errorf("counts %+v", c)
	}
}

func TestRingEvictsOldest(t *testing.T) {
	tl := New(chunkSize) // the smallest ring
	n := chunkSize + 10
	for i := 0; i < n; i++ {
		ev := packet(i, "")
		tl.Append(&ev)
	}
	first, next := tl.Bounds()
	if next != uint64(n) || first != 10 {
		t.Fatalf("bounds [%d,%d), want [10,%d)", first, next, n)
	}
	var ev event.Event
	if tl.Get(9, &ev) {
		t.Error("evicted event still readable")
	}
	if !tl.Get(10, &ev) || !ev.Time.Equal(t0.Add(10*time.Millisecond)) {
		t.Errorf("oldest held event: %v", ev.Time)
	}
}

func TestSearchAndRecent(t *testing.T) {
	tl := New(1000)
	for i := 0; i < 100; i++ {
		ev := packet(i, "")
		tl.Append(&ev)
	}
	if got := tl.Search(t0.Add(50 * time.Millisecond)); got != 50 {
		t.Errorf("Search(50ms) = %d", got)
	}
	if got := tl.Search(t0.Add(50*time.Millisecond + 1)); got != 51 {
		t.Errorf("Search(50ms+1ns) = %d", got)
	}
	if got := tl.Search(t0.Add(time.Hour)); got != 100 {
		t.Errorf("Search(future) = %d", got)
	}
	recent := tl.Recent(nil, 100, 5)
	if len(recent) != 5 || !recent[0].Time.Equal(t0.Add(95*time.Millisecond)) || !recent[4].Time.Equal(t0.Add(99*time.Millisecond)) {
		t.Errorf("Recent: %d events from %v", len(recent), recent[0].Time)
	}
	if got := tl.Recent(nil, 3, 10); len(got) != 3 {
		t.Errorf("Recent before 3: %d events", len(got))
	}
}

// TestArenaStrings: unique descriptions past the intern table's limit go to
// the byte ring and read back; ones overwritten read as not kept, never as
// someone else's text; and a flood of descriptions never overwrites the kept
// ring's text (alerts, messages, incidents).
func TestArenaStrings(t *testing.T) {
	s := newStrings()
	s.in.maxCount = 2
	refs := map[uint32]string{}
	for i := 0; i < 10; i++ {
		v := fmt.Sprintf("unique description %d", i)
		refs[s.put(event.CleanText(v, event.MaxText), descRing)] = v
	}
	for ref, want := range refs {
		if got, kept := s.get(ref); got.String() != want || !kept {
			t.Errorf("ref %x: %q (kept %v), want %q", ref, got, kept, want)
		}
	}
	old := s.put(event.CleanText("the oldest arena string", event.MaxText), descRing)
	alert := s.put(event.CleanText("SYN flood toward 10.0.0.5", event.MaxText), keptRing)
	big := bytes.Repeat([]byte("d"), 60000)
	for i := 0; s.ring[descRing].pos < descRingSize+1000; i++ {
		s.put(event.CleanText(string(big[:1+i%60000])+"x", maxStored), descRing)
	}
	if got, kept := s.get(old); !got.Empty() || kept {
		t.Errorf("overwritten string read as %q (kept %v)", got.String()[:min(20, len(got.String()))], kept)
	}
	if got, kept := s.get(alert); got.String() != "SYN flood toward 10.0.0.5" || !kept {
		t.Errorf("kept text after a description flood: %q (kept %v)", got, kept)
	}
}

// TestTimelineSaysNotKept: the view reads "description not kept", not an
// empty description, once a flood has evicted it; the alert of the same
// moment keeps its text.
func TestTimelineSaysNotKept(t *testing.T) {
	tl := New(1 << 20)
	tl.str.in.maxCount = 0
	first := packet(0, "a unique description that will be evicted")
	tl.Append(&first)
	alert := event.Event{Time: t0, Kind: event.KindAlert, Text: event.CleanText("SYN flood toward 10.0.0.5", event.MaxText)}
	aseq := tl.Append(&alert)
	pad := stdstrings.Repeat("d", 1000)
	for i := 0; tl.str.ring[descRing].pos < descRingSize+10000; i++ {
		ev := packet(i, fmt.Sprintf("%s %d", pad, i))
		tl.Append(&ev)
	}
	var ev event.Event
	if !tl.Get(0, &ev) || ev.Desc != event.NotKept() {
		t.Errorf("evicted description reads %q", ev.Desc)
	}
	if !tl.Get(aseq, &ev) || ev.Text.String() != "SYN flood toward 10.0.0.5" {
		t.Errorf("alert text %q after the flood", ev.Text)
	}
}

func TestReplayPaces(t *testing.T) {
	tl := New(100)
	for i := 0; i < 5; i++ {
		ev := packet(i*100, "") // 100 ms apart
		tl.Append(&ev)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got []time.Time
	stop := errors.New("stop")
	start := time.Now()
	err := tl.Replay(ctx, 0, 0, func(seq uint64, ev *event.Event) error {
		got = append(got, ev.Time)
		if seq == 4 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || len(got) != 5 {
		t.Fatalf("replay: %v, %d events", err, len(got))
	}
	_ = start
}

// BenchmarkAppend reports the cost per event and the memory held per event
// once 10 million events are in the ring (the foundation issue's figure).
func BenchmarkAppend(b *testing.B) {
	tl := New(DefaultCapacity)
	evs := make([]event.Event, 1024)
	for i := range evs {
		evs[i] = packet(i, "")
		if i%4 == 0 {
			evs[i].Desc = event.CleanText(fmt.Sprintf("%032x-10.0.0.9", i), event.MaxText)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		tl.Append(&evs[i&1023])
		i++
	}
}

func TestMemoryPerEventAt10M(t *testing.T) {
	if testing.Short() {
		t.Skip("fills 10 million events")
	}
	const n = 10_000_000 // the slots dominate: fixed costs spread as in a full timeline
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	tl := New(n)
	ev := packet(0, "")
	for i := 0; i < n; i++ {
		ev.Time = t0.Add(time.Duration(i))
		ev.SPort = protocol.PortFrom(uint32(i % 65536))
		ev.Desc = event.Text{}
		if i%3 == 0 {
			ev.Desc = event.CleanText(fmt.Sprintf("%032x-10.0.0.9", i), event.MaxText)
		} else {
			r := protocol.Record{Src: ev.Src, Dst: ev.Dst, SPort: ev.SPort, DPort: ev.DPort, Flag: ev.Flag}
			ev.Desc = event.CleanText(string(protocol.AppendDesc(nil, &r)), event.MaxText)
		}
		tl.Append(&ev)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("heap per event at %d events: %.1f bytes (slot %d bytes)", n, per, BytesPerEvent)
	if per > 64.5 {
		t.Errorf("%.1f bytes per event, goal ≤ 64", per)
	}
	runtime.KeepAlive(tl)
}
