package safefile_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/packter/packter/internal/safefile"
)

// A FIFO opened for reading through an os.Root with NonBlock does not wait
// for a writer: the loaders of sounds and board assets rely on it.
func TestRootOpenNonBlockFIFO(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "x.wav"), 0o644); err != nil {
		t.Skip("no FIFOs:", err)
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	done := make(chan error, 1)
	go func() {
		f, err := r.OpenFile("x.wav", os.O_RDONLY|safefile.NonBlock, 0)
		if err == nil {
			st, _ := f.Stat()
			if st.Mode().IsRegular() {
				err = os.ErrInvalid
			}
			f.Close()
		}
		done <- err
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("opening a FIFO blocked")
	}
}
