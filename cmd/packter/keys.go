package main

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/packter/packter/internal/safefile"
)

// maxKey bounds a pre-shared key file, as PACKTER's agent does.
const maxKey = 1024

// readKey reads a pre-shared key: the file's first line, without its line end.
func readKey(path string) ([]byte, error) {
	b, err := safefile.ReadFile(path, 64<<10)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	line = bytes.TrimRight(line, "\r")
	if len(line) == 0 || len(line) > maxKey {
		return nil, fmt.Errorf("key file %s: the key must be 1 to %d bytes on its first line", path, maxKey)
	}
	return line, nil
}

// parseKeyFlags turns --key ID=FILE values into a key table.
func parseKeyFlags(vals []string) (map[string][]byte, error) {
	keys := map[string][]byte{}
	for _, v := range vals {
		id, file, ok := strings.Cut(v, "=")
		if !ok || id == "" || file == "" {
			return nil, usagef("--key wants ID=FILE, not %q", v)
		}
		k, err := readKey(file)
		if err != nil {
			return nil, err
		}
		keys[id] = k
	}
	return keys, nil
}
