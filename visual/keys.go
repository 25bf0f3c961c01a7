package visual

import "strings"

// Action is something the user asks of the board.
type Action uint8

const (
	ActNone Action = iota
	ActTrace
	ActSelectNext
	ActSelectPrev
	ActClearSelection
	ActPause // toggles pause / resume
	ActRewind
	ActLive
	ActRotateLeft
	ActRotateRight
	ActRotateUp
	ActRotateDown
	ActZoomIn
	ActZoomOut
	ActResetView
	ActHelp
	ActQuit
	ActReadout // toggles the frame rate and in-flight readout
	ActGlobe   // switches between the two boards and the globe (globe.go)
)

// Binding ties keys (Ebiten key names) to an action, with its help text: one
// table drives the keyboard and the help screen.
type Binding struct {
	Keys   []string
	Shift  bool // only with Shift held
	Action Action
	Help   string
}

// RewindStep is how far one rewind goes back, as PACKTER's viewer's scene
// queue is stepped.
const RewindStep = 10 // seconds

// KeyMap is the board's keyboard.
var KeyMap = []Binding{
	{Keys: []string{"T"}, Action: ActTrace, Help: "trace the selected packet (traceback)"},
	{Keys: []string{"Tab"}, Shift: true, Action: ActSelectPrev, Help: "select the previous (older) packet"},
	{Keys: []string{"Tab", "N"}, Action: ActSelectNext, Help: "select the next (younger) packet"},
	{Keys: []string{"Escape"}, Action: ActClearSelection, Help: "clear the selection"},
	{Keys: []string{"Space", "P"}, Action: ActPause, Help: "pause / resume"},
	{Keys: []string{"B", "Backspace"}, Action: ActRewind, Help: "rewind 10 seconds"},
	{Keys: []string{"L", "End"}, Action: ActLive, Help: "back to live"},
	{Keys: []string{"ArrowLeft", "A"}, Action: ActRotateLeft, Help: "turn the view left"},
	{Keys: []string{"ArrowRight", "D"}, Action: ActRotateRight, Help: "turn the view right"},
	{Keys: []string{"ArrowUp", "W"}, Action: ActRotateUp, Help: "look from higher"},
	{Keys: []string{"ArrowDown", "S"}, Action: ActRotateDown, Help: "look from lower"},
	{Keys: []string{"Equal", "NumpadAdd", "PageUp"}, Action: ActZoomIn, Help: "zoom in (also the mouse wheel)"},
	{Keys: []string{"Minus", "NumpadSubtract", "PageDown"}, Action: ActZoomOut, Help: "zoom out"},
	{Keys: []string{"R", "Home"}, Action: ActResetView, Help: "reset the view"},
	{Keys: []string{"G"}, Action: ActGlobe, Help: "globe view (PACKTEARTH records) / the two boards"},
	{Keys: []string{"H"}, Action: ActReadout, Help: "show / hide the frame rate and balls in flight"},
	{Keys: []string{"F1", "Slash"}, Action: ActHelp, Help: "show / hide this help (also ?)"},
	{Keys: []string{"Q"}, Action: ActQuit, Help: "quit the board"},
}

// HelpLines renders KeyMap for the help screen, mouse first.
func HelpLines() []string {
	lines := []string{
		"click          select the packet under the mouse",
		"drag           turn the view; wheel: zoom",
	}
	for _, b := range KeyMap {
		k := strings.Join(b.Keys, "/")
		if b.Shift {
			k = "Shift+" + k
		}
		lines = append(lines, pad(k, 15)+b.Help)
	}
	return lines
}

func pad(s string, n int) string {
	if len(s) >= n {
		return s + " "
	}
	return s + strings.Repeat(" ", n-len(s))
}
