package intertrack

import (
	"bytes"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Message types this package speaks (the schema's Message_atype values).
const (
	TypeClientTraceRequest   = "ClientTraceRequest"
	TypeClientMessageIDReply = "ClientMessageIDReply"
	TypeClientTraceReply     = "ClientTraceReply"
)

// AS states (the schema's state_atype).
const (
	StateFound    = "found"
	StateNotFound = "notfound"
	StateError    = "error"
	StateReached  = "reached"
)

// AS statuses used by the decision point (a subset of ASStatus_atype).
const (
	StatusDestination = "Destination"
	StatusSource      = "Source"
	StatusTransit     = "Transit"
	StatusInternal    = "Internal"
	StatusNotFound    = "NotFound"
	StatusUnknown     = "Unknown"
)

// Limits on what a decoder accepts. A ClientTraceReply for a 64-AS path is
// about 20 KiB; anything much bigger is not a message we asked for.
const (
	MaxMessageSize = 64 << 10
	MaxASes        = 65 // depth 0..64
	MaxPacketDumps = 16
	maxTextField   = 1024
)

// DefaultTTL is the AS-hop budget PACKTER's TC puts in its requests.
const DefaultTTL = 16

// ErrMalformed wraps every decoding and validation failure.
var ErrMalformed = errors.New("intertrack: malformed message")

// Message is one InterTrackMessage. Exactly one of the body pointers is set,
// matching Type.
type Message struct {
	XMLName              xml.Name              `xml:"InterTrackMessage"`
	Type                 string                `xml:"type,attr"`
	ClientTraceRequest   *ClientTraceRequest   `xml:"ClientTraceRequest,omitempty"`
	ClientMessageIDReply *ClientMessageIDReply `xml:"ClientMessageIDReply,omitempty"`
	ClientTraceReply     *ClientTraceReply     `xml:"ClientTraceReply,omitempty"`
}

// TimeVal is the schema's sec/usec pair.
type TimeVal struct {
	Sec  uint32 `xml:"sec,attr"`
	Usec uint32 `xml:"usec,attr"`
}

// TimeValOf converts a time to a TimeVal (seconds truncated to 32 bits, as the schema).
func TimeValOf(t time.Time) TimeVal {
	return TimeVal{Sec: uint32(t.Unix()), Usec: uint32(t.Nanosecond() / 1000)}
}

// IPAddress is the schema's IPAddress: the address as text plus attributes.
type IPAddress struct {
	Version string `xml:"version,attr"`
	Block   string `xml:"block,attr"`
	Mask    int    `xml:"mask,attr"`
	Addr    string `xml:",chardata"`
}

// CoverArea is required inside an ITMID.
type CoverArea struct {
	IPVersion string `xml:"ipversion,attr"`
	Scope     string `xml:"scope,attr"`
}

// ITMID names an AS's InterTrack manager; the DP uses it to name ASes.
type ITMID struct {
	ASNumber  uint32    `xml:"ASNumber"`
	CoverArea CoverArea `xml:"CoverArea"`
}

// NodeID identifies a node: by IP (TC, DP) or ITMID (an AS).
type NodeID struct {
	IDType    string     `xml:"idtype,attr"`
	IPAddress *IPAddress `xml:"IPAddress,omitempty"`
	FQDN      string     `xml:"FQDN,omitempty"`
	ITMID     *ITMID     `xml:"ITMID,omitempty"`
	Other     string     `xml:"Other,omitempty"`
}

// Node is NeighborNode_type: SourceNode, DestinationNode, Origin.
type Node struct {
	NodeID NodeID `xml:"NodeID"`
}

// IPNode makes a Node with idtype IP for an address, filling the attributes
// PACKTER's TC sends.
func IPNode(a netip.Addr) Node {
	ip := &IPAddress{Version: "4", Block: blockOf(a), Mask: 32, Addr: a.String()}
	if a.Is6() && !a.Is4In6() {
		ip.Version, ip.Mask = "6", 128
	} else {
		ip.Addr = a.Unmap().String()
	}
	return Node{NodeID: NodeID{IDType: "IP", IPAddress: ip}}
}

func blockOf(a netip.Addr) string {
	switch {
	case a.IsLoopback():
		return "loopback"
	case a.IsPrivate():
		return "private"
	case a.IsLinkLocalUnicast():
		return "linklocal"
	case a.IsMulticast():
		return "multicast"
	}
	return "global"
}

// ASNode names an AS by number.
func ASNode(asn uint32) NodeID {
	return NodeID{IDType: "ITMID", ITMID: &ITMID{ASNumber: asn, CoverArea: CoverArea{IPVersion: "any", Scope: "global"}}}
}

// PacketDump carries the packet, here PACKTER's traceback hash (32 hex digits).
type PacketDump struct {
	EncodeType    string `xml:"encodetype,attr"`
	Header        string `xml:"header,attr"`
	IfType        uint16 `xml:"iftype,attr"`
	PayloadLength uint32 `xml:"PayloadLength,attr"`
	Data          string `xml:",chardata"`
}

// HashDump is the PacketDump PACKTER's TC sends for a hash.
func HashDump(hash [16]byte) PacketDump {
	return PacketDump{EncodeType: "md5", Header: "ip", IfType: 1, PayloadLength: 32, Data: hex.EncodeToString(hash[:])}
}

// Hash returns the MD5 a dump carries (encodetype md5, 32 hex digits, spaces trimmed).
func (p *PacketDump) Hash() ([16]byte, error) {
	var h [16]byte
	if !strings.EqualFold(p.EncodeType, "md5") {
		return h, fmt.Errorf("%w: PacketDump encodetype %q, want md5", ErrMalformed, p.EncodeType)
	}
	// PACKTER's TC sends the record's whole sixth field, `HASH-TCHOST`.
	d, _, _ := strings.Cut(strings.TrimSpace(p.Data), "-")
	return ParseHash(d)
}

// ParseHash parses 32 hex digits.
func ParseHash(s string) ([16]byte, error) {
	var h [16]byte
	if len(s) != 32 {
		return h, fmt.Errorf("%w: hash %q is not 32 hex digits", ErrMalformed, clip(s))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("%w: hash %q is not 32 hex digits", ErrMalformed, clip(s))
	}
	return h, nil
}

// PayloadHash is the schema's alternative to PacketDump.
type PayloadHash struct {
	EncodeType    string `xml:"encodetype,attr"`
	PayloadLength uint32 `xml:"PayloadLength,attr"`
	Data          string `xml:",chardata"`
}

// Option is one typed option; PACKTER's TC sends type="type" = PACKTER.
type Option struct {
	Type  string `xml:"type,attr"`
	Value string `xml:",chardata"`
}

// Options holds Option elements.
type Options struct {
	Option []Option `xml:"Option"`
}

// ClientTraceRequest is the TC's request (the paper's Figure 5).
type ClientTraceRequest struct {
	DestinationNode         Node         `xml:"DestinationNode"`
	SourceNode              Node         `xml:"SourceNode"`
	TemporarySequenceNumber TimeVal      `xml:"TemporarySequenceNumber"`
	TTL                     int          `xml:"TTL"`
	PacketDump              []PacketDump `xml:"PacketDump"`
	PayloadHash             *PayloadHash `xml:"PayloadHash,omitempty"`
	Options                 *Options     `xml:"Options,omitempty"`
}

// MessageID is the DP's name for an accepted trace.
type MessageID struct {
	Origin         Node    `xml:"Origin"`
	SequenceNumber TimeVal `xml:"SequenceNumber"`
}

// ClientMessageIDReply tells the TC its request was accepted.
type ClientMessageIDReply struct {
	SourceNode              Node      `xml:"SourceNode"`
	DestinationNode         Node      `xml:"DestinationNode"`
	TemporarySequenceNumber TimeVal   `xml:"TemporarySequenceNumber"`
	MessageID               MessageID `xml:"MessageID"`
	Options                 *Options  `xml:"Options,omitempty"`
}

// ClientTraceReply carries the result.
type ClientTraceReply struct {
	ExportType      string           `xml:"Export_type,attr"`
	SourceNode      Node             `xml:"SourceNode"`
	DestinationNode Node             `xml:"DestinationNode"`
	MessageID       MessageID        `xml:"MessageID"`
	AllResultExport *AllResultExport `xml:"AllResultExport,omitempty"`
	Options         *Options         `xml:"Options,omitempty"`
}

// AllResultExport holds the request's footmark and the inter-AS result.
type AllResultExport struct {
	ITMTraceRequest ITMTraceRequest `xml:"ITMTraceRequest"`
	ITMTraceReply   ITMTraceReply   `xml:"ITMTraceReply"`
}

// ITMTraceRequest echoes what was traced.
type ITMTraceRequest struct {
	FootmarkType    string      `xml:"Footmark_type,attr"`
	DestinationNode Node        `xml:"DestinationNode"`
	MessageID       MessageID   `xml:"MessageID"`
	TTL             int         `xml:"TTL"`
	ITMPathList     ITMPathList `xml:"ITMPathList"`
	Footmark        *Footmark   `xml:"Footmark,omitempty"`
}

// ITMPathList is required by the schema; the DP leaves it empty.
type ITMPathList struct{}

// Footmark is the packet and when it was seen.
type Footmark struct {
	PacketDump PacketDump `xml:"PacketDump"`
	TimeStamp  TimeVal    `xml:"TimeStamp"`
}

// ITMTraceReply holds the inter-AS result.
type ITMTraceReply struct {
	SourceNode         Node               `xml:"SourceNode"`
	MessageID          MessageID          `xml:"MessageID"`
	InterASTraceResult InterASTraceResult `xml:"InterASTraceResult"`
}

// InterASTraceResult is either a list of ASes or an error.
type InterASTraceResult struct {
	Degree    int        `xml:"degree,attr"`
	AS        []AS       `xml:"AS"`
	ErrorCode *ErrorCode `xml:"ErrorCode,omitempty"`
}

// AS is one AS on the reconstructed path.
type AS struct {
	Depth     int        `xml:"depth,attr"`
	Degree    int        `xml:"degree,attr"`
	State     string     `xml:"state,attr"`
	NodeID    NodeID     `xml:"NodeID"`
	ASStatus  ASStatus   `xml:"ASStatus"`
	ErrorCode *ErrorCode `xml:"ErrorCode,omitempty"`
}

// ASNumber returns the AS number of an ITMID-named AS, 0 otherwise.
func (a *AS) ASNumber() uint32 {
	if a.NodeID.ITMID == nil {
		return 0
	}
	return a.NodeID.ITMID.ASNumber
}

// ASStatus says what role the AS played.
type ASStatus struct {
	Type string `xml:"type,attr"`
}

// ErrorCode is the schema's error report.
type ErrorCode struct {
	ErrorType    string `xml:"errortype,attr"`
	ErrorMessage string `xml:"ErrorMessage,omitempty"`
}

// Encode renders a message as PACKTER's TC frames it: an XML declaration, then
// the root tags on lines of their own, ending in a newline.
func Encode(m *Message) ([]byte, error) {
	body, err := m.body()
	if err != nil {
		return nil, err
	}
	inner, err := xml.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("intertrack: encode %s: %w", m.Type, err)
	}
	var b bytes.Buffer
	b.Grow(len(inner) + 128)
	b.WriteString(xml.Header)
	b.WriteString(`<InterTrackMessage type="`)
	_ = xml.EscapeText(&b, []byte(m.Type))
	b.WriteString("\">\n")
	b.Write(inner)
	b.WriteString("\n</InterTrackMessage>\n")
	return b.Bytes(), nil
}

// body returns the one body element, named by Type.
func (m *Message) body() (any, error) {
	switch m.Type {
	case TypeClientTraceRequest:
		if m.ClientTraceRequest != nil {
			return m.ClientTraceRequest, nil
		}
	case TypeClientMessageIDReply:
		if m.ClientMessageIDReply != nil {
			return m.ClientMessageIDReply, nil
		}
	case TypeClientTraceReply:
		if m.ClientTraceReply != nil {
			return m.ClientTraceReply, nil
		}
	default:
		return nil, fmt.Errorf("%w: unsupported type %q", ErrMalformed, clip(m.Type))
	}
	return nil, fmt.Errorf("%w: type %s without its body", ErrMalformed, m.Type)
}

// Decode parses and validates one message (as the Framer returns it, with or
// without the XML declaration). It never panics and refuses anything larger
// than MaxMessageSize.
func Decode(b []byte) (*Message, error) {
	if len(b) > MaxMessageSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrMalformed, len(b), MaxMessageSize)
	}
	var m Message
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	d.CharsetReader = nil // only UTF-8 (and the declaration saying so)
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

