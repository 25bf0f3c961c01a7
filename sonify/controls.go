package sonify

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/packter/packter/protocol"
)

// controlState is what the user sets (console keys, theme changes). It is
// immutable once published: setters copy, change and swap the pointer, so the
// renderer reads one consistent snapshot per block without a lock.
type controlState struct {
	theme     *Theme
	fileTheme *Theme   // the theme file loaded, if any, to switch back to by name
	fg        [3]*clip // flood, incident, alert clips of the theme
	volume    float64
	muted     bool
	classMute [10]bool
	solo      int
}

// controls publishes controlState. mu only orders the setters among
// themselves; readers never take it.
type controls struct {
	mu  sync.Mutex
	cur atomic.Pointer[controlState]
}

func (c *controls) load() *controlState { return c.cur.Load() }

func (c *controls) update(f func(*controlState)) {
	c.mu.Lock()
	n := *c.cur.Load()
	f(&n)
	c.cur.Store(&n)
	c.mu.Unlock()
}

// classAudible reports whether a flag class is heard under mute and solo.
func (s *controlState) classAudible(c int) bool {
	if c < 0 || c > 9 {
		return true
	}
	return !s.classMute[c] && (s.solo < 0 || s.solo == c)
}

// SetVolume sets the master volume, 0..1.
func (e *Engine) SetVolume(v float64) {
	if math.IsNaN(v) {
		return
	}
	e.sh.ctl.update(func(s *controlState) { s.volume = math.Max(0, math.Min(1, v)) })
}

// Volume returns the master volume.
func (e *Engine) Volume() float64 { return e.sh.ctl.load().volume }

// SetMuted mutes or unmutes everything but speech, which has its own volume
// in package speech (a muted monitor still says "Sound muted" and alerts).
func (e *Engine) SetMuted(m bool) { e.sh.ctl.update(func(s *controlState) { s.muted = m }) }

// Muted reports whether the output is muted.
func (e *Engine) Muted() bool { return e.sh.ctl.load().muted }

// SetClassMuted mutes one PACKTER flag class (0..9): its notes and texture.
func (e *Engine) SetClassMuted(class int, muted bool) {
	if class < 0 || class > 9 {
		return
	}
	e.sh.ctl.update(func(s *controlState) { s.classMute[class] = muted })
}

// Solo plays only one flag class (foreground cues, messages and speech stay);
// -1 clears it.
func (e *Engine) Solo(class int) {
	if class < -1 || class > 9 {
		return
	}
	e.sh.ctl.update(func(s *controlState) { s.solo = class })
}

// SetTheme switches to "calm", "alert", or a theme file.
func (e *Engine) SetTheme(name string) error {
	th := e.sh.ctl.load().fileTheme
	if th == nil || th.Name != name {
		var err error
		if th, err = e.loadTheme(name); err != nil {
			return err
		}
	}
	fg := e.loadForeground(th)
	e.sh.ctl.update(func(s *controlState) { s.theme, s.fg = th, fg })
	return nil
}

// Theme returns the current theme's name.
func (e *Engine) Theme() string { return e.sh.ctl.load().theme.Name }

// Themes lists the themes SetTheme accepts by name.
func (e *Engine) Themes() []string {
	t := BuiltinThemes()
	if ft := e.sh.ctl.load().fileTheme; ft != nil {
		t = append(t, ft.Name)
	}
	return t
}

// Status is one line for the console.
func (e *Engine) Status() string {
	s := e.sh.ctl.load()
	var b strings.Builder
	if s.muted {
		b.WriteString("muted, ")
	}
	rate := e.in.eventRate()
	if e.output != "silent" || e.offline {
		rate = math.Float64frombits(e.sh.rateSum.Load()) // smoother, and right from the first call
	}
	fmt.Fprintf(&b, "volume %d%%, theme %s, %.0f events/s", int(math.Round(s.volume*100)), s.theme.Name, rate)
	list := func(label string, on func(c int) bool) {
		var names []string
		for c := range 10 {
			if on(c) {
				names = append(names, protocol.ShortClassNames[c])
			}
		}
		if len(names) > 0 {
			fmt.Fprintf(&b, ", %s %s", label, strings.Join(names, " + "))
		}
	}
	tex := e.sh.textureOn.Load()
	list("texture", func(c int) bool { return tex&(1<<c) != 0 })
	if s.solo >= 0 {
		fmt.Fprintf(&b, ", solo %s", protocol.ShortClassNames[s.solo])
	}
	list("muted", func(c int) bool { return s.classMute[c] })
	if e.noDevice {
		b.WriteString(", no sound device")
	}
	if e.output != "" {
		fmt.Fprintf(&b, ", output %s", e.output)
	}
	if d := e.Dropped(); d > 0 {
		fmt.Fprintf(&b, ", %d dropped", d)
	}
	return b.String()
}
