// Package needdisplay stops packter-board with one clear sentence when there
// is no display to open, before Ebiten's own start-up panics. Import it first,
// for its side effect.
//
// Ebiten (through GLFW) opens the display in a package init and panics when
// it cannot. Go initialises packages in import-path order as far as their
// dependencies allow; Ebiten's UI package depends on golang.org/x/sys and
// golang.org/x/sync, which sort after this package and depend on everything
// this one imports (os, syscall and display, which imports only those), so
// this init always runs before Ebiten's. Importing anything more here could
// break that.
package needdisplay

import (
	"os"

	"github.com/packter/packter/cmd/packter-board/internal/display"
)

func init() {
	for _, a := range os.Args[1:] {
		if a == "-h" || a == "-help" || a == "--help" {
			os.Stdout.WriteString(display.Usage)
			os.Exit(0)
		}
		if a == "--" {
			break
		}
	}
	if msg := display.Missing(os.Getenv("DISPLAY"), os.Getenv("WAYLAND_DISPLAY")); msg != "" {
		os.Stderr.WriteString("packter-board: " + msg + "\n")
		os.Exit(1)
	}
}
