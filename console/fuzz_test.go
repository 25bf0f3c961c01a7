package console

import (
	"strings"
	"testing"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/packter/packter/event"
)

// FuzzReadKeys: any bytes on the key input (a terminal, pipe or file) become
// keys without a panic, and the reader ends when the input does.
func FuzzReadKeys(f *testing.F) {
	f.Add([]byte("jjT\n"), true)                       // keys on a line from a pipe
	f.Add([]byte("\x1b[A\x1b[B\x1b[C\x1b[D"), false)   // arrows
	f.Add([]byte("\x1b[1~\x1b[4~\x1bOH\x1b"), false)   // home, end, lone escape
	f.Add([]byte("/10.0.0.1\x7f\x7f\r"), false)        // a search with backspaces
	f.Add([]byte("\xc3\xa9\xff\xfe\x00\x03"), true)    // UTF-8, invalid bytes, NUL, ^C
	f.Add([]byte("\x1b[999999999999999999999"), false) // an unterminated sequence
	f.Fuzz(func(t *testing.T, in []byte, lines bool) {
		ch := make(chan tea.KeyMsg, len(in)+1)
		readKeys(strings.NewReader(string(in)), lines, ch)
		n := 0
		for k := range ch {
			n++
			if k.Type == tea.KeyRunes && (len(k.Runes) != 1 || !utf8.ValidRune(k.Runes[0])) {
				t.Fatalf("key with runes %q", k.Runes)
			}
		}
		if n > len(in) {
			t.Fatalf("%d keys from %d bytes", n, len(in))
		}
	})
}

// FuzzParseFilter: any typed filter parses or fails cleanly, and matching
// with it never panics.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"tcp syn", "flag:3 10.0.0.0/8", "port:80 v6", "addr:2001:db8::1", "flag:-1", "port:99999", "syn udp", "::/0 words"} {
		f.Add(s)
	}
	evs := []event.Event{
		pkt("10.0.0.1", "127.0.0.1", 60000, 80, 1, "desc"),
		pkt("2001:db8::1", "2001:db8::2", 1, 53, 8, "0123456789abcdef0123456789abcdef-tc"),
		{Kind: event.KindMessage, Text: "x"},
	}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := ParseFilter(s)
		if err != nil {
			return
		}
		for i := range evs {
			flt.Match(&evs[i])
		}
	})
}
