package collect

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// ErrNotAlert is returned by ParseEVE for EVE events other than alerts (flow,
// stats, dns, ...): not malformed, just not ours.
var ErrNotAlert = errors.New("not an alert event")

// maxEVELine bounds one EVE JSON line; longer lines are discarded.
const maxEVELine = 1 << 20

// EVEAlert is one Suricata EVE alert event.
type EVEAlert struct {
	Time               time.Time // zero when the event had none we could read
	Src, Dst           netip.Addr
	SPort, DPort       uint16
	Proto              uint8
	ICMPType, ICMPCode uint8
	Signature          string
	SID, GID, Rev      uint32
	Severity           int // 1 is the most severe; 0 when absent
	Category           string
}

type eveJSON struct {
	Timestamp string          `json:"timestamp"`
	EventType string          `json:"event_type"`
	SrcIP     string          `json:"src_ip"`
	SrcPort   uint16          `json:"src_port"`
	DestIP    string          `json:"dest_ip"`
	DestPort  uint16          `json:"dest_port"`
	Proto     json.RawMessage `json:"proto"`
	ICMPType  uint8           `json:"icmp_type"`
	ICMPCode  uint8           `json:"icmp_code"`
	Alert     *struct {
		Signature   string `json:"signature"`
		SignatureID uint32 `json:"signature_id"`
		GID         uint32 `json:"gid"`
		Rev         uint32 `json:"rev"`
		Severity    int    `json:"severity"`
		Category    string `json:"category"`
	} `json:"alert"`
}

// ParseEVE decodes one EVE JSON line. Events of other types give ErrNotAlert.
func ParseEVE(line []byte, a *EVEAlert) error {
	var j eveJSON
	if err := json.Unmarshal(line, &j); err != nil {
		return fmt.Errorf("eve: %w", err)
	}
	if j.EventType != "alert" {
		return ErrNotAlert
	}
	if j.Alert == nil {
		return fmt.Errorf("eve: alert event without alert object: %w", ErrFormat)
	}
	src, err := netip.ParseAddr(j.SrcIP)
	if err != nil {
		return fmt.Errorf("eve src_ip: %w", err)
	}
	dst, err := netip.ParseAddr(j.DestIP)
	if err != nil {
		return fmt.Errorf("eve dest_ip: %w", err)
	}
	*a = EVEAlert{
		Src: src.Unmap(), Dst: dst.Unmap(), SPort: j.SrcPort, DPort: j.DestPort,
		Proto: eveProto(j.Proto), ICMPType: j.ICMPType, ICMPCode: j.ICMPCode,
		Signature: j.Alert.Signature, SID: j.Alert.SignatureID, GID: j.Alert.GID,
		Rev: j.Alert.Rev, Severity: j.Alert.Severity, Category: j.Alert.Category,
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999-0700", j.Timestamp); err == nil {
		a.Time = t
	} else if t, err := time.Parse(time.RFC3339Nano, j.Timestamp); err == nil {
		a.Time = t
	}
	return nil
}

// eveProto reads Suricata's proto: a name ("TCP", "IPv6-ICMP") or, for
// protocols it has no name for, the number (as a string or a number).
func eveProto(raw json.RawMessage) uint8 {
	s := strings.Trim(string(raw), `"`)
	switch strings.ToUpper(s) {
	case "TCP":
		return 6
	case "UDP":
		return 17
	case "ICMP":
		return 1
	case "IPV6-ICMP", "ICMPV6":
		return 58
	case "SCTP":
		return 132
	case "GRE":
		return 47
	case "ESP":
		return 50
	}
	if n, err := strconv.ParseUint(s, 10, 8); err == nil {
		return uint8(n)
	}
	return 0
}

// Description is `Incident:SIGNATURE sid:N gen:N rev:N`, as for Snort alerts.
func (a *EVEAlert) Description() string {
	return string(appendIncident(make([]byte, 0, 64+len(a.Signature)), a.Signature, a.SID, a.GID, a.Rev))
}

// Flow is the alert as a flow record for the sink.
func (a *EVEAlert) Flow() Flow {
	return Flow{
		Time: a.Time, Src: a.Src, Dst: a.Dst, SPort: a.SPort, DPort: a.DPort,
		Proto: a.Proto, ICMPType: a.ICMPType, ICMPCode: a.ICMPCode,
		Packets: 1, Desc: a.Description(),
	}
}

// Spoken is the text of a spoken alert: short, no numbers to spell out.
func (a *EVEAlert) Spoken() string {
	return fmt.Sprintf("Intrusion alert, severity %d: %s, from %s", a.Severity, a.Signature, a.Src)
}
