package sonify

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Theme is everything about the sound that a user may want to change: the
// scale, loudness of each layer, when notes become textures, and which files the
// foreground cues play. Built-in themes are "calm" and "alert"; a theme file
// (see ParseTheme) starts from calm and overrides what it names.
type Theme struct {
	Name       string
	Root       int     // MIDI note of the scale's root (57 = A3)
	Scale      []int   // semitone steps inside one octave, ascending, 0 first
	Volume     float64 // initial master volume 0..1
	NoteGain   float64 // loudness of one packet's note
	NoteDecay  float64 // seconds for a note to fade by 60 dB
	Brightness float64 // FM index of notes: 0 pure sine .. 3 bright
	PanWidth   float64 // 0 mono .. 1 full left/right
	Threshold  float64 // events/s per class above which notes become a texture
	TextureGain,
	ForegroundGain float64
	ClassGain [10]float64 // per flag class multipliers
	// Heartbeat is the seconds of silence after which a faint low tick says
	// "still listening, the network is quiet" (Peep's heartbeat); 0 is off.
	Heartbeat float64
	// Foreground cue files, resolved like PACKTERSE names.
	Flood, Incident, Alert string
	// Services pins well-known ports to scale degrees (0 = root, 5 = the root
	// an octave up with a five-note scale; negative goes down).
	Services map[uint32]int
}

// Calm is the theme for working beside it all day: soft, round, slow decays,
// textures kept low.
func Calm() Theme {
	t := Theme{
		Name: "calm", Root: 57, Scale: []int{0, 2, 4, 7, 9},
		Volume: 0.7, NoteGain: 0.32, NoteDecay: 0.45, Brightness: 0.9, PanWidth: 0.85,
		Threshold: 8, TextureGain: 0.45, ForegroundGain: 0.7, Heartbeat: 15,
		Flood: "flood.wav", Incident: "incident.wav", Alert: "alert.wav",
		Services: defaultServices(),
	}
	for i := range t.ClassGain {
		t.ClassGain[i] = 1
	}
	// ACK/data is the bulk of any traffic: keep it the quietest layer.
	t.ClassGain[0], t.ClassGain[5] = 0.7, 0.7
	return t
}

// Alert is the theme for watching: brighter, shorter, louder, a minor scale,
// and textures that rise sooner.
func Alert() Theme {
	t := Calm()
	t.Name = "alert"
	t.Root = 60
	t.Scale = []int{0, 3, 5, 7, 10}
	t.Volume = 0.8
	t.NoteGain = 0.4
	t.NoteDecay = 0.25
	t.Brightness = 2.2
	t.PanWidth = 1
	t.Threshold = 6
	t.TextureGain = 0.55
	t.ForegroundGain = 0.9
	t.Heartbeat = 10
	t.ClassGain[0], t.ClassGain[5] = 0.55, 0.55
	t.ClassGain[1], t.ClassGain[6] = 1.2, 1.2 // connection openings stand out: scans
	return t
}

// defaultServices gives the services a sysadmin hears most their own, fixed
// notes: web on the root and its third, DNS on the fifth, and so on.
func defaultServices() map[uint32]int {
	return map[uint32]int{
		80: 0, 443: 2, 8080: 0, 8443: 2, // web: root, third
		53: 3, 853: 3, // DNS: fifth
		22: -2,                                        // SSH: low
		25: 1, 465: 1, 587: 1, 143: 1, 993: 1, 110: 1, // mail
		123:  5,            // NTP: root an octave up
		3389: -3, 5900: -3, // remote desktops: lower
		445: -4, 139: -4, // SMB
		3306: -1, 5432: -1, // databases
		161: 4, 162: 4, 514: 4, // SNMP, syslog
		67: 6, 68: 6, // DHCP
	}
}

// BuiltinThemes lists the built-in theme names.
func BuiltinThemes() []string { return []string{"calm", "alert"} }

// builtinTheme returns a built-in theme by name.
func builtinTheme(name string) (Theme, bool) {
	switch name {
	case "calm", "":
		return Calm(), true
	case "alert":
		return Alert(), true
	}
	return Theme{}, false
}

// MaxThemeSize bounds a theme file.
const MaxThemeSize = 64 << 10

// ErrTheme is wrapped by every theme file error.
var ErrTheme = errors.New("theme")

// ParseTheme reads a theme file: UTF-8 text, one `key = value` per line, `#`
// starting a comment. It starts from the theme named by `base` (calm when the
// file has none) and changes only the keys it sets. Keys:
//
//	base = calm | alert
//	name = my-theme
//	root = 57                  MIDI note of the scale root, 24..96
//	scale = 0 2 4 7 9          semitones, 1..12 steps, ascending, within 0..11
//	volume, note.gain, texture.gain, foreground.gain = 0..1
//	note.decay = 0.45          seconds, 0.03..3
//	brightness = 0.9           0..4
//	pan.width = 0.85           0..1
//	texture.threshold = 8      events/s per class, 1..1000
//	heartbeat = 15             seconds of silence before a faint tick, 0 off, ..3600
//	class.N.gain = 1           N = flag class 0..9, 0..2
//	flood, incident, alert = file.wav
//	service.PORT = DEGREE      pin a port to a scale degree, -15..15
//
// It is a pure function of its input; errors name the line.
func ParseTheme(b []byte) (Theme, error) {
	if len(b) > MaxThemeSize {
		return Theme{}, fmt.Errorf("%w: file is %d bytes, more than %d", ErrTheme, len(b), MaxThemeSize)
	}
	t := Calm()
	t.Name = "custom"
	named := false
	lines := bytes.Split(b, []byte("\n"))
	for i, raw := range lines {
		line := strings.TrimSpace(string(raw))
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = strings.TrimSpace(line[:j])
		}
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return Theme{}, fmt.Errorf("%w: line %d: want key = value", ErrTheme, i+1)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if err := t.set(k, v, &named); err != nil {
			return Theme{}, fmt.Errorf("%w: line %d: %s: %v", ErrTheme, i+1, k, err)
		}
	}
	return t, nil
}

