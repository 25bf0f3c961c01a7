package protocol

import (
	"bytes"
	"testing"
	"time"
)

// FuzzParse: any bytes parse or fail without panicking, and whatever parses
// re-encodes to something that parses to the same records.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"PACKTER\n192.168.1.1,10.0.0.1,49305,80,5,This is a test\n", // 2.5 single record
		"PACKTER\r\n1.2.3.4,5.6.7.8,1,2,3,d\r\n",                    // CRLF, as the paper writes
		"PACKTER\n1.1.1.1,2.2.2.2,1,2,0,a\n::1,::2,5,6,8,c\n",       // bulk with IPv6
		"PACKTER 1.1.1.1,2.2.2.2,1,2,0,a",                           // one-line form
		"PACKTER\n0.25,0.5,0.125,1.0,missile,flood\n",               // normalised + model flag
		"PACKTERWITHGATEWAY\n1.1.1.1,2.2.2.2,1,2,3.3.3.3,4,gw,1\n",  // gateway form
		"PACKTEARTH\n35.6,139.7,-33.9,151.2,2,quake\n",              // earth
		"PACKTERMSG\npic.png,<b>hi</b>, there\n",                    // message
		"PACKTERSOUND\n30000,Detection.wav\n",                       // sound
		"PACKTERSE\nse1.wav",                                        // se without final LF
		"PACKTERVOICE\n/T:1 /W: hello\n",                            // legacy voice options
		"PACKTERAGENT a1,1800000000," + string(bytes.Repeat([]byte("ab"), 32)) + "\nPACKTER\n1.1.1.1,2.2.2.2,1,2,3,d\n", // signed
		"PACKTER\n1.1.1.1,2.2.2.2,1\n",                // truncated record
		"PACKTER\n1.1.1.1,2.2.2.2,1,2,3,d\ngarbage\n", // bulk with a bad line
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Datagram
		if err := Parse(b, &d); err != nil {
			return
		}
		if len(d.Records) == 0 || d.Header == HeaderGateway {
			return
		}
		again := AppendPacket(nil, d.Records...)
		var d2 Datagram
		if err := Parse(again, &d2); err != nil {
			t.Fatalf("re-encoded %q does not parse: %v", again, err)
		}
		if len(d2.Records) != len(d.Records) {
			// Descriptions may hold a CR that encoding turns into a space; the
			// record count must survive regardless.
			t.Fatalf("%d records became %d: %q", len(d.Records), len(d2.Records), again)
		}
		_ = d.Verify([]byte("k"), time.Unix(1800000000, 0))
	})
}
