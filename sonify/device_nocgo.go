//go:build linux && !cgo

package sonify

import "errors"

// On Linux the sound card is reached through ALSA, which needs cgo; a build
// without it (no ALSA headers at hand) still renders --wav and says so.
func (e *Engine) openDevice() error {
	return errors.New("this build has no sound-card support (it was built without cgo; install libasound2-dev and rebuild)")
}

func closeSpeaker() {}
