package protocol

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"time"
)

// MaxSkew is how far a signed datagram's timestamp may be from the receiver's
// clock, as PACKTER 3.0's broker checks it.
const MaxSkew = 300 * time.Second

// Authentication errors.
var (
	ErrUnsigned = errors.New("datagram is not signed")
	ErrBadMAC   = errors.New("HMAC does not match")
	ErrStale    = errors.New("timestamp outside the ±300 s window")
)

// AppendAgent prepends nothing: it appends to dst the PACKTERAGENT line for
// payload followed by payload. With an empty key the line carries the id only;
// with a key it is `PACKTERAGENT id,unixtime,hmac` where the HMAC-SHA256 covers
// "id,unixtime\n" + payload, exactly as PACKTER 3.0's agent signs.
func AppendAgent(dst []byte, id string, key []byte, now time.Time, payload []byte) []byte {
	dst = append(dst, "PACKTERAGENT "...)
	dst = append(dst, id...)
	if len(key) > 0 {
		ts := now.Unix()
		dst = append(dst, ',')
		dst = strconv.AppendInt(dst, ts, 10)
		dst = append(dst, ',')
		var sum [sha256.Size]byte
		mac(sum[:0], key, []byte(id), ts, payload)
		dst = hex.AppendEncode(dst, sum[:])
	}
	dst = append(dst, '\n')
	return append(dst, payload...)
}

func mac(dst, key, id []byte, ts int64, payload []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(id)
	var buf [24]byte
	b := append(buf[:0], ',')
	b = strconv.AppendInt(b, ts, 10)
	b = append(b, '\n')
	h.Write(b)
	h.Write(payload)
	return h.Sum(dst)
}

// Verify checks a parsed datagram's signature against key at time now:
// timestamp within MaxSkew, HMAC compared in constant time.
func (d *Datagram) Verify(key []byte, now time.Time) error {
	a := &d.Agent
	if !a.Present || a.MAC == nil {
		return ErrUnsigned
	}
	skew := now.Unix() - a.Time
	if skew > int64(MaxSkew/time.Second) || skew < -int64(MaxSkew/time.Second) {
		return ErrStale
	}
	var want, got [sha256.Size]byte
	mac(want[:0], key, a.ID, a.Time, a.Signed)
	if _, err := hex.Decode(got[:], a.MAC); err != nil {
		return ErrBadMAC
	}
	if !hmac.Equal(want[:], got[:]) {
		return ErrBadMAC
	}
	return nil
}
