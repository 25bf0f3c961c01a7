package speech

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "SYN flood toward 10.1.2.3", "SYN flood toward 10.1.2.3"},
		{"legacy prefix with space", "/T:1 /W: Traceback trial succeeded", "Traceback trial succeeded"},
		{"legacy prefix glued", "/T:1 /W:Launched IP traceback process", "Launched IP traceback process"},
		{"legacy other switches", "/T:1 /V:100 /W: hello", "hello"},
		{"lower-case switch", "/t:1 /w: hello", "hello"},
		{"only switches", "/T:1", ""},
		{"slash in text kept", "path /var/log is full", "path /var/log is full"},
		{"control bytes", "a\x00b\x07c\x1b[31md\x7f", "abc[31md"},
		{"newlines and tabs", "one\r\ntwo\tthree\n\n", "one two three"},
		{"bidi override", "evil\u202eexe.txt", "evilexe.txt"},
		{"invalid utf8", "caf\xc3\xa9 \xff\xfe ok", "café ok"},
		{"leading space", "   hi   there  ", "hi there"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Clean(tc.in); got != tc.want {
				t.Errorf("Clean(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestCleanLimits(t *testing.T) {
	huge := strings.Repeat("flood ", 100_000/6) // ~100 kB
	got := Clean(huge)
	if n := utf8.RuneCountInString(got); n > DefaultMaxChars || n < DefaultMaxChars-10 {
		t.Fatalf("Clean of 100 kB gave %d runes, want just under %d", n, DefaultMaxChars)
	}
	if !strings.HasSuffix(got, "flood") {
		t.Errorf("cut mid-word: %q", got[len(got)-20:])
	}
	// Multi-byte text is cut by runes and stays valid UTF-8.
	jp := Clean(strings.Repeat("攻撃", 1000))
	if !utf8.ValidString(jp) || utf8.RuneCountInString(jp) != DefaultMaxChars {
		t.Errorf("Japanese cut to %d runes (valid %v)", utf8.RuneCountInString(jp), utf8.ValidString(jp))
	}
	if got := clean("a b c d e f", 0); got != "a b c d e f" {
		t.Errorf("no limit: %q", got)
	}
}

func TestPlainHTML(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"tags dropped", "<b>Traceback</b> <i>succeeded</i>", "Traceback succeeded"},
		{"br is a pause", "Depth 1: AS 64500<br>Depth 2: AS 64501<BR/>done", "Depth 1: AS 64500. Depth 2: AS 64501. done"},
		{"paragraphs", "<p>one</p><p>two!</p><p>three</p>", "one. two! three."},
		{"entities", "R&amp;D &lt;lab&gt; caf&eacute; &#x41;&#66;", "R&D <lab> café AB"},
		{"script and style dropped", "<style>p{color:red}</style>hi<script>alert(1)</script> there", "hi there"},
		{"comments dropped", "a<!-- secret -->b", "a b"},
		{"table cells", "<table><tr><td>src</td><td>dst</td></tr></table>", "src, dst."},
		{"img alt ignored", `<img src="x.png" alt="pic">text`, "text"},
		{"broken markup", "<b unterminated text", ""},
		{"control chars", "a\x01<br>b", "a. b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PlainHTML(tc.in); got != tc.want {
				t.Errorf("PlainHTML(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestSayAddr(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"10.0.0.1", "ten dot zero dot zero dot one"},
		{"192.168.1.254", "one ninety-two dot one sixty-eight dot one dot two fifty-four"},
		{"100.64.200.205", "one hundred dot sixty-four dot two hundred dot two oh five"},
		{"172.16.13.99", "one seventy-two dot sixteen dot thirteen dot ninety-nine"},
		{"2001:db8::1", "two zero zero one colon d b eight double colon one"},
		{"::1", "double colon one"},
		{"fe80::1%eth0", "f e eight zero double colon one zone eth0"},
		{"[2001:DB8:0:0:1::]", "two zero zero one colon d b eight colon zero colon zero colon one double colon"},
		{"::ffff:10.0.0.1", "double colon f f f f colon ten dot zero dot zero dot one"},
		{"not-an-address", "not-an-address"},
	} {
		if got := SayAddr(tc.in); got != tc.want {
			t.Errorf("SayAddr(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSayCount(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0, "0"}, {7, "7"}, {2.5, "2.5"}, {42, "42"}, {999, "999"}, {999.4, "999"},
		{999.7, "1 thousand"}, {1000, "1 thousand"}, {1500, "1.5 thousand"},
		{12000, "12 thousand"}, {12345, "12 thousand"}, {120000, "120 thousand"},
		{999_999, "1 million"}, {1_500_000, "1.5 million"}, {2_000_000, "2 million"},
		{3.2e9, "3.2 billion"}, {7e12, "7 trillion"}, {-12000, "minus 12 thousand"},
	} {
		if got := SayCount(tc.in); got != tc.want {
			t.Errorf("SayCount(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzText feeds network-supplied text (PACKTERVOICE, PACKTERMSG HTML) through
// the hygiene functions: they never panic, and what comes out is valid UTF-8
// without control characters, within the length limit, and stable under a
// second cleaning.
func FuzzText(f *testing.F) {
	for _, s := range []string{
		"/T:1 /W: Traceback trial succeeded",
		"SYN flood toward 10.1.2.3, 12000 packets per second",
		"<b>Depth 1</b><br>AS 64500&amp;<script>x</script>",
		"scan from [2001:db8::1]:443 and ::ffff:10.0.0.1",
		"--help; $(touch x) `touch x`\x00\x1b[2J",
		"1,500,000 12,34 999999999999999999999",
		"from AS 64540, through AS:64510 AS4200000001 port 59764 12345/s",
		"9e107d9d372bb6826bd81d3542a42dfd-192.0.2.1 hash 3c5e 0x1234567890abcdef0",
		"[[k'Il]] [[volm 0]] ]]][[[",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Packter's own long answers are said in parts, each within the limit.
		q := &Queue{cfg: Config{MaxChars: 50}}
		parts := q.prepare(KindStatus, s)
		if len(parts) > maxParts {
			t.Fatalf("%d parts", len(parts))
		}
		for _, p := range parts {
			if n := utf8.RuneCountInString(p); n == 0 || n > 50 || !utf8.ValidString(p) {
				t.Fatalf("prepare(%q): part %q", s, p)
			}
		}
		for name, out := range map[string]string{
			"Clean":       Clean(s),
			"PlainHTML":   clean(PlainHTML(s), DefaultMaxChars),
			"Speakable":   Clean(Speakable(s)),
			"SayAddr":     SayAddr(s),
			"Clean(HTML)": Clean(PlainHTML(s)),
			"Defuse":      Defuse(Clean(Speakable(s))),
		} {
			if name == "Defuse" && strings.ContainsAny(out, "[]") {
				t.Fatalf("Defuse(%q) keeps a square bracket: %q", s, out)
			}
			if !utf8.ValidString(out) {
				t.Fatalf("%s(%q) is not UTF-8: %q", name, s, out)
			}
			if n := utf8.RuneCountInString(out); n > DefaultMaxChars {
				t.Fatalf("%s(%q): %d runes", name, s, n)
			}
			for _, r := range out {
				if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
					t.Fatalf("%s(%q) keeps %U", name, s, r)
				}
			}
			if again := Clean(out); again != out {
				t.Fatalf("%s(%q) = %q, cleaned again %q", name, s, out, again)
			}
		}
	})
}
