package speech

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// Backends lists the names Config.Backend (--voice) accepts.
var Backends = []string{"auto", "speechd", "espeak-ng", "say", "sapi", "none"}

// ErrUnavailable is returned by New when the backend asked for by name cannot
// run here.
var ErrUnavailable = errors.New("speech backend unavailable")

// finder looks for the pieces each backend needs and remembers why it could not
// find them, for one sentence.
type finder struct {
	cfg     *Config
	ctx     context.Context
	missing []string
	auto    bool // platform backends that cannot exist here go unmentioned
}

func (f *finder) look(name string) string {
	p, err := f.cfg.lookPath(name)
	if err != nil {
		f.missing = append(f.missing, "no "+name+" in PATH")
		return ""
	}
	return p
}

func (f *finder) speechd() backend {
	path, err := speechdSocket(f.cfg.getenv)
	if err != nil {
		f.missing = append(f.missing, "no speech-dispatcher socket ("+err.Error()+")")
		return nil
	}
	if !socketExists(path) {
		f.missing = append(f.missing, "no speech-dispatcher socket at "+path)
		return nil
	}
	be, err := newSSIPBackend(f.ctx, path, f.cfg.Rate, f.cfg.Voice)
	if err != nil {
		f.missing = append(f.missing, "speech-dispatcher at "+path+" did not answer ("+err.Error()+")")
		return nil
	}
	return be
}

func (f *finder) spdSay() backend {
	p := f.look("spd-say")
	if p == "" {
		return nil
	}
	rate, voice := f.cfg.Rate, f.cfg.Voice
	return &execBackend{name: "speechd (spd-say)", build: func(u utterance, _ string) command {
		return spdSayCommand(p, rate, voice, u)
	}}
}

func (f *finder) espeak() backend {
	p := f.look("espeak-ng")
	if p == "" {
		return nil
	}
	rate, voice, pcm := f.cfg.Rate, f.cfg.Voice, f.cfg.PCM != nil
	return &execBackend{name: "espeak-ng", pcm: f.cfg.PCM, build: func(u utterance, _ string) command {
		return espeakCommand(p, rate, voice, pcm, u)
	}}
}

func (f *finder) say() backend {
	if f.cfg.goos != "darwin" {
		if !f.auto {
			f.missing = append(f.missing, "say is macOS only")
		}
		return nil
	}
	p := f.look("say")
	if p == "" {
		return nil
	}
	rate, voice := f.cfg.Rate, f.cfg.Voice
	return &execBackend{name: "say", pcm: f.cfg.PCM, needDir: true, build: func(u utterance, dir string) command {
		return sayCommand(p, rate, voice, dir, u)
	}}
}

func (f *finder) sapi() backend {
	if f.cfg.goos != "windows" {
		if !f.auto {
			f.missing = append(f.missing, "SAPI is Windows only")
		}
		return nil
	}
	p, err := f.cfg.lookPath("powershell.exe")
	if err != nil {
		if p = f.look("pwsh.exe"); p == "" {
			return nil
		}
	}
	rate, voice, pcm := f.cfg.Rate, f.cfg.Voice, f.cfg.PCM != nil
	return &execBackend{name: "sapi", pcm: f.cfg.PCM, build: func(u utterance, _ string) command {
		return sapiCommand(p, rate, voice, pcm, u)
	}}
}

// pick chooses the backend cfg asks for. "auto" tries, in order, a running
// speech-dispatcher (so a screen reader and Packter share one voice), espeak-ng,
// say, SAPI and spd-say; with PreferPCM the PCM-capable ones come first.
func pick(ctx context.Context, cfg *Config) (backend, error) {
	if cfg.lookPath == nil {
		cfg.lookPath = exec.LookPath
	}
	if cfg.getenv == nil {
		cfg.getenv = os.Getenv
	}
	if cfg.goos == "" {
		cfg.goos = runtime.GOOS
	}
	if err := checkVoice(cfg.Voice); err != nil {
		return nil, fmt.Errorf("speech: voice %q: %w", cfg.Voice, err)
	}
	f := &finder{cfg: cfg, ctx: ctx}
	name := strings.ToLower(cfg.Backend)
	var tries []func() backend
	switch name {
	case "", "auto":
		name, f.auto = "auto", true
		if cfg.PreferPCM && cfg.PCM != nil {
			tries = []func() backend{f.espeak, f.say, f.sapi, f.speechd, f.spdSay}
		} else {
			tries = []func() backend{f.speechd, f.espeak, f.say, f.sapi, f.spdSay}
		}
	case "none":
		return noneBackend{}, nil
	case "speechd", "speech-dispatcher", "spd":
		tries = []func() backend{f.speechd, f.spdSay}
	case "espeak-ng", "espeak":
		tries = []func() backend{f.espeak}
	case "say":
		tries = []func() backend{f.say}
	case "sapi", "windows":
		tries = []func() backend{f.sapi}
	default:
		return nil, fmt.Errorf("speech: unknown voice backend %q (want one of %s)", cfg.Backend, strings.Join(Backends, ", "))
	}
	for _, try := range tries {
		if be := try(); be != nil {
			if name == "auto" && len(f.missing) > 0 {
				cfg.Logger.Info("speech: using " + be.Name() + " (" + strings.Join(f.missing, ", ") + ")")
			}
			return be, nil
		}
	}
	why := strings.Join(f.missing, ", ")
	if name == "auto" {
		cfg.Logger.Warn("speech: no voice available (" + why + "); announcements will not be spoken: install espeak-ng or speech-dispatcher, or pass --voice none")
		return noneBackend{}, nil
	}
	return nil, fmt.Errorf("speech: --voice %s: %w (%s)", cfg.Backend, ErrUnavailable, why)
}
