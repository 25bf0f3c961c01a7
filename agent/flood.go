package agent

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/packter/packter/detect"
	"github.com/packter/packter/internal/safefile"
	"github.com/packter/packter/protocol"
)

// newDetector builds the --detect detector, reading PACKTER's packter.conf
// when the value names one (config=FILE). Errors are *UsageError.
func newDetector(spec string) (detect.Detector, error) {
	sp, err := detect.ParseSpec(spec)
	if err != nil {
		return nil, &UsageError{err}
	}
	var conf map[string]string
	if sp.ConfigFile != "" {
		b, err := readConf(sp.ConfigFile)
		if err != nil {
			return nil, &UsageError{err}
		}
		if conf, err = detect.ParseConf(b); err != nil {
			return nil, &UsageError{fmt.Errorf("%s: %w", sp.ConfigFile, err)}
		}
	}
	d, err := detect.New(sp, conf)
	if err != nil {
		return nil, &UsageError{err}
	}
	return d, nil
}

// readConf reads packter.conf: a regular file (a FIFO or device named by
// mistake would hang the agent), opened without blocking, at most
// detect.MaxConf bytes.
func readConf(path string) ([]byte, error) {
	b, err := safefile.ReadFile(path, detect.MaxConf)
	switch {
	case errors.Is(err, safefile.ErrTooLarge):
		return nil, fmt.Errorf("--detect config %s is larger than %d bytes", path, detect.MaxConf)
	case errors.Is(err, safefile.ErrNotRegular):
		return nil, fmt.Errorf("--detect config %s is not a regular file", path)
	case err != nil:
		return nil, fmt.Errorf("--detect config: %w", unwrapPath(err))
	}
	return b, nil
}

// alert sends a flood alert as PACKTER's thmon does: PACKTERMSG, PACKTERSOUND,
// PACKTERVOICE (and the sky texture when configured). Alerts are not sampled.
// a.mu is held.
func (a *agent) alert(al *detect.Alert) error {
	a.stats.Alerts++
	a.log.Warn("flood detected", "alert", al.Voice, "target", al.Target.String(), "pps", int(al.PPS), "window", al.Window)
	pic, text, _ := strings.Cut(al.Msg, ",")
	if err := a.out.datagram(protocol.AppendMessage(a.ctl[:0], pic, text)); err != nil {
		return err
	}
	if err := a.out.datagram(appendSoundBody(a.ctl[:0], al.Sound)); err != nil {
		return err
	}
	if err := a.out.datagram(protocol.AppendVoice(a.ctl[:0], al.Voice)); err != nil {
		return err
	}
	if al.Sky != "" {
		if err := a.out.datagram(protocol.AppendSky(a.ctl[:0], al.Sky)); err != nil {
			return err
		}
	}
	return nil
}

// appendSoundBody writes PACKTERSOUND from a "TIME,FILE" body as configured.
func appendSoundBody(b []byte, body string) []byte {
	t, file, _ := strings.Cut(body, ",")
	if ms, err := strconv.Atoi(strings.TrimSpace(t)); err == nil {
		return protocol.AppendSound(b, ms, file)
	}
	return protocol.AppendSound(b, 30000, body)
}
