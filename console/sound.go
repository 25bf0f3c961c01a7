package console

import (
	"fmt"
	"strings"

	"github.com/packter/packter/protocol"
)

const volumeStep = 0.1

// soundCtl is the sound status concern: the engine's controls behind the
// volume, mute, class, solo and theme keys. Each method returns what to
// announce.
type soundCtl struct {
	s          Sound // nil: no sound
	classMuted [10]bool
	solo       int // -1: none
}

const soundOff = "Sound is off"

func (c *soundCtl) volume(d float64) string {
	if c.s == nil {
		return soundOff
	}
	v := c.s.Volume() + d
	v = min(max(float64(int(v*100+0.5))/100, 0), 1)
	c.s.SetVolume(v)
	return fmt.Sprintf("Volume %d percent", int(c.s.Volume()*100+0.5))
}

func (c *soundCtl) mute() string {
	if c.s == nil {
		return soundOff
	}
	c.s.SetMuted(!c.s.Muted())
	if c.s.Muted() {
		return "Sound muted"
	}
	return "Sound on"
}

// muteClass mutes or unmutes flag class cl (0..9).
func (c *soundCtl) muteClass(cl int) string {
	c.classMuted[cl] = !c.classMuted[cl]
	c.s.SetClassMuted(cl, c.classMuted[cl])
	if c.classMuted[cl] {
		return protocol.ClassName(cl) + " muted"
	}
	return protocol.ClassName(cl) + " unmuted"
}

// soloClass solos flag class cl, or clears the solo when cl already is.
func (c *soundCtl) soloClass(cl int) string {
	if c.solo == cl {
		c.solo = -1
		c.s.Solo(-1)
		return "Solo cleared"
	}
	c.solo = cl
	c.s.Solo(cl)
	return "Solo " + protocol.ClassName(cl)
}

func (c *soundCtl) nextTheme() string {
	if c.s == nil {
		return soundOff
	}
	themes := c.s.Themes()
	if len(themes) == 0 {
		return "No sound themes"
	}
	cur, i := c.s.Theme(), 0
	for j, t := range themes {
		if t == cur {
			i = (j + 1) % len(themes)
		}
	}
	if err := c.s.SetTheme(themes[i]); err != nil {
		return "Theme " + themes[i] + " failed: " + err.Error()
	}
	return "Theme " + themes[i]
}

// text is the sound status in words.
func (c *soundCtl) text() string {
	if c.s == nil {
		return "Sound off"
	}
	// The engine's status already says volume, mute, theme, solo and what it
	// plays; say "percent" so a screen reader reads it as words.
	if s := oneLine(c.s.Status()); s != "" {
		return strings.ToUpper(s[:1]) + strings.ReplaceAll(s[1:], "%", " percent")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Volume %d percent", int(c.s.Volume()*100+0.5))
	if c.s.Muted() {
		b.WriteString(", muted")
	}
	if t := c.s.Theme(); t != "" {
		b.WriteString(", theme " + t)
	}
	if c.solo >= 0 {
		b.WriteString(", solo " + protocol.ClassName(c.solo))
	}
	return b.String()
}
