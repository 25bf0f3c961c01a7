package event

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unsafe"
)

func TestCleanText(t *testing.T) {
	if got := CleanText("a\x1b]0;x\x07b\u202e", MaxText).String(); got != "a]0;xb" {
		t.Errorf("CleanText = %q", got)
	}
	if got := CleanText("abcdefghij", 9).String(); got != "abcdef…" {
		t.Errorf("cut to %q", got)
	}
	var zero Text
	if !zero.Empty() || zero.String() != "" || !CleanText("\x1b\x07", 10).Empty() {
		t.Error("empty text not empty")
	}
	if CleanBytes(nil, 10) != zero || CleanBytes([]byte("\x00"), 10) != zero {
		t.Error("CleanBytes of nothing made text")
	}
	if got := CleanBytes([]byte("東京\x9b"), 100).String(); got != "東京\uFFFD" {
		t.Errorf("CleanBytes = %q", got)
	}
}

// Clean ASCII text, what most text is, is kept as it is: no copy, no
// allocation.
func TestCleanTextKeepsCleanText(t *testing.T) {
	s := strings.Repeat("TCP src:10.0.0.1(80) ", 10)
	if got := CleanText(s, MaxText).String(); unsafe.StringData(got) != unsafe.StringData(s) {
		t.Error("clean text was copied")
	}
	if n := testing.AllocsPerRun(100, func() { _ = CleanText(s, MaxText) }); n != 0 {
		t.Errorf("%v allocations per clean text", n)
	}
}

// Texts from an arena stay as they were while the arena goes on through
// many chunks.
func TestArena(t *testing.T) {
	var a Arena
	first := a.Clean([]byte("first\x1b[2J"), MaxDesc)
	var later []Text
	for i := range 5000 {
		later = append(later, a.CleanString(fmt.Sprintf("later %d %s\u009b", i, strings.Repeat("y", 40)), MaxDesc))
	}
	if first.String() != "first[2J" {
		t.Errorf("first = %q", first)
	}
	for i, l := range later {
		if want := fmt.Sprintf("later %d %s", i, strings.Repeat("y", 40)); l.String() != want {
			t.Fatalf("text %d = %q", i, l)
		}
	}
	if a.Clean(nil, 10) != (Text{}) || a.Clean([]byte("\x07"), 10) != (Text{}) {
		t.Error("arena made text of nothing")
	}
	long := a.Clean([]byte(strings.Repeat("z", 3*arenaChunk)), MaxText)
	if len(long.String()) != MaxText || !strings.HasSuffix(long.String(), "…") {
		t.Errorf("long text of %d bytes", len(long.String()))
	}
}

func TestTextEncodes(t *testing.T) {
	b, err := json.Marshal(struct{ D Text }{CleanText(`a "b"`, 10)})
	if err != nil || string(b) != `{"D":"a \"b\""}` {
		t.Errorf("json %s, %v", b, err)
	}
	if got := fmt.Sprintf("%v %s %q", CleanText("x", 1), CleanText("y", 1), CleanText("z", 1)); got != `x y "z"` {
		t.Errorf("formatted %s", got)
	}
	if v := CleanText("w", 1).LogValue(); v.String() != "w" {
		t.Errorf("log value %v", v)
	}
}

func BenchmarkCleanTextClean(b *testing.B) {
	s := "TCP src:192.168.10.22(33355) dst:93.184.216.34(443) [S.]"
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		_ = CleanText(s, MaxDesc)
	}
}
