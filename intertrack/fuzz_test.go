package intertrack

import (
	"bytes"
	"io"
	"net/netip"
	"testing"
	"time"
)

// FuzzDecode: the XML message decoder never panics, and whatever it accepts
// re-encodes and decodes to the same encoding.
func FuzzDecode(f *testing.F) {
	req, _ := Encode(NewTraceRequest(testHash, netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1"), time.Unix(1, 2)))
	f.Add(req)
	f.Add([]byte(`<InterTrackMessage type="ClientTraceReply"><ClientTraceReply Export_type="AllResultExport"><AllResultExport><ITMTraceReply><InterASTraceResult degree="100"><AS depth="0" degree="100" state="found"><NodeID idtype="ITMID"><ITMID><ASNumber>65003</ASNumber></ITMID></NodeID><ASStatus type="Destination"/></AS></InterASTraceResult></ITMTraceReply></AllResultExport></ClientTraceReply></InterTrackMessage>`))
	f.Add([]byte(`<InterTrackMessage type="ClientMessageIDReply"><ClientMessageIDReply><MessageID><SequenceNumber sec="1" usec="2"/></MessageID></ClientMessageIDReply></InterTrackMessage>`))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "aaaa">]><InterTrackMessage type="ClientTraceRequest">&a;</InterTrackMessage>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		enc, err := Encode(m)
		if err != nil {
			t.Fatalf("accepted message does not encode: %v", err)
		}
		m2, err := Decode(enc)
		if err != nil {
			t.Fatalf("re-decode: %v\n%s", err, enc)
		}
		enc2, _ := Encode(m2)
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("not stable:\n%s\n%s", enc, enc2)
		}
	})
}

// FuzzFramer: frames are within the limit, start and end with the root tags,
// and the framer ends (no endless loop) on any input.
func FuzzFramer(f *testing.F) {
	req, _ := Encode(NewTraceRequest(testHash, netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.1"), time.Unix(1, 2)))
	f.Add(append(append([]byte{}, req...), req...), uint8(3))
	f.Add([]byte("<InterTrackMessage><InterTrackMessage></InterTrackMessage></InterTrackMessage>"), uint8(1))
	f.Add([]byte("junk<InterTrackMessage\n>x</InterTrackMessage>junk<InterTrackMessage"), uint8(7))
	f.Fuzz(func(t *testing.T, b []byte, chunk uint8) {
		const max = 512
		var r io.Reader = bytes.NewReader(b)
		if chunk > 0 {
			r = &chunkReader{b: b, n: int(chunk)}
		}
		fr := NewFramer(r, max)
		for i := 0; ; i++ {
			m, err := fr.Next()
			if err != nil {
				return
			}
			if i > len(b) {
				t.Fatal("more frames than input bytes")
			}
			if len(m) > max || !bytes.HasPrefix(m, startTag) || !bytes.HasSuffix(m, endTag) {
				t.Fatalf("bad frame %q", m)
			}
		}
	})
}

type chunkReader struct {
	b []byte
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.n)], c.b)
	c.b = c.b[n:]
	return n, nil
}

// FuzzParseTraceDatagram: what the TC reads from the network.
func FuzzParseTraceDatagram(f *testing.F) {
	f.Add([]byte("PACKTER\n10.0.0.1,10.0.0.2,1,2,3,0123456789abcdeffedcba9876543210-127.0.0.1\n"))
	f.Add([]byte("0123456789abcdeffedcba9876543210"))
	f.Add([]byte("a,b,c,d,e,f,g"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseTraceDatagram(b)
	})
}

// FuzzDigestProtocol: both sides of the digest query protocol.
func FuzzDigestProtocol(f *testing.F) {
	f.Add([]byte("QUERY 0123456789abcdeffedcba9876543210 0 0\n"))
	f.Add([]byte("SEEN 65001\n"))
	f.Add([]byte("AS\n"))
	s := NewDigestStore(DigestConfig{Capacity: 10, Windows: 1})
	s.Insert(testHash, time.Now())
	f.Fuzz(func(t *testing.T, b []byte) {
		r := AnswerDigestQuery(b, 7, s)
		if len(r) == 0 || r[len(r)-1] != '\n' || bytes.Count(r, []byte("\n")) != 1 {
			t.Fatalf("reply %q is not one line", r)
		}
		_, _ = ParseDigestReply(b)
	})
}
