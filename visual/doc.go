// Package visual is the board model of Packter's visual board: PACKTER's sender
// and receiver boards facing each other in perspective, the balls (flying
// objects) that cross from one to the other, picking, selection, messages,
// background textures and the control requests the board sends to the monitor.
//
// It is pure: no window, no GPU, no sound. The Ebiten shell (cmd/packter-board)
// feeds it events, advances it once per tick, asks it for the vertices of every
// ball in one buffer and draws them with one batched DrawTriangles call.
package visual
