package visual

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
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
