package main

import (
	"strings"
	"testing"
)

// An agent reached over NATS needs --nats; the flags are there.
func TestDPNATSFlags(t *testing.T) {
	_, e, code := packter(t, "dp", "--home", "65001", "--agent", "65001=nats:65001")
	if code != 2 || !strings.Contains(e, "needs --nats") {
		t.Errorf("nats agent without --nats: exit %d, %q", code, e)
	}
	out, _, code := packter(t, "dp", "--help")
	if code != 0 || !strings.Contains(out, "-nats-creds") {
		t.Errorf("dp --help lacks the NATS flags: %q", out)
	}
}
