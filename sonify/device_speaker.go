//go:build !linux || cgo

package sonify

import (
	"fmt"
	"time"

	"github.com/gopxl/beep/v2"
	"github.com/gopxl/beep/v2/speaker"
)

// openDevice starts the sound card through beep's speaker (oto, ALSA on
// Linux) with a 50 ms buffer. On a machine without a device speaker.Init
// succeeds and nothing plays; oto keeps the ALSA error and hands it out from
// Resume, so ask for it before trusting the device.
func (e *Engine) openDevice() error {
	buf := e.rate / 20
	quietALSA()
	if err := speaker.Init(beep.SampleRate(e.rate), buf); err != nil {
		return fmt.Errorf("sound card: %w", err)
	}
	if err := speaker.Resume(); err != nil {
		speaker.Close()
		return fmt.Errorf("sound card: %w", err)
	}
	// Our buffer plus the speaker's: cues are scheduled this far ahead so that
	// none is late while the device drains what is already rendered.
	e.anchor(time.Now(), int64(buf)+maxBlock)
	e.speaker = true
	speaker.Play(streamer{e})
	return nil
}

func closeSpeaker() {
	speaker.Clear()
	speaker.Close()
}
