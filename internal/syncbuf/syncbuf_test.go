package syncbuf

import (
	"strings"
	"sync"
	"testing"
)

// Writers and a reader at once (go test -race sees any unguarded access);
// nothing written is lost.
func TestConcurrentWriteAndRead(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 1000 {
				b.Write([]byte("x"))
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if got := b.String(); got != strings.Repeat("x", 4000) {
		t.Errorf("%d bytes, want 4000", len(got))
	}
}
