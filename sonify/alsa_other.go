//go:build !linux || !cgo

package sonify

func quietALSA() {}
