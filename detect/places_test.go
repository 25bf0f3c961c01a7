package detect

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// fakePlaces places the victim in Germany and says what From was asked.
type fakePlaces struct {
	from  string
	asked []Kind
}

func (f *fakePlaces) In(a netip.Addr) string {
	if a == victim {
		return "Germany"
	}
	return ""
}

func (f *fakePlaces) From(k Kind) string { f.asked = append(f.asked, k); return f.from }

func TestAlertSaysPlaces(t *testing.T) {
	for _, tc := range []struct{ name, from, want string }{
		{"one country", "Brazil", "SYN flood toward 10.0.0.5 in Germany, mostly from Brazil, "},
		{"many", "12 countries, most from Brazil, China and India", "SYN flood toward 10.0.0.5 in Germany, from 12 countries, most from Brazil, China and India, "},
		{"sources unknown", "", "SYN flood toward 10.0.0.5 in Germany, 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(9, 9))
			ps := merge(normal(r, t0, 15*time.Second, 200), synFlood(t0.Add(10*time.Second), 3*time.Second, 2000))
			d := mustNew(t, "threshold")
			p := &fakePlaces{from: tc.from}
			if !SetPlaces(d, p) {
				t.Fatal("SetPlaces refused the package's own detector")
			}
			alerts, _ := run(d, ps)
			if len(alerts) != 1 {
				t.Fatalf("%d alerts", len(alerts))
			}
			if !strings.HasPrefix(alerts[0].Voice, tc.want) {
				t.Errorf("voice %q, want it to start %q", alerts[0].Voice, tc.want)
			}
			if !strings.Contains(alerts[0].Msg, "in Germany") {
				t.Errorf("message %q does not say the place", alerts[0].Msg)
			}
			if len(p.asked) != 1 || p.asked[0] != SYN {
				t.Errorf("From asked for %v, want the spoken kind SYN once", p.asked)
			}
		})
	}
	// Without Places the sentence is as before.
	r := rand.New(rand.NewPCG(9, 9))
	alerts, _ := run(mustNew(t, "threshold"), merge(normal(r, t0, 15*time.Second, 200), synFlood(t0.Add(10*time.Second), 3*time.Second, 2000)))
	if len(alerts) != 1 || strings.Contains(alerts[0].Voice, " in ") || strings.Contains(alerts[0].Voice, "from") {
		t.Errorf("no places: %+v", alerts)
	}
}
