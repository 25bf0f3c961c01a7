package speech

import (
	"os/exec"
	"strings"
	"testing"
)

// TestSpeakable is the table of phrases and what a listener hears. Counts and
// rates are rounded; identifiers are read exactly; hashes are never read.
func TestSpeakable(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"address", "SYN flood toward 10.1.2.3", "SYN flood toward ten dot one dot two dot three"},
		{"rate rounded", "12000 packets per second", "12 thousand packets per second"},
		{"rate with commas and address", "1,500,000 bytes from (10.0.0.1),", "1.5 million bytes from (ten dot zero dot zero dot one),"},
		{"rate per second suffix", "flood at 12345/s now", "flood at 12 thousand per second now"},
		{"rate after 'rate'", "rate 250000 observed", "rate 250 thousand observed"},
		{"a second", "12000 a second", "12 thousand a second"},
		{"AS path exact", "Traceback succeeded: the packet came from AS 64540, through AS 64510",
			"Traceback succeeded: the packet came from A S 64540, through A S 64510"},
		{"AS colon form", "Depth 1: found AS:65001", "Depth 1: found A S 65001"},
		{"AS glued", "origin AS4200000001.", "origin A S 4200000001."},
		{"as the word", "AS expected", "AS expected"},
		{"port exact", "TCP SYN from 10.0.0.1 port 59764 to 192.0.2.10 port 443",
			"TCP SYN from ten dot zero dot zero dot one port 59764 to one ninety-two dot zero dot two dot ten port 443"},
		{"addr:port", "scan of 10.0.0.1:22 now", "scan of ten dot zero dot zero dot one port 22 now"},
		{"v6 addr:port", "from [2001:db8::1]:443.", "from two zero zero one colon d b eight double colon one port 443."},
		{"identifier number exact", "signature 2001219 matched", "signature 2001219 matched"},
		{"big number without unit exact", "sequence 1,500,000 seen", "sequence 1,500,000 seen"},
		{"time and small numbers", "at 12:30 on port 8080, 1,23 items", "at 12:30 on port 8080, 1,23 items"},
		{"version and year", "version 1.2.3 and year 2026", "version 1.2.3 and year 2026"},
		{"md5 hash", "hash 9e107d9d372bb6826bd81d3542a419d6 seen", "hash ending 1 9 d 6 seen"},
		{"bare hash", "digest 9E107D9D372BB6826BD81D3542A42DFD", "digest hash ending 2 d f d"},
		{"0x hash", "id 0x9e107d9d372bb682", "id hash ending b 6 8 2"},
		{"traceback description", "TCP SYN 9e107d9d372bb6826bd81d3542a42dfd-192.0.2.1",
			"TCP SYN hash ending 2 d f d, traceback host one ninety-two dot zero dot two dot one"},
		{"traceback description with name", "9e107d9d372bb6826bd81d3542a42dfd-tc.example.net",
			"hash ending 2 d f d, traceback host tc.example.net"},
		{"short hash after 'hash'", "Trace launched for TCP SYN, hash 3c5e9a1b, sent to 127.0.0.1",
			"Trace launched for TCP SYN, hash ending 9 a 1 b, sent to one twenty-seven dot zero dot zero dot one"},
		{"long decimal identifier", "cookie 12345678901234567890", "cookie number ending 7 8 9 0"},
		{"long decimal count", "1234567890123456 bytes", "1235 trillion bytes"},
		{"word with digits", "abc12345 deadbeef", "abc12345 deadbeef"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Speakable(tc.in); got != tc.want {
				t.Errorf("Speakable(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestDefuse(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"hello [[h@l'oU]] world", "hello ((h@l'oU)) world"},
		{"[[volm 0]] quiet", "((volm 0)) quiet"},
		{"<speak>plain</speak>", "<speak>plain</speak>"},
		{"no brackets", "no brackets"},
	} {
		if got := Defuse(tc.in); got != tc.want {
			t.Errorf("Defuse(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// espeak-ng really does read [[…]] as phonemes (so the danger is not
// imagined), and it does not once the text is defused.
func TestEspeakPhonemeInjection(t *testing.T) {
	p := needEspeak(t)
	phonemes := func(text string) string {
		cmd := exec.Command(p, "-q", "-x", "--stdin")
		cmd.Stdin = strings.NewReader(text)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	const injected = "[[k'Il_:_:_:_:_:_:_:_:_:_:_:_:_:]]"
	raw := phonemes(injected)
	if !strings.HasPrefix(raw, "k'Il") {
		t.Fatalf("espeak-ng did not take phonemes from %q (%q): test premise wrong", injected, raw)
	}
	if got := phonemes(Defuse(injected)); strings.HasPrefix(got, "k'Il") {
		t.Errorf("defused text still read as phonemes: %q", got)
	}
}
