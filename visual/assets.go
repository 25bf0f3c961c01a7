package visual

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // PACKTER's pictures and textures are PNG, JPEG or GIF
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/packter/packter/internal/safefile"
)

// Limits on pictures and textures named by messages from the network.
const (
	MaxAssetBytes  = 16 << 20
	MaxAssetPixels = 4096 * 4096
)

// ErrAssetName is wrapped when a message names a file outside the assets
// directory (absolute, "..", or through a symlink leading out).
var ErrAssetName = errors.New("asset name not inside the assets directory")

// Assets opens the pictures and sky textures that messages name, confined to
// one directory as the sound engine confines its sounds.
type Assets struct {
	root *os.Root
}

// OpenAssets confines lookups to dir. An empty dir gives an Assets that
// finds nothing.
func OpenAssets(dir string) (*Assets, error) {
	if dir == "" {
		return &Assets{}, nil
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("assets directory: %w", err)
	}
	return &Assets{root: r}, nil
}

// Close releases the directory.
func (a *Assets) Close() error {
	if a.root == nil {
		return nil
	}
	return a.root.Close()
}

// CheckName reports whether name may name a file in the assets directory:
// relative, no ".." element, no backslash or NUL, not empty. (Symlinks are
// checked when the file is opened.)
func CheckName(name string) error {
	switch {
	case name == "", strings.ContainsAny(name, "\\\x00"), !filepath.IsLocal(name):
		return fmt.Errorf("%w: %q", ErrAssetName, name)
	}
	for _, e := range strings.Split(name, "/") {
		if e == ".." {
			return fmt.Errorf("%w: %q", ErrAssetName, name)
		}
	}
	return nil
}

// Image decodes the picture or texture called name, refusing names that leave
// the directory (symlinks included: os.Root does not follow them out), files
// over MaxAssetBytes and images over MaxAssetPixels.
func (a *Assets) Image(name string) (image.Image, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	if a.root == nil {
		return nil, fmt.Errorf("picture %q: no assets directory (--assets)", name)
	}
	// Non-blocking: a FIFO named here would otherwise freeze the board.
	f, err := a.root.OpenFile(filepath.FromSlash(name), os.O_RDONLY|safefile.NonBlock, 0)
	if err != nil {
		if strings.Contains(err.Error(), "escapes from parent") {
			return nil, fmt.Errorf("%w: %q: %w", ErrAssetName, name, err)
		}
		return nil, fmt.Errorf("picture %q: %w", name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("picture %q: %w", name, err)
	}
	if !st.Mode().IsRegular() || st.Size() > MaxAssetBytes {
		return nil, fmt.Errorf("picture %q: not a regular file of at most %d bytes", name, MaxAssetBytes)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxAssetBytes+1))
	if err != nil {
		return nil, fmt.Errorf("picture %q: %w", name, err)
	}
	return DecodeImage(b)
}

// DecodeImage decodes a PNG, JPEG or GIF after checking its size from the
// header, so a small file cannot claim a huge image.
func DecodeImage(b []byte) (image.Image, error) {
	if len(b) > MaxAssetBytes {
		return nil, fmt.Errorf("image: over %d bytes", MaxAssetBytes)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxAssetPixels/cfg.Height {
		return nil, fmt.Errorf("image: %d×%d is too large", cfg.Width, cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	return img, nil
}
