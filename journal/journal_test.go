package journal

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/protocol"
)

var t0 = time.Date(2026, 11, 28, 12, 0, 0, 123456789, time.UTC)

func sample() []event.Event {
	return []event.Event{
		{Time: t0, Kind: event.KindPacket, Src: protocol.AddrFrom(netip.MustParseAddr("10.0.0.1")), Dst: protocol.AddrFrom(netip.MustParseAddr("2001:db8::1")),
			SPort: protocol.PortFrom(60000), DPort: protocol.PortFrom(80), Flag: 1, Desc: event.CleanText("TCP \"quoted\" <x> & \\ tab\there\nnewline \u2028 é", event.MaxText), Agent: event.CleanText("a1", event.MaxName), Authed: true},
		{Time: t0, Kind: event.KindPacket, Src: protocol.NormAddr(0.25), Dst: protocol.NormAddr(0.5), SPort: protocol.Port{Norm: 0.75, IsNorm: true}, DPort: protocol.PortFrom(0), Model: event.CleanText("missile", event.MaxText), Desc: event.CleanText("flood", event.MaxText)},
		{Time: t0, Kind: event.KindMessage, Text: event.CleanText("<b>hi</b>", event.MaxText), File: event.CleanText("pic.png", event.MaxText)},
		{Time: t0, Kind: event.KindSound, Millis: -30000, File: event.CleanText("Detection.wav", event.MaxText)},
		{Time: t0, Kind: event.KindEarth, Lat1: 1.5, Lon1: -2, Lat2: 3, Lon2: 4, Flag: 2, Desc: event.CleanText("geo", event.MaxText)},
		{Time: t0, Kind: event.KindTrace, Text: event.CleanText("traceback requested", event.MaxText)},
	}
}

func TestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	evs := sample()
	for i := range evs {
		if err := w.Write(&evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	if n := strings.Count(buf.String(), "\n"); n != len(evs) {
		t.Fatalf("%d lines for %d events", n, len(evs))
	}
	d := NewDecoder(&buf)
	for i := range evs {
		var got event.Event
		if err := d.Next(&got); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if !got.Time.Equal(evs[i].Time) {
			t.Errorf("event %d time %v", i, got.Time)
		}
		got.Time = evs[i].Time
		if !reflect.DeepEqual(got, evs[i]) {
			t.Errorf("event %d:\n got %+v\nwant %+v", i, got, evs[i])
		}
	}
	var ev event.Event
	if err := d.Next(&ev); !errors.Is(err, io.EOF) {
		t.Errorf("after the end: %v", err)
	}
}

func TestFields(t *testing.T) {
	line := string(Append(nil, &sample()[0]))
	for _, want := range []string{`"time":"2026-11-28T12:00:00.123456789Z"`, `"kind":"packet"`, `"src":"10.0.0.1"`, `"dst":"2001:db8::1"`, `"sport":60000`, `"dport":80`, `"flag":1`, `"agent":"a1"`, `"authed":true`} {
		if !strings.Contains(line, want) {
			t.Errorf("%s lacks %s", line, want)
		}
	}
}

func TestBadLinesDoNotStopTheRest(t *testing.T) {
	in := "not json\n" + string(Append(nil, &sample()[2])) + `{"time":"x","kind":"packet"}` + "\n" + `{"time":"2026-11-28T12:00:00Z","kind":"nope"}` + "\n" + string(Append(nil, &sample()[3]))
	d := NewDecoder(strings.NewReader(in))
	var ev event.Event
	var good, bad int
	for {
		err := d.Next(&ev)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if !errors.Is(err, ErrLine) {
				t.Errorf("error %v does not wrap ErrLine", err)
			}
			bad++
			continue
		}
		good++
	}
	if good != 2 || bad != 3 {
		t.Errorf("good %d bad %d", good, bad)
	}
}

// FuzzUnmarshal: journal lines from disk never panic the decoder, and what
// decodes re-encodes to a line that decodes the same.
func FuzzUnmarshal(f *testing.F) {
	for _, ev := range sample() {
		f.Add(Append(nil, &ev))
	}
	f.Add([]byte(`{"time":"2026-11-28T12:00:00Z","kind":"packet","src":"1.5","dst":"x"}`)) // bad addresses
	f.Add([]byte(`{"time":"2026-11-28T12:00:00Z","kind":"packet","sport":1e400}`))         // huge number
	f.Fuzz(func(t *testing.T, b []byte) {
		var ev event.Event
		if err := Unmarshal(b, &ev); err != nil {
			return
		}
		var again event.Event
		if err := Unmarshal(Append(nil, &ev), &again); err != nil {
			t.Fatalf("re-encoded line does not decode: %v\n%s", err, Append(nil, &ev))
		}
	})
}
