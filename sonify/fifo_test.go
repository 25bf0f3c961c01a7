package sonify

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/packter/packter/sounds"
)

// A FIFO in --sounds named by a message is refused at once, never waited on:
// the loader (and so the monitor's shutdown) would otherwise hang on it.
func TestSoundsDirFIFORefused(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "evil.wav"), 0o644); err != nil {
		t.Skip("no FIFOs:", err)
	}
	l, err := newLibrary(dir, sounds.FS(), 48000)
	if err != nil {
		t.Fatal(err)
	}
	defer l.close()
	done := make(chan error, 1)
	go func() { _, err := l.get("evil.wav"); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a FIFO was loaded as a sound")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("loading a FIFO named in a message blocked")
	}
}
