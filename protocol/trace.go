package protocol

import "strings"

// SplitTraceDesc splits a description of PACKTER's traceback form `HASH-TCHOST`
// (exactly one '-', a 32-digit hex hash before it, a host after it).
func SplitTraceDesc(desc string) (hash, host string, ok bool) {
	i := strings.IndexByte(desc, '-')
	if i < 0 || strings.IndexByte(desc[i+1:], '-') >= 0 {
		return "", "", false
	}
	hash, host = desc[:i], desc[i+1:]
	if len(hash) != 32 || host == "" || !isHex(hash) {
		return "", "", false
	}
	return hash, host, true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
