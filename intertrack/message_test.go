package intertrack

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

var testHash = [16]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10}

func TestRequestIsFigure5(t *testing.T) {
	now := time.Unix(1700000000, 123456000)
	b, err := Encode(NewTraceRequest(testHash, netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("192.0.2.7"), now))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	// The framing PACKTER's TC relies on: declaration, root tags on their own lines.
	if !strings.HasPrefix(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<InterTrackMessage type=\"ClientTraceRequest\">\n") ||
		!strings.HasSuffix(s, "\n</InterTrackMessage>\n") {
		t.Errorf("framing wrong:\n%s", s)
	}
	for _, want := range []string{
		`<DestinationNode><NodeID idtype="IP"><IPAddress version="4" block="loopback" mask="32">127.0.0.1</IPAddress></NodeID></DestinationNode>`,
		`<SourceNode><NodeID idtype="IP"><IPAddress version="4" block="global" mask="32">192.0.2.7</IPAddress></NodeID></SourceNode>`,
		`<TemporarySequenceNumber sec="1700000000" usec="123456"></TemporarySequenceNumber>`,
		`<TTL>16</TTL>`,
		`<PacketDump encodetype="md5" header="ip" iftype="1" PayloadLength="32">0123456789abcdeffedcba9876543210</PacketDump>`,
		`<Options><Option type="type">PACKTER</Option></Options>`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("request lacks %s\n%s", want, s)
		}
	}
	// Schema order: DestinationNode, SourceNode, TemporarySequenceNumber, TTL, PacketDump, Options.
	last := -1
	for _, el := range []string{"<DestinationNode>", "<SourceNode>", "<TemporarySequenceNumber", "<TTL>", "<PacketDump", "<Options>"} {
		i := strings.Index(s, el)
		if i <= last {
			t.Errorf("%s out of schema order", el)
		}
		last = i
	}
	m, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	h, err := m.ClientTraceRequest.RequestHash()
	if err != nil || h != testHash {
		t.Errorf("round trip hash = %x, %v", h, err)
	}
}

