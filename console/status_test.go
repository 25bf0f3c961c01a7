package console

import (
	"strings"
	"testing"
)

// Another input's status (which NATS sites are heard) is in `i` and on screen.
func TestExtraStatus(t *testing.T) {
	r := newRig(t, 3, false)
	r.c.extra = func() string { return "sites: tokyo (2 s ago), osaka (now)" }
	notes, _ := r.press("i")
	if got := lastOf(notes, noteAnnounce); !strings.HasSuffix(got, ". sites: tokyo (2 s ago), osaka (now)") {
		t.Errorf("status %q", got)
	}
}
