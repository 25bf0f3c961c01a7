// Package protocol is the PACKTER wire codec: pure functions from datagram bytes to
// typed values and back, byte-compatible with PACKTER 2.5 and 3.0 agents and viewers,
// plus the UDP sender and listener that carry them.
package protocol

import (
	"math"
	"net/netip"
	"strconv"
)

// Port numbers PACKTER uses.
const (
	ViewerPort    = 11300 // agents send here
	TracebackPort = 11301 // the viewer sends a selected record to the traceback client here
)

// FloodModel is the FLAG our agents send for flood records: a model name, not a
// number, as PACKTER selects its missile picture by model file name.
const FloodModel = "missile"

// Addr is a record's SRC or DST: an IP address, or a value the sender already
// normalised to [0,1) (PACKTER 3.0 accepts both).
type Addr struct {
	IP   netip.Addr
	Norm float64 // meaningful when IP is not valid
}

// AddrFrom wraps an IP address.
func AddrFrom(ip netip.Addr) Addr { return Addr{IP: ip} }

// NormAddr wraps an already normalised coordinate.
func NormAddr(v float64) Addr { return Addr{Norm: v} }

// IsIP reports whether the address is an IP literal rather than a normalised value.
func (a Addr) IsIP() bool { return a.IP.IsValid() }

// Normalized is the paper's x coordinate: IPv4 / 2^32, IPv6 / 2^128, or the value
// the sender gave. IPv4-mapped IPv6 addresses count as IPv6 (they were sent so).
func (a Addr) Normalized() float64 {
	if !a.IP.IsValid() {
		return a.Norm
	}
	if a.IP.Is4() {
		b := a.IP.As4()
		v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		return float64(v) / (1 << 32)
	}
	b := a.IP.As16()
	hi := uint64(0)
	lo := uint64(0)
	for i := 0; i < 8; i++ {
		hi = hi<<8 | uint64(b[i])
		lo = lo<<8 | uint64(b[8+i])
	}
	// hi/2^64 + lo/2^128, in float64: the low half adds at most 2^-64.
	v := float64(hi)/math.Exp2(64) + float64(lo)/math.Exp2(128)
	if v >= 1 { // rounding of hi near 2^64
		v = math.Nextafter(1, 0)
	}
	return v
}

// AppendText appends the address as it goes on the wire.
func (a Addr) AppendText(b []byte) []byte {
	if a.IP.Is4() {
		return appendIPv4(b, a.IP.As4())
	}
	if a.IP.IsValid() {
		return a.IP.AppendTo(b)
	}
	return strconv.AppendFloat(b, a.Norm, 'f', -1, 64)
}

func (a Addr) String() string { return string(a.AppendText(nil)) }

// Port is a record's SPORT or DPORT: an integer (a TCP/UDP port, or for ICMP
// `type*256` and `code*256`), or a value already normalised to [0,1].
type Port struct {
	Value  uint32
	Norm   float64
	IsNorm bool
}

// PortFrom wraps an integer port field.
func PortFrom(v uint32) Port { return Port{Value: v} }

// ICMPPorts returns the port fields PACKTER's agents send for an ICMP message:
// type*256 and code*256, so that value/2^16 equals type/2^8 as the paper describes.
func ICMPPorts(typ, code uint8) (Port, Port) {
	return Port{Value: uint32(typ) * 256}, Port{Value: uint32(code) * 256}
}

// Normalized is the paper's y coordinate: port / 2^16 (which is type / 2^8 for
// ICMP), or the value the sender gave.
func (p Port) Normalized() float64 {
	if p.IsNorm {
		return p.Norm
	}
	return float64(p.Value) / 65536
}

// AppendText appends the port field as it goes on the wire.
func (p Port) AppendText(b []byte) []byte {
	if p.IsNorm {
		return strconv.AppendFloat(b, p.Norm, 'f', -1, 64)
	}
	return appendUint(b, p.Value)
}

// appendIPv4 is netip's dotted quad, without its generality: the hot path of
// every description and record the agent writes.
func appendIPv4(b []byte, ip [4]byte) []byte {
	b = append(b, octets[ip[0]]...)
	b = append(b, '.')
	b = append(b, octets[ip[1]]...)
	b = append(b, '.')
	b = append(b, octets[ip[2]]...)
	b = append(b, '.')
	return append(b, octets[ip[3]]...)
}

// octets holds the decimal text of 0..255 (read-only).
var octets = func() (t [256]string) {
	for i := range t {
		t[i] = strconv.Itoa(i)
	}
	return t
}()

func appendUint(b []byte, v uint32) []byte {
	if v < 10 {
		return append(b, byte('0'+v))
	}
	var buf [10]byte
	i := len(buf)
	for v > 0 {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, buf[i:]...)
}

// Record is one flying object: `SRC,DST,SPORT,DPORT,FLAG,DESCRIPTION`, or the
// 8-field PACKTERWITHGATEWAY form. Byte slices alias the parsed datagram: copy
// what you keep.
type Record struct {
	Src, Dst     Addr
	SPort, DPort Port
	Flag         int
	Model        []byte // FLAG when it names a model rather than a number
	Desc         []byte

	// PACKTERWITHGATEWAY only.
	Gateway     Addr
	GatewayPort Port
	HasGateway  bool
}

// EarthRecord is PACKTEARTH's `LAT,LON,LAT,LON,FLAG,DESCRIPTION`.
type EarthRecord struct {
	Lat1, Lon1, Lat2, Lon2 float64
	Flag                   int
	Model                  []byte
	Desc                   []byte
}
