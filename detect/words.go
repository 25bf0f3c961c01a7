package detect

import (
	"fmt"
	"math"
	"strings"

	"github.com/packter/packter/speech"
)

// words composes the alert's message, sound and voice. With MON_* keys in the
// config the message is assembled as PACKTER 2.5 does (picture, head, per-kind
// text, " Observed: N Threshold: M", foot); otherwise the spoken sentence
// (kind, target, rate) comes first and the figures behind it follow.
func (b *base) words(al *Alert, limits *[nKinds]float64) {
	k := al.Kinds[0]
	// Only the rate is rounded for speech: the target address is said as it is.
	// With Places: "SYN flood toward 192.0.2.7 in Germany, mostly from Brazil, …".
	spoken := fmt.Sprintf("%s toward %s%s, %s packets per second", k, al.Target, b.where(al.Target, k), SpeakRate(al.PPS))
	c := b.conf
	custom := c["MON_"+k.Key()+"_MSG"] != ""
	var msg strings.Builder
	msg.WriteString(c["MON_"+k.Key()+"_PIC"])
	msg.WriteByte(',')
	msg.WriteString(c["MON_OPT_MSG_HEAD"])
	if !custom {
		msg.WriteString(htmlEscape(spoken))
	}
	monitor, threshold := " Observed:", " Threshold:"
	if v := c["MONITOR"]; v != "" {
		monitor = v
	}
	if v := c["THRESHOLD"]; v != "" {
		threshold = v
	}
	for _, f := range al.Kinds {
		observed, limit := b.w.share(f)*100, limits[f]*100
		if f == PPS {
			observed, limit = float64(b.w.n)/b.w.seconds(), limits[f]
		}
		if m := c["MON_"+f.Key()+"_MSG"]; m != "" {
			msg.WriteString(m)
		} else {
			if !strings.HasSuffix(msg.String(), ",") {
				msg.WriteString("<br>")
			}
			msg.WriteString(f.String())
		}
		fmt.Fprintf(&msg, "%s %.f%s %.f", monitor, observed, threshold, limit)
	}
	msg.WriteString(c["MON_OPT_MSG_FOOT"])
	al.Msg = msg.String()

	sound := c["MON_"+k.Key()+"_SOUND"]
	if sound == "" {
		sound = "Detection.wav"
	}
	if !strings.Contains(sound, ",") {
		sound = "30000," + sound // as PACKTER's sample configuration sends it
	}
	al.Sound = c["MON_OPT_SOUND_HEAD"] + sound + c["MON_OPT_SOUND_FOOT"]

	if v := c["MON_"+k.Key()+"_VOICE"]; v != "" {
		al.Voice = c["MON_OPT_VOICE_HEAD"] + v + c["MON_OPT_VOICE_FOOT"]
	} else {
		al.Voice = spoken
	}
	al.Sky = c["MON_SKYDOME_START"]
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// SpeakRate says a count or rate the way a person would: "850", "1.5
// thousand", "12 thousand", "2.3 million" (speech.SayCount, the one rule for
// rounding quantities). Only for quantities, where a rounded figure is the
// point; never for identifiers (AS numbers, ports, addresses), which must be
// said in full.
func SpeakRate(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "an unknown number of"
	}
	return speech.SayCount(math.Round(v))
}
