// Package consoletest has fakes of the console's sound, speech and trace
// interfaces, for tests and for trying the console without a monitor.
package consoletest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/speech"
)

// Sound records the controls it is given.
type Sound struct {
	mu         sync.Mutex
	volume     float64
	muted      bool
	classMuted [10]bool
	solo       int
	theme      string
	themes     []string
}

// NewSound starts at volume 0.8 with themes "classic" and "calm".
func NewSound() *Sound {
	return &Sound{volume: 0.8, solo: -1, theme: "classic", themes: []string{"classic", "calm"}}
}

func (s *Sound) SetVolume(v float64) { s.mu.Lock(); s.volume = v; s.mu.Unlock() }
func (s *Sound) Volume() float64     { s.mu.Lock(); defer s.mu.Unlock(); return s.volume }
func (s *Sound) SetMuted(m bool)     { s.mu.Lock(); s.muted = m; s.mu.Unlock() }
func (s *Sound) Muted() bool         { s.mu.Lock(); defer s.mu.Unlock(); return s.muted }
func (s *Sound) Solo(class int)      { s.mu.Lock(); s.solo = class; s.mu.Unlock() }
func (s *Sound) Theme() string       { s.mu.Lock(); defer s.mu.Unlock(); return s.theme }
func (s *Sound) Themes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.themes...)
}

// SetClassMuted mutes one flag class.
func (s *Sound) SetClassMuted(class int, m bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if class >= 0 && class < len(s.classMuted) {
		s.classMuted[class] = m
	}
}

// ClassMuted reports what SetClassMuted set.
func (s *Sound) ClassMuted(class int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return class >= 0 && class < len(s.classMuted) && s.classMuted[class]
}

// SoloClass reports what Solo set (-1: none).
func (s *Sound) SoloClass() int { s.mu.Lock(); defer s.mu.Unlock(); return s.solo }

// SetTheme accepts only known themes.
func (s *Sound) SetTheme(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.themes {
		if t == name {
			s.theme = name
			return nil
		}
	}
	return fmt.Errorf("no theme %q", name)
}

// Status says what the real engine's status says, from the fake's state.
func (s *Sound) Status() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	if s.muted {
		b.WriteString("muted, ")
	}
	fmt.Fprintf(&b, "volume %d%%, theme %s", int(s.volume*100+0.5), s.theme)
	if s.solo >= 0 {
		fmt.Fprintf(&b, ", solo %d", s.solo)
	}
	b.WriteString(", fake output")
	return b.String()
}

// Utterance is one Say call.
type Utterance struct {
	Text     string
	Priority speech.Priority
}

// Speech records what it is asked to say.
type Speech struct {
	mu      sync.Mutex
	said    []Utterance
	stops   int
	repeats int
	volume  float64 // 0 means 1: the zero value is at full volume
}

// SetVolume sets the speech volume, as speech.Queue does.
func (s *Speech) SetVolume(v float64) { s.mu.Lock(); s.volume = v; s.mu.Unlock() }

// Volume is the speech volume.
func (s *Speech) Volume() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.volume == 0 {
		return 1
	}
	return s.volume
}

func (s *Speech) Say(text string, p speech.Priority) {
	s.mu.Lock()
	s.said = append(s.said, Utterance{text, p})
	s.mu.Unlock()
}
func (s *Speech) Stop()   { s.mu.Lock(); s.stops++; s.mu.Unlock() }
func (s *Speech) Repeat() { s.mu.Lock(); s.repeats++; s.mu.Unlock() }

// Said returns every utterance so far.
func (s *Speech) Said() []Utterance {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Utterance(nil), s.said...)
}

// Counts returns how often Stop and Repeat were called.
func (s *Speech) Counts() (stops, repeats int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stops, s.repeats
}

// Appender is where the fake tracer puts its outcome: the monitor's timeline.
type Appender interface {
	Append(ev *event.Event) uint64
}

// Tracer answers a trace as PACKTER's traceback client does, by appending its
// "launched" and outcome messages to the timeline. Hosts in Fail get
// "Traceback trial failed"; an Err makes Trace fail to send.
type Tracer struct {
	TL   Appender
	Now  func() time.Time
	Fail map[string]bool
	Err  error
	// Mute: the client sends no voice (as PACKTER 2.5's may not); the
	// console then reads the AS path from the verdict message.
	Mute bool

	mu    sync.Mutex
	calls []event.Event
}

// Trace records the call and appends the outcome events.
func (t *Tracer) Trace(ctx context.Context, ev *event.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	hash, host, ok := ev.Traceable()
	if !ok {
		return errors.New("fake tracer: description holds no traceback hash")
	}
	t.mu.Lock()
	t.calls = append(t.calls, *ev)
	t.mu.Unlock()
	if t.Err != nil {
		return t.Err
	}
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	t.TL.Append(&event.Event{Time: now(), Kind: event.KindMessage, File: event.CleanText("traceback.png", event.MaxText),
		Text: event.CleanText("Launched IP traceback process "+hash, event.MaxText)})
	if t.Fail[host] {
		t.TL.Append(&event.Event{Time: now(), Kind: event.KindMessage, Text: event.CleanText("Traceback trial failed", event.MaxText)})
		if !t.Mute {
			t.TL.Append(&event.Event{Time: now(), Kind: event.KindVoice, Text: event.CleanText("Traceback failed: no agent saw the packet", event.MaxText)})
		}
		return nil
	}
	t.TL.Append(&event.Event{Time: now(), Kind: event.KindMessage,
		Text: event.CleanText(strings.Join([]string{"Depth 0: found AS:64500", "Depth 1: reached AS:64501", "Traceback trial succeeded"}, "<br>"), event.MaxText)})
	if !t.Mute {
		// As Packter's traceback client, the verdict is also spoken.
		t.TL.Append(&event.Event{Time: now(), Kind: event.KindVoice, Text: event.CleanText(Verdict, event.MaxText)})
	}
	return nil
}

// Verdict is what the fake client says after a successful trace.
const Verdict = "Traceback succeeded: the packet came from AS 64501 or from beyond it, through AS 64500"

// Calls returns the events traced so far.
func (t *Tracer) Calls() []event.Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]event.Event(nil), t.calls...)
}