func (m *Message) validate() error {
	set := 0
	for _, p := range []bool{m.ClientTraceRequest != nil, m.ClientMessageIDReply != nil, m.ClientTraceReply != nil} {
		if p {
			set++
		}
	}
	if set > 1 {
		return fmt.Errorf("%w: more than one body", ErrMalformed)
	}
	if _, err := m.body(); err != nil {
		return err
	}
	switch m.Type {
	case TypeClientTraceRequest:
		r := m.ClientTraceRequest
		if len(r.PacketDump) == 0 && r.PayloadHash == nil {
			return fmt.Errorf("%w: ClientTraceRequest without PacketDump or PayloadHash", ErrMalformed)
		}
		if len(r.PacketDump) > MaxPacketDumps {
			return fmt.Errorf("%w: %d PacketDumps, limit %d", ErrMalformed, len(r.PacketDump), MaxPacketDumps)
		}
		if r.TTL < 0 || r.TTL > 64 {
			return fmt.Errorf("%w: TTL %d outside 0..64", ErrMalformed, r.TTL)
		}
	case TypeClientTraceReply:
		r := m.ClientTraceReply
		if r.AllResultExport == nil {
			return nil // other exports are valid but carry nothing we read
		}
		res := &r.AllResultExport.ITMTraceReply.InterASTraceResult
		if len(res.AS) > MaxASes {
			return fmt.Errorf("%w: %d ASes, limit %d", ErrMalformed, len(res.AS), MaxASes)
		}
		if len(res.AS) == 0 && res.ErrorCode == nil {
			return fmt.Errorf("%w: InterASTraceResult with neither AS nor ErrorCode", ErrMalformed)
		}
		for i := range res.AS {
			a := &res.AS[i]
			if a.Depth < 0 || a.Depth > 64 {
				return fmt.Errorf("%w: AS depth %d outside 0..64", ErrMalformed, a.Depth)
			}
			switch a.State {
			case StateFound, StateNotFound, StateError, StateReached:
			default:
				return fmt.Errorf("%w: AS state %q", ErrMalformed, clip(a.State))
			}
		}
	}
	return nil
}

// clip shortens network-supplied text quoted in errors and logs.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// RequestHash returns the hash a request asks about (its first md5 PacketDump).
func (r *ClientTraceRequest) RequestHash() ([16]byte, error) {
	for i := range r.PacketDump {
		if h, err := r.PacketDump[i].Hash(); err == nil {
			return h, nil
		}
	}
	return [16]byte{}, fmt.Errorf("%w: request carries no md5 PacketDump", ErrMalformed)
}

// NewTraceRequest builds the request PACKTER's TC sends for a hash.
func NewTraceRequest(hash [16]byte, dp, tc netip.Addr, now time.Time) *Message {
	return &Message{Type: TypeClientTraceRequest, ClientTraceRequest: &ClientTraceRequest{
		DestinationNode:         IPNode(dp),
		SourceNode:              IPNode(tc),
		TemporarySequenceNumber: TimeValOf(now),
		TTL:                     DefaultTTL,
		PacketDump:              []PacketDump{HashDump(hash)},
		Options:                 &Options{Option: []Option{{Type: "type", Value: "PACKTER"}}},
	}}
}
