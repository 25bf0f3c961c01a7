package event

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAppendClean(t *testing.T) {
	for _, c := range []struct {
		name, in, want string
		max            int
	}{
		{"plain", "TCP src:10.0.0.1(80)", "TCP src:10.0.0.1(80)", 100},
		{"title OSC", "a\x1b]0;pwned\x07b", "a]0;pwnedb", 100},
		{"clipboard OSC 52", "\x1b]52;c;cm0gLXJmIH4=\x07", "]52;c;cm0gLXJmIH4=", 100},
		{"CSI", "\x1b[2J\x1b[1;1Hx", "[2J[1;1Hx", 100},
		{"C1 CSI", "a\u009b2Jb", "a2Jb", 100},
		{"bidi override", "evil\u202Egnp.exe", "evilgnp.exe", 100},
		{"isolate and mark", "a\u2066b\u2069c\u200Fd", "abcd", 100},
		{"newlines", "line1\nline2\r\tend", "line1 line2  end", 100},
		{"DEL and NUL", "a\x7fb\x00c", "abc", 100},
		{"invalid UTF-8", "a\xffb", "a\uFFFDb", 100},
		{"Japanese kept", "東京 から", "東京 から", 100},
		{"cut ASCII", "abcdefghij", "abcdef…", 9},
		{"exactly max", "abcdefghij", "abcdefghij", 10},
		{"cut on a rune boundary", "ab東京", "ab…", 7},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := string(AppendClean(nil, []byte(c.in), c.max))
			if got != c.want {
				t.Errorf("AppendClean(%q) = %q, want %q", c.in, got, c.want)
			}
			if Clean(c.in, c.max) != c.want {
				t.Errorf("Clean(%q) = %q, want %q", c.in, Clean(c.in, c.max), c.want)
			}
		})
	}
}

func FuzzAppendClean(f *testing.F) {
	for _, s := range []string{"plain", "\x1b]52;c;x\x07", "\u009b", "\u202e", "東京", "\xff\xfe", strings.Repeat("a", 300)} {
		f.Add([]byte(s), 64)
	}
	f.Fuzz(func(t *testing.T, b []byte, max int) {
		max = max%2048 + 1
		if max < 1 {
			max = -max + 1
		}
		out := AppendClean([]byte("prefix"), b, max)
		if string(out[:6]) != "prefix" {
			t.Fatal("prefix changed")
		}
		got := out[6:]
		if len(got) > max {
			t.Fatalf("%d bytes out for max %d", len(got), max)
		}
		if !utf8.Valid(got) {
			t.Fatalf("invalid UTF-8 out: %q", got)
		}
		for _, r := range string(got) {
			if r < 0x20 || r == 0x7F || unsafeRune(r) {
				t.Fatalf("control %U passed: %q", r, got)
			}
		}
		if again := AppendClean(nil, got, max); string(again) != string(got) {
			t.Fatalf("not idempotent: %q then %q", got, again)
		}
	})
}

// printableRun agrees with a byte-by-byte scan on every byte value at every
// position of an eight-byte word and beyond.
func TestPrintableRun(t *testing.T) {
	slow := func(b []byte) int {
		n := 0
		for n < len(b) && b[n] >= 0x20 && b[n] < 0x7F {
			n++
		}
		return n
	}
	for v := 0; v < 256; v++ {
		for pos := 0; pos < 20; pos++ {
			b := []byte(strings.Repeat("a", 20))
			b[pos] = byte(v)
			if got, want := printableRun(b), slow(b); got != want {
				t.Fatalf("byte %#x at %d: %d, want %d", v, pos, got, want)
			}
		}
	}
}

func BenchmarkAppendClean(b *testing.B) {
	src := []byte("TCP src:192.168.10.22(33355) dst:93.184.216.34(443) [S.]")
	dst := make([]byte, 0, 256)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		dst = AppendClean(dst[:0], src, MaxDesc)
	}
}
