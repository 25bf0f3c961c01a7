package visual

import (
	"testing"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/protocol"
)

func TestDatagramEvents(t *testing.T) {
	now := time.Unix(1700000000, 0)
	for _, c := range []struct {
		name string
		wire string
		want []event.Event
	}{
		{"bulk records", "PACKTER\n10.0.0.1,127.0.0.1,60000,80,1,a\n192.0.2.1,192.0.2.2,1,2,missile,b\n",
			[]event.Event{{Kind: event.KindPacket, Flag: 1, Desc: "a"}, {Kind: event.KindPacket, Model: "missile", Desc: "b"}}},
		{"message", "PACKTERMSG\npic01.png,<b>hi</b>, there\n", []event.Event{{Kind: event.KindMessage, File: "pic01.png", Text: "<b>hi</b>, there"}}},
		{"html", "PACKTERHTML\n<i>x</i>\n", []event.Event{{Kind: event.KindHTML, Text: "<i>x</i>"}}},
		{"sky", "PACKTERSKYDOMETEXTURE\nnight.png\n", []event.Event{{Kind: event.KindSky, File: "night.png"}}},
		{"sound", "PACKTERSOUND\n30000,Detection.wav\n", []event.Event{{Kind: event.KindSound, File: "Detection.wav", Millis: 30000}}},
		{"earth left out", "PACKTEARTH\n35.6,139.7,51.5,-0.1,1,x\n", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			var d protocol.Datagram
			if err := protocol.Parse([]byte(c.wire), &d); err != nil {
				t.Fatal(err)
			}
			var got []event.Event
			DatagramEvents(&d, now, func(ev *event.Event) { got = append(got, *ev) })
			if len(got) != len(c.want) {
				t.Fatalf("got %d events, want %d: %+v", len(got), len(c.want), got)
			}
			for i, w := range c.want {
				g := got[i]
				if g.Kind != w.Kind || g.Flag != w.Flag || g.Model != w.Model || g.Desc != w.Desc || g.Text != w.Text || g.File != w.File || g.Millis != w.Millis || !g.Time.Equal(now) {
					t.Errorf("event %d = %+v, want %+v", i, g, w)
				}
			}
			if c.name == "bulk records" {
				if p := SenderPoint(&got[0]); p != BoardPoint(Sender, 167772161.0/(1<<32), 60000.0/65536) {
					t.Errorf("record 0 at %v", p)
				}
			}
		})
	}
}
