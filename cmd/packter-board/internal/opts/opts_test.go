package opts

import (
	"testing"
	"time"

	"github.com/packter/packter/protocol"
	"github.com/packter/packter/visual"
)

func TestDefaultsAgree(t *testing.T) {
	if DefaultFly != visual.DefaultFly || DefaultMaxBalls != visual.DefaultMaxBalls || DefaultBudget != visual.DefaultBudget || TracebackPort != protocol.TracebackPort {
		t.Fatal("a default here differs from package visual's or protocol's")
	}
}

func TestParse(t *testing.T) {
	o, err := Parse([]string{"--size", "800x600", "--fly", "1s", "-d", "--budget", "1000"})
	if err != nil || o.Width != 800 || o.Height != 600 || o.Fly != time.Second || !o.Debug || o.Budget != 1000 || !o.Vsync {
		t.Fatalf("%+v %v", o, err)
	}
	for _, bad := range [][]string{{"--nope"}, {"--size", "10x10"}, {"--fly", "0s"}, {"--measure", "1s"}, {"extra"}, {"--tc-port", "0"}, {"--budget", "-1"}} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
