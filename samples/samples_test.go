package samples

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The bundled file must be exactly what the generator writes, so that anyone can
// rebuild it and trust it.
func TestCaptureIsReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator")
	}
	out := filepath.Join(t.TempDir(), "s.pcapng")
	cmd := exec.Command("go", "run", "./gen", "-o", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generator: %v\n%s", err, b)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, Capture()) {
		t.Fatalf("generator output (%d bytes) differs from the embedded capture (%d bytes): run go generate ./samples", len(got), len(Capture()))
	}
}

func TestCaptureIsPcapng(t *testing.T) {
	c := Capture()
	if len(c) < 1<<20 || len(c) > 2<<20 {
		t.Fatalf("capture is %d bytes, want 1..2 MB", len(c))
	}
	if !bytes.Equal(c[:4], []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		t.Fatalf("not a pcapng section header: % x", c[:4])
	}
}
