//go:build !unix

package safefile

const nonblock = 0

// NonBlock: see nonblock_unix.go.
const NonBlock = nonblock
