package capture

// Cause is why a frame gave no record, for counting by cause.
type Cause uint8

// Causes, in the order Causes.Each reports them.
const (
	CauseNone        Cause = iota // decoded
	CauseNotIP                    // not IP (ARP, LLDP, 802.11 management, …)
	CauseProtocol                 // IP, but nothing PACKTER draws (OSPF, GRE keepalives, …)
	CauseEncrypted                // MACsec or protected 802.11
	CauseUnknownLink              // a link type we do not decode
	CauseShort                    // truncated headers
	CauseMalformed                // lengths or fields that make no sense
	CauseTooDeep                  // tunnels nested past the bound
	CauseOther                    // an error from outside this package
	NumCauses
)

var causeNames = [NumCauses]string{"ok", "not_ip", "protocol", "encrypted", "unknown_link", "truncated", "malformed", "too_deep", "other"}

func (c Cause) String() string {
	if c < NumCauses {
		return causeNames[c]
	}
	return "other"
}

// Bad reports whether the cause means a damaged packet.
func (c Cause) Bad() bool { return c >= CauseUnknownLink }

// CauseOf maps Decode's error to its cause.
func CauseOf(err error) Cause {
	switch err {
	case nil:
		return CauseNone
	case ErrNotIP:
		return CauseNotIP
	case ErrProtocol:
		return CauseProtocol
	case ErrEncrypted:
		return CauseEncrypted
	case ErrUnknownLink:
		return CauseUnknownLink
	case ErrShort:
		return CauseShort
	case ErrMalformed:
		return CauseMalformed
	case ErrTooDeep:
		return CauseTooDeep
	}
	return CauseOther
}

// Causes counts Decode's outcomes by cause. The zero value is ready; it is
// not safe for concurrent use (each capture loop keeps its own).
type Causes [NumCauses]uint64

// Add counts one outcome and returns its cause.
func (c *Causes) Add(err error) Cause {
	k := CauseOf(err)
	c[k]++
	return k
}

// Each calls fn for every cause counted at least once, in declaration order.
func (c *Causes) Each(fn func(cause Cause, n uint64)) {
	for k, n := range c {
		if n != 0 {
			fn(Cause(k), n)
		}
	}
}
