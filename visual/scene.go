package visual

import (
	"fmt"
	"math"

	"github.com/packter/packter/event"
)

// Scene geometry, in board units. The sender board stands at X = -BoardGap,
// the receiver board at X = +BoardGap, both facing the middle; on each board
// the address runs along Z (0 at the back, 1 at the front) and the port
// along Y (0 at the bottom, 1 at the top), as in the paper's Figure 1.
const (
	BoardSize  = 200.0
	BoardGap   = 120.0
	BallRadius = 2.0 // scene units
	// MinPickPixels is how close (in pixels) a click must come to a small,
	// far ball to pick it.
	MinPickPixels = 6.0
)

// Board names a board.
type Board uint8

const (
	Sender Board = iota
	Receiver
)

func (b Board) String() string {
	if b == Receiver {
		return "receiver"
	}
	return "sender"
}

// BoardPoint maps normalised coordinates (x = address, y = port, both in
// [0,1]; out-of-range and NaN values are clamped) to the scene.
func BoardPoint(b Board, x, y float64) Vec3 {
	x, y = clamp01(x), clamp01(y)
	px := float32(-BoardGap)
	if b == Receiver {
		px = BoardGap
	}
	return Vec3{px, float32((y - 0.5) * BoardSize), float32((x - 0.5) * BoardSize)}
}

func clamp01(v float64) float64 {
	if !(v > 0) { // also NaN
		return 0
	}
	if v > 1 {
		return 1
	}
	return v
}

// SenderPoint is where a record's ball appears: (src address, src port).
func SenderPoint(ev *event.Event) Vec3 {
	return BoardPoint(Sender, ev.Src.Normalized(), ev.SPort.Normalized())
}

// ReceiverPoint is where a record's ball vanishes: (dst address, dst port).
// ICMP type and code arrive as type*256 and code*256, so the same
// normalisation gives the paper's type/2^8 and code/2^8.
func ReceiverPoint(ev *event.Event) Vec3 {
	return BoardPoint(Receiver, ev.Dst.Normalized(), ev.DPort.Normalized())
}

// Corners returns a board's four corners: (0,0), (1,0), (1,1), (0,1) in
// (address, port).
func Corners(b Board) [4]Vec3 {
	return [4]Vec3{BoardPoint(b, 0, 0), BoardPoint(b, 1, 0), BoardPoint(b, 1, 1), BoardPoint(b, 0, 1)}
}

// Segment is a line of the boards' grid, in scene space.
type Segment struct {
	A, B  Vec3
	Major bool // a board edge rather than an inner grid line
}

// Grid returns the board edges and quarter lines of both boards.
func Grid() []Segment {
	var s []Segment
	for _, b := range []Board{Sender, Receiver} {
		for i := 0; i <= 4; i++ {
			v := float64(i) / 4
			major := i == 0 || i == 4
			s = append(s, Segment{BoardPoint(b, v, 0), BoardPoint(b, v, 1), major})
			s = append(s, Segment{BoardPoint(b, 0, v), BoardPoint(b, 1, v), major})
		}
	}
	return s
}

// Label is text anchored at a scene point.
type Label struct {
	At   Vec3
	Text string
	// Align says where the text goes relative to the anchor's screen point:
	// -1 ends there, 0 centres on it, 1 starts there.
	Align int
}

// AxisLabels returns the labelled ticks of both boards: addresses along the
// bottom edge (IPv4 quarters; IPv6 are normalised over 2^128 the same way),
// ports up the front edge, and the boards' titles.
func AxisLabels() []Label {
	var ls []Label
	for _, b := range []Board{Sender, Receiver} {
		for i := 0; i <= 4; i++ {
			v := float64(i) / 4
			addr := fmt.Sprintf("%d.0.0.0", i*64)
			if i == 4 {
				addr = "255.255.255.255"
			}
			ls = append(ls, Label{At: BoardPoint(b, v, 0).Add(Vec3{0, -9, 0}), Text: addr})
			port := uint32(math.Min(v*65536, 65535))
			ls = append(ls, Label{At: BoardPoint(b, 1, v).Add(Vec3{0, 0, 6}), Text: fmt.Sprint(port), Align: 1})
		}
		end := "src"
		if b == Receiver {
			end = "dst"
		}
		ls = append(ls,
			Label{At: BoardPoint(b, 0.5, 1).Add(Vec3{0, 14, 0}), Text: fmt.Sprintf("%s board", b)},
			Label{At: BoardPoint(b, 0.5, 0).Add(Vec3{0, -22, 0}), Text: end + " address ->"},
			Label{At: BoardPoint(b, 1, 1).Add(Vec3{0, 30, 6}), Text: end + " port (ICMP type/code)", Align: 1},
		)
	}
	return ls
}
