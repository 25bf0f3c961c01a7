// Package needdisplay checks packter-board's flags and stops it with one clear
// sentence when there is no display to open, before Ebiten's own start-up
// panics; and it quiets the X library unless -d. Import it first, for its
// side effect.
//
// Ebiten (through GLFW) opens the display in a package init and panics when
// it cannot. Go initialises packages in import-path order as far as their
// dependencies allow; Ebiten's UI package depends on golang.org/x/sys and
// golang.org/x/sync, which sort after this package and depend on everything
// this one imports (display and opts, which import only the standard
// library's os, syscall, flag, text and time packages, and xgb, which Ebiten's
// UI imports itself), so this init always runs before Ebiten's. Importing
// anything more here could break that: TestInitOrder in xvfbtest checks it.
package needdisplay

import (
	"io"
	"log"
	"os"

	"github.com/jezek/xgb"

	"github.com/packter/packter/cmd/packter-board/internal/display"
	"github.com/packter/packter/cmd/packter-board/internal/opts"
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
	o, err := opts.Parse(os.Args[1:])
	if err != nil {
		os.Stderr.WriteString("packter-board: " + err.Error() + "\n")
		os.Exit(2)
	}
	if !o.Debug {
		// xgb logs to stderr whenever ~/.Xauthority is missing (as under
		// Xvfb), which the monitor would show as the board's warnings.
		xgb.Logger = log.New(io.Discard, "", 0)
	}
	if msg := display.Missing(os.Getenv("DISPLAY"), os.Getenv("WAYLAND_DISPLAY")); msg != "" {
		os.Stderr.WriteString("packter-board: " + msg + "\n")
		os.Exit(1)
	}
}
