package event

import (
	"log/slog"
	"strings"
	"unsafe"
)

// Text is text that came from outside the process (a datagram, a file, a
// flow export, an IDS alert, a traceback answer) made safe to print on a
// terminal, speak or log: every way to make one cleans it (AppendClean), so
// an output that is handed a Text cannot be handed a control character.
// The zero Text is empty.
type Text struct{ s string }

// String is the cleaned text.
func (t Text) String() string { return t.s }

// Empty reports whether there is no text.
func (t Text) Empty() bool { return t.s == "" }

// Clone is a copy with bytes of its own: a Text may view an Arena chunk, and
// a long-lived copy should not keep the whole chunk alive.
func (t Text) Clone() Text { return Text{strings.Clone(t.s)} }

// LogValue logs the cleaned text as a plain string.
func (t Text) LogValue() slog.Value { return slog.StringValue(t.s) }

// MarshalText lets encoders (the journal's JSON) write it as a string.
func (t Text) MarshalText() ([]byte, error) { return []byte(t.s), nil }

// CleanText cleans s into a Text of at most max bytes. Text that is already
// clean and short enough is kept as it is, without a copy.
func CleanText(s string, max int) Text {
	if len(s) <= max && printableRun(unsafe.Slice(unsafe.StringData(s), len(s))) == len(s) {
		return Text{s}
	}
	return Text{string(AppendClean(nil, []byte(s), max))}
}

// CleanBytes cleans b into a new Text of at most max bytes.
func CleanBytes(b []byte, max int) Text {
	if len(b) == 0 {
		return Text{}
	}
	c := AppendClean(make([]byte, 0, min(len(b), max)+3), b, max)
	if len(c) == 0 {
		return Text{}
	}
	return Text{unsafe.String(&c[0], len(c))}
}

// Arena cleans text into chunks that are written once and never reused, so
// many short Texts cost one allocation per chunk and each stays valid and
// unchanged for as long as anyone holds it; a full chunk is left to the
// garbage collector and a new one started. One goroutine uses an Arena.
type Arena struct{ buf []byte }

const arenaChunk = 16 << 10

// Clean cleans b (at most limit bytes) into the arena.
func (a *Arena) Clean(b []byte, limit int) Text {
	if len(b) == 0 {
		return Text{}
	}
	// Room for clean text and a cut's "…"; invalid bytes grow into U+FFFD,
	// and then append moves on to a new array, which is as safe.
	need := min(len(b), limit) + 3
	if cap(a.buf)-len(a.buf) < need {
		a.buf = make([]byte, 0, max(arenaChunk, need))
	}
	start := len(a.buf)
	a.buf = AppendClean(a.buf, b, limit)
	s := a.buf[start:len(a.buf):len(a.buf)]
	if len(s) == 0 {
		return Text{}
	}
	return Text{unsafe.String(&s[0], len(s))}
}

// CleanString is Clean for a string.
func (a *Arena) CleanString(s string, limit int) Text {
	return a.Clean(unsafe.Slice(unsafe.StringData(s), len(s)), limit)
}
