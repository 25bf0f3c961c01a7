package intertrack

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Texts are what the TC shows, plays and says for its three outcomes. The
// fields map to PACKTER's IPTB_* configuration keys (see Set).
type Texts struct {
	StartMsg, StartPic, StartSound, StartVoice         string
	SucceedMsg, SucceedPic, SucceedSound, SucceedVoice string
	FailedMsg, FailedPic, FailedSound, FailedVoice     string
	// Shared parts: OptMsg ends every message, OptHash introduces the hash,
	// OptSound prefixes every sound body, VoiceHead/VoiceFoot wrap every voice.
	OptMsg, OptHash, OptSound, OptVoiceHead, OptVoiceFoot string
}

// DefaultTexts are Packter's plain-English texts.
func DefaultTexts() Texts {
	return Texts{
		StartMsg:     `<div align="center"><b>Launched IP traceback process</b></div>`,
		StartPic:     "start.png",
		StartSound:   "10000,Traceback.wav",
		StartVoice:   "Launched IP traceback process",
		SucceedMsg:   `<div align="center"><b>Traceback trial succeeded</b></div>`,
		SucceedPic:   "success.png",
		SucceedSound: "10000,Success.wav",
		SucceedVoice: "Traceback succeeded",
		FailedMsg:    `<div align="center"><b>Traceback trial failed</b></div>`,
		FailedPic:    "failed.png",
		FailedSound:  "10000,Failed.wav",
		FailedVoice:  "Traceback failed",
		OptHash:      "Hash: ",
	}
}

// iptbKeys maps PACKTER's packter.conf keys to fields.
func (t *Texts) field(key string) *string {
	switch key {
	case "IPTB_START_MSG":
		return &t.StartMsg
	case "IPTB_START_PIC":
		return &t.StartPic
	case "IPTB_START_SOUND":
		return &t.StartSound
	case "IPTB_START_VOICE":
		return &t.StartVoice
	case "IPTB_SUCCEED_MSG":
		return &t.SucceedMsg
	case "IPTB_SUCCEED_PIC":
		return &t.SucceedPic
	case "IPTB_SUCCEED_SOUND":
		return &t.SucceedSound
	case "IPTB_SUCCEED_VOICE":
		return &t.SucceedVoice
	case "IPTB_FAILED_MSG":
		return &t.FailedMsg
	case "IPTB_FAILED_PIC":
		return &t.FailedPic
	case "IPTB_FAILED_SOUND":
		return &t.FailedSound
	case "IPTB_FAILED_VOICE":
		return &t.FailedVoice
	case "IPTB_OPT_MSG":
		return &t.OptMsg
	case "IPTB_OPT_HASH":
		return &t.OptHash
	case "IPTB_OPT_SOUND":
		return &t.OptSound
	case "IPTB_OPT_VOICE_HEAD":
		return &t.OptVoiceHead
	case "IPTB_OPT_VOICE_FOOT":
		return &t.OptVoiceFoot
	}
	return nil
}

// Set assigns one IPTB_* key; it reports false for keys it does not know.
func (t *Texts) Set(key, value string) bool {
	p := t.field(key)
	if p == nil {
		return false
	}
	*p = value
	return true
}

// LoadIPTBConfig reads PACKTER's packter.conf format (KEY=VALUE lines, `#`
// comments, CRLF accepted; the value is everything after the first '=') and
// applies the IPTB_* keys to t. Other keys (MON_*, …) are ignored, as the file
// is shared with PACKTER's threshold monitor.
func LoadIPTBConfig(r io.Reader, t *Texts) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 64<<10)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue // PACKTER ignores such lines too
		}
		if strings.HasPrefix(k, "IPTB_") && !t.Set(k, v) {
			return fmt.Errorf("line %d: unknown key %s", n, k)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading IPTB config: %w", err)
	}
	return nil
}
