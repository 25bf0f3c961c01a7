package visual

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Control requests the board writes on its standard output, one JSON object
// per line, when the monitor feeds it (`packter monitor --board`): the user
// moved on the monitor's timeline.
//
//	{"cmd":"pause"}
//	{"cmd":"resume"}
//	{"cmd":"rewind","seconds":10}
//	{"cmd":"live"}
const (
	CmdPause  = "pause"  // freeze: stop sending new events until resume
	CmdResume = "resume" // continue from where the timeline was paused
	CmdRewind = "rewind" // step back Seconds and send the events from there again
	CmdLive   = "live"   // jump back to the present
)

// Request is one control request.
type Request struct {
	Cmd     string  `json:"cmd"`
	Seconds float64 `json:"seconds,omitempty"` // rewind only: > 0
}

// MaxRewind bounds a rewind request: PACKTER 3.0 keeps 5 minutes.
const MaxRewind = 3600.0

// ErrRequest is wrapped by every error of DecodeRequest.
var ErrRequest = errors.New("bad board request")

// AppendRequest appends r as one JSON line.
func AppendRequest(dst []byte, r Request) []byte {
	dst = append(dst, `{"cmd":`...)
	dst = strconv.AppendQuote(dst, r.Cmd)
	if r.Cmd == CmdRewind {
		dst = append(dst, `,"seconds":`...)
		dst = strconv.AppendFloat(dst, r.Seconds, 'f', -1, 64)
	}
	return append(dst, "}\n"...)
}

// DecodeRequest parses one line written by AppendRequest (surrounding space
// allowed) and checks it: a known command, and for rewind a finite number of
// seconds in (0, MaxRewind].
func DecodeRequest(line []byte) (Request, error) {
	var r Request
	if err := json.Unmarshal(line, &r); err != nil {
		return Request{}, fmt.Errorf("%w: %w", ErrRequest, err)
	}
	switch r.Cmd {
	case CmdPause, CmdResume, CmdLive:
		r.Seconds = 0
	case CmdRewind:
		if !(r.Seconds > 0) || r.Seconds > MaxRewind || math.IsInf(r.Seconds, 0) {
			return Request{}, fmt.Errorf("%w: rewind seconds %v out of (0, %v]", ErrRequest, r.Seconds, MaxRewind)
		}
	default:
		return Request{}, fmt.Errorf("%w: unknown cmd %q", ErrRequest, r.Cmd)
	}
	return r, nil
}

// CmdClock is the line the monitor writes to the board, among the journal
// lines of its feed, at every step that moves the picture: the timeline time
// to draw at, and where that is. Events sent after a reset line replace what
// is on screen.
//
//	{"cmd":"clock","time":"2026-01-02T15:04:05.123456789Z","speed":1,"live":true,"behind":0,"reset":false}
const CmdClock = "clock"

// Clock is where the monitor's timeline stands, as the board draws it.
type Clock struct {
	Time   time.Time // timeline time shown (the wall clock when live)
	Speed  float64   // 0 paused, 1 live or as recorded, more when fast
	Live   bool
	Behind uint64 // events between the position and live
	Reset  bool   // the position moved: clear the scene; the events in flight follow
	Past   bool   // the position is in history loaded from the stream
}

// MaxSpeed bounds a clock's speed.
const MaxSpeed = 1e6

var clockPrefix = []byte(`{"cmd":"clock"`)

// IsClockLine tells a clock line from a journal line in the monitor's feed.
func IsClockLine(line []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(line, " \t"), clockPrefix)
}

// AppendClock appends c as one JSON line.
func AppendClock(dst []byte, c Clock) []byte {
	dst = append(dst, clockPrefix...)
	dst = append(dst, `,"time":"`...)
	dst = c.Time.AppendFormat(dst, time.RFC3339Nano) // its own offset: UTC could carry it past year 9999
	dst = append(dst, `","speed":`...)
	dst = strconv.AppendFloat(dst, c.Speed, 'f', -1, 64)
	dst = append(dst, `,"live":`...)
	dst = strconv.AppendBool(dst, c.Live)
	dst = append(dst, `,"behind":`...)
	dst = strconv.AppendUint(dst, c.Behind, 10)
	dst = append(dst, `,"reset":`...)
	dst = strconv.AppendBool(dst, c.Reset)
	if c.Past {
		dst = append(dst, `,"past":true`...)
	}
	return append(dst, "}\n"...)
}

// DecodeClock parses one line written by AppendClock and checks it: a time,
// and a finite speed in [0, MaxSpeed].
func DecodeClock(line []byte) (Clock, error) {
	var w struct {
		Cmd    string   `json:"cmd"`
		Time   string   `json:"time"`
		Speed  *float64 `json:"speed"`
		Live   bool     `json:"live"`
		Behind uint64   `json:"behind"`
		Reset  bool     `json:"reset"`
		Past   bool     `json:"past"`
	}
	if err := json.Unmarshal(line, &w); err != nil {
		return Clock{}, fmt.Errorf("%w: clock: %w", ErrRequest, err)
	}
	if w.Cmd != CmdClock {
		return Clock{}, fmt.Errorf("%w: cmd %q is not %q", ErrRequest, w.Cmd, CmdClock)
	}
	t, err := time.Parse(time.RFC3339Nano, w.Time)
	if err != nil {
		return Clock{}, fmt.Errorf("%w: clock time: %w", ErrRequest, err)
	}
	if w.Speed == nil || !(*w.Speed >= 0 && *w.Speed <= MaxSpeed) {
		return Clock{}, fmt.Errorf("%w: clock speed missing or out of [0, %v]", ErrRequest, MaxSpeed)
	}
	return Clock{Time: t, Speed: *w.Speed, Live: w.Live, Behind: w.Behind, Reset: w.Reset, Past: w.Past}, nil
}
