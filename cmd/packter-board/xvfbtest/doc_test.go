// Package xvfbtest runs the real packter-board binary under Xvfb and checks
// what it draws, pixel by pixel, and what it does with keyboard and mouse
// (through xdotool). It holds only tests: a test binary that linked Ebiten
// could not start without a display.
package xvfbtest