func TestDecodeReplyRoundTrip(t *testing.T) {
	d, _ := NewDP(DPConfig{Home: 65003, Agents: map[uint32]string{65003: "x"}})
	req := NewTraceRequest(testHash, netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.1"), time.Now()).ClientTraceRequest
	ack, _ := d.handle(t.Context(), netip.MustParseAddr("127.0.0.1"), req)
	for _, m := range []*Message{ack, {Type: TypeClientTraceReply, ClientTraceReply: &ClientTraceReply{
		ExportType: "AllResultExport",
		AllResultExport: &AllResultExport{
			ITMTraceRequest: ITMTraceRequest{FootmarkType: "Footmark", Footmark: &Footmark{PacketDump: HashDump(testHash)}},
			ITMTraceReply: ITMTraceReply{InterASTraceResult: InterASTraceResult{Degree: 100, AS: []AS{
				{Depth: 0, Degree: 100, State: StateFound, NodeID: ASNode(65003), ASStatus: ASStatus{StatusDestination}},
				{Depth: 1, Degree: 100, State: StateFound, NodeID: ASNode(65001), ASStatus: ASStatus{StatusSource}},
			}}},
		}}}} {
		b, err := Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("%s: %v\n%s", m.Type, err, b)
		}
		b2, _ := Encode(got)
		if !bytes.Equal(b, b2) {
			t.Errorf("%s: re-encoding differs:\n%s\n%s", m.Type, b, b2)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	big := "<InterTrackMessage type=\"ClientTraceRequest\">" + strings.Repeat(" ", MaxMessageSize) + "</InterTrackMessage>"
	for name, in := range map[string]string{
		"empty":         "",
		"not xml":       "hello",
		"unknown type":  `<InterTrackMessage type="Config"></InterTrackMessage>`,
		"no body":       `<InterTrackMessage type="ClientTraceRequest"></InterTrackMessage>`,
		"wrong body":    `<InterTrackMessage type="ClientTraceReply"><ClientTraceRequest><TTL>1</TTL><PacketDump encodetype="md5">x</PacketDump></ClientTraceRequest></InterTrackMessage>`,
		"no dump":       `<InterTrackMessage type="ClientTraceRequest"><ClientTraceRequest><TTL>1</TTL></ClientTraceRequest></InterTrackMessage>`,
		"ttl too big":   `<InterTrackMessage type="ClientTraceRequest"><ClientTraceRequest><TTL>65</TTL><PacketDump encodetype="md5">x</PacketDump></ClientTraceRequest></InterTrackMessage>`,
		"bad state":     `<InterTrackMessage type="ClientTraceReply"><ClientTraceReply Export_type="AllResultExport"><AllResultExport><ITMTraceReply><InterASTraceResult degree="1"><AS depth="0" degree="0" state="maybe"></AS></InterASTraceResult></ITMTraceReply></AllResultExport></ClientTraceReply></InterTrackMessage>`,
		"empty result":  `<InterTrackMessage type="ClientTraceReply"><ClientTraceReply Export_type="AllResultExport"><AllResultExport></AllResultExport></ClientTraceReply></InterTrackMessage>`,
		"too large":     big,
		"unclosed":      `<InterTrackMessage type="ClientTraceRequest"><ClientTraceRequest>`,
		"bad attr type": `<InterTrackMessage type="ClientTraceReply"><ClientTraceReply><AllResultExport><ITMTraceReply><InterASTraceResult degree="x"></InterASTraceResult></ITMTraceReply></AllResultExport></ClientTraceReply></InterTrackMessage>`,
	} {
		if _, err := Decode([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}

func TestPacketDumpHashAcceptsPACKTERField(t *testing.T) {
	// PACKTER's TC puts the record's whole sixth field in the dump.
	p := PacketDump{EncodeType: "md5", Data: " 0123456789ABCDEFfedcba9876543210-192.0.2.1 "}
	h, err := p.Hash()
	if err != nil || h != testHash {
		t.Fatalf("Hash = %x, %v", h, err)
	}
	if _, err := (&PacketDump{EncodeType: "sha1", Data: "0123456789abcdeffedcba9876543210"}).Hash(); err == nil {
		t.Error("sha1 dump accepted as md5")
	}
}

func frames(t *testing.T, r io.Reader, max int) ([]string, error) {
	t.Helper()
	f := NewFramer(r, max)
	var out []string
	for {
		b, err := f.Next()
		if err != nil {
			return out, err
		}
		out = append(out, string(b))
	}
}

func TestFramer(t *testing.T) {
	m1 := `<InterTrackMessage type="A">` + "\n<X/>\n" + `</InterTrackMessage>`
	m2 := `<InterTrackMessage type="B"><Y/></InterTrackMessage>`
	decl := "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	stream := decl + m1 + "\n" + decl + m2 + "\n" + "<InterTrackMessageX>not a start</InterTrackMessageX>\n" + decl + m1 + "\n"
	for name, r := range map[string]io.Reader{
		"whole":    strings.NewReader(stream),
		"one byte": iotest.OneByteReader(strings.NewReader(stream)),
		"half":     iotest.HalfReader(strings.NewReader(stream)),
	} {
		got, err := frames(t, r, 1024)
		if err != io.EOF {
			t.Errorf("%s: end err = %v, want EOF", name, err)
		}
		want := []string{m1, m2, m1}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s: frames\n%q\nwant\n%q", name, got, want)
		}
	}
}

func TestFramerLimits(t *testing.T) {
	long := `<InterTrackMessage type="A">` + strings.Repeat("x", 2000) + `</InterTrackMessage>`
	if _, err := frames(t, strings.NewReader(long), 1024); !errors.Is(err, ErrTooLarge) {
		t.Errorf("long message: %v, want ErrTooLarge", err)
	}
	// A never-ending message must fail without reading forever.
	endless := io.MultiReader(strings.NewReader(`<InterTrackMessage type="A">`), iotest.TimeoutReader(strings.NewReader(strings.Repeat("y", 1<<20))))
	if _, err := frames(t, endless, 1024); !errors.Is(err, ErrTooLarge) {
		t.Errorf("endless message: %v, want ErrTooLarge", err)
	}
	if _, err := frames(t, strings.NewReader(strings.Repeat("garbage ", 1000)), 1024); !errors.Is(err, ErrGarbage) {
		t.Errorf("garbage: %v, want ErrGarbage", err)
	}
	if _, err := frames(t, strings.NewReader(`<InterTrackMessage type="A"><X>`), 1024); err != io.ErrUnexpectedEOF {
		t.Errorf("cut message: %v, want ErrUnexpectedEOF", err)
	}
}

// A start tag cut by the read boundary right after its name must not be
// taken for a start before the next byte is known.
func TestFramerStartTagAtReadBoundary(t *testing.T) {
	in := `<InterTrackMessageX>no</InterTrackMessageX><InterTrackMessage type="A"></InterTrackMessage>`
	for n := 1; n < len(in); n++ {
		got, err := frames(t, &chunkReader{b: []byte(in), n: n}, 1024)
		if err != io.EOF || len(got) != 1 || got[0] != `<InterTrackMessage type="A"></InterTrackMessage>` {
			t.Fatalf("chunk %d: %q, %v", n, got, err)
		}
	}
}