// set applies one "key = value" line. It is one switch over every key a
// theme file may name, longer than ~80 lines because the keys read best in
// one place, each with its bounds.
func (t *Theme) set(k, v string, named *bool) error {
	num := func(lo, hi float64) (float64, error) {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || f < lo || f > hi {
			return 0, fmt.Errorf("want a number in %g..%g, got %q", lo, hi, v)
		}
		return f, nil
	}
	var err error
	switch k {
	case "base":
		b, ok := builtinTheme(v)
		if !ok {
			return fmt.Errorf("unknown base theme %q", v)
		}
		name := t.Name
		*t = b
		if *named {
			t.Name = name
		}
	case "name":
		if v == "" || len(v) > 40 || strings.ContainsAny(v, "\x00\r\t#") {
			return fmt.Errorf("want 1..40 printable characters, no '#'")
		}
		t.Name, *named = v, true
	case "root":
		var f float64
		f, err = num(24, 96)
		t.Root = int(f)
	case "scale":
		var s []int
		for _, w := range strings.Fields(v) {
			n, e := strconv.Atoi(w)
			if e != nil || n < 0 || n > 11 || (len(s) > 0 && n <= s[len(s)-1]) || len(s) >= 12 {
				return fmt.Errorf("want ascending semitones 0..11, got %q", v)
			}
			s = append(s, n)
		}
		if len(s) == 0 {
			return fmt.Errorf("empty scale")
		}
		t.Scale = s
	case "volume":
		t.Volume, err = num(0, 1)
	case "note.gain":
		t.NoteGain, err = num(0, 1)
	case "note.decay":
		t.NoteDecay, err = num(0.03, 3)
	case "brightness":
		t.Brightness, err = num(0, 4)
	case "pan.width":
		t.PanWidth, err = num(0, 1)
	case "texture.threshold":
		t.Threshold, err = num(1, 1000)
	case "texture.gain":
		t.TextureGain, err = num(0, 1)
	case "foreground.gain":
		t.ForegroundGain, err = num(0, 1)
	case "heartbeat":
		t.Heartbeat, err = num(0, 3600)
	case "flood", "incident", "alert":
		if err := validName(v); err != nil || strings.ContainsAny(v, "# \t\r") {
			return fmt.Errorf("want a plain file name inside the sounds directory, got %q", v)
		}
		switch k {
		case "flood":
			t.Flood = v
		case "incident":
			t.Incident = v
		default:
			t.Alert = v
		}
	default:
		switch {
		case strings.HasPrefix(k, "class.") && strings.HasSuffix(k, ".gain"):
			n, e := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(k, "class."), ".gain"))
			if e != nil || n < 0 || n > 9 {
				return fmt.Errorf("want class.0.gain .. class.9.gain")
			}
			t.ClassGain[n], err = num(0, 2)
		case strings.HasPrefix(k, "service."):
			p, e := strconv.ParseUint(strings.TrimPrefix(k, "service."), 10, 16)
			if e != nil {
				return fmt.Errorf("want service.PORT with PORT 0..65535")
			}
			var d float64
			if d, err = num(-15, 15); err == nil {
				if len(t.Services) >= 1024 {
					return fmt.Errorf("more than 1024 services")
				}
				t.Services = maps.Clone(t.Services)
				t.Services[uint32(p)] = int(d)
			}
		default:
			return fmt.Errorf("unknown key")
		}
	}
	return err
}

// Format writes the theme as a file ParseTheme reads back: a starting point
// for users who want their own.
func (t *Theme) Format() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Packter sound theme. Edit and load with --theme FILE.\nname = %s\nroot = %d\nscale =", t.Name, t.Root)
	for _, s := range t.Scale {
		fmt.Fprintf(&b, " %d", s)
	}
	fmt.Fprintf(&b, "\nvolume = %g\nnote.gain = %g\nnote.decay = %g\nbrightness = %g\npan.width = %g\n", t.Volume, t.NoteGain, t.NoteDecay, t.Brightness, t.PanWidth)
	fmt.Fprintf(&b, "texture.threshold = %g\ntexture.gain = %g\nforeground.gain = %g\nheartbeat = %g\n", t.Threshold, t.TextureGain, t.ForegroundGain, t.Heartbeat)
	for i, g := range t.ClassGain {
		fmt.Fprintf(&b, "class.%d.gain = %g\n", i, g)
	}
	fmt.Fprintf(&b, "flood = %s\nincident = %s\nalert = %s\n", t.Flood, t.Incident, t.Alert)
	ports := make([]int, 0, len(t.Services))
	for p := range t.Services {
		ports = append(ports, int(p))
	}
	sort.Ints(ports)
	for _, p := range ports {
		fmt.Fprintf(&b, "service.%d = %d\n", p, t.Services[uint32(p)])
	}
	return b.String()
}
