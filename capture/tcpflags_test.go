package capture

import "testing"

func TestAppendTCPFlags(t *testing.T) {
	for _, c := range []struct {
		flags uint8
		want  string
	}{
		{TCPSyn, "[S]"},
		{TCPSyn | TCPAck, "[S.]"},
		{TCPRst | TCPAck, "[R.]"},
		{TCPFin | TCPAck, "[F.]"},
		{TCPAck, "[.]"},
		{0x08 | TCPAck, "[P.]"},
		{0, "[none]"},
		{0xff, "[FSRP.UEW]"},
	} {
		if got := string(AppendTCPFlags(nil, c.flags)); got != c.want {
			t.Errorf("flags %#x: %q, want %q", c.flags, got, c.want)
		}
	}
}
