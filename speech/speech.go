// Package speech says what happened: alerts, traceback results, PACKTERVOICE
// messages and console announcements, through the system's own voice
// (speech-dispatcher, espeak-ng, macOS say, Windows SAPI) behind one queue with
// priorities, coalescing of repeats, a rate limit and a length limit.
//
// Text from the network never reaches a shell: backends run programs with
// argument lists and pass the text on standard input.
package speech

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Priority orders announcements. Higher values win.
type Priority int

const (
	Progress  Priority = iota // dropped when anything else is queued or speaking
	Message                   // PACKTERVOICE text, ordinary announcements
	Important                 // trace results, console announcements the user asked for
	Alert                     // floods, IDS alerts: interrupts lower priorities
)

func (p Priority) String() string {
	switch p {
	case Progress:
		return "progress"
	case Message:
		return "message"
	case Important:
		return "important"
	case Alert:
		return "alert"
	}
	return "unknown"
}

// Ducker lowers everything but speech for a while (sonify.Engine).
type Ducker interface {
	DuckFor(d time.Duration)
}

// PCMSink is how speech is mixed into the sound engine (sonify implements it), so
// it lands in --wav and ducking works.
type PCMSink interface {
	// PlaySpeech mixes mono 16-bit PCM at rate Hz into the output. done is closed
	// once it has played; stop cuts it short.
	PlaySpeech(pcm []int16, rate int) (done <-chan struct{}, stop func())
}

// Config chooses a backend and the queue's limits. Zero values mean defaults.
type Config struct {
	Backend string  // "auto" | "speechd" | "espeak-ng" | "say" | "sapi" | "none" (CLI: --voice); "" is auto
	Rate    int     // words per minute, 0 = backend default
	Voice   string  // backend voice name, "" = default
	PCM     PCMSink // when set, backends that can produce PCM render to it instead of the device
	// Duck lowers the rest of the sound while a backend that plays outside
	// Packter (speech-dispatcher, a direct espeak-ng) speaks, for the
	// utterance's estimated length; PCM speech is ducked by the mixer itself.
	Duck Ducker
	// PreferPCM makes "auto" choose a PCM-capable backend (espeak-ng, say) over
	// speech-dispatcher, e.g. while recording --wav. Otherwise a running
	// speech-dispatcher wins, so Packter and a screen reader share one voice.
	PreferPCM bool
	Logger    *slog.Logger

	// MaxChars limits each announcement from the network (DefaultMaxChars);
	// Packter's own longer answers are split into parts of at most MaxChars.
	MaxChars    int
	MaxQueue    int           // announcements waiting (16); beyond it the lowest priority is dropped
	RepeatEvery time.Duration // a repeated alert is spoken again, in its short form, at most this often (30 s)
	ForgetAfter time.Duration // a repeat key unseen this long is forgotten; the next one is spoken in full (2 min)
	StillText   string        // short form of a repeated Alert ("still flooding")
	// Rate limits, in announcements per minute: ChatterPerMinute for Progress and
	// Message (network-supplied text), UrgentPerMinute for Important and Alert.
	// Each allows a burst of a quarter of its minute's worth.
	ChatterPerMinute int // 20
	UrgentPerMinute  int // 40
	Now              func() time.Time

	// Test seams.
	backend  backend
	lookPath func(string) (string, error)
	getenv   func(string) string
	goos     string
}

// Stats counts what the queue did, for status lines and tests.
type Stats struct {
	Spoken      uint64 // utterances handed to the backend
	Interrupted uint64 // cut short by an alert or Stop
	Coalesced   uint64 // repeats not spoken
	RateLimited uint64
	Dropped     uint64 // progress while busy, queue overflow, Stop
	Failed      uint64 // backend errors
	Replaced    uint64 // superseded by a newer utterance of the same kind, or cut short by a key press
	Resumed     uint64 // interrupted, then spoken again from the part where it was cut
}

// utterance is one thing for a backend to say.
type utterance struct {
	Text     string
	Priority Priority
	// Attenuate is 1 minus the speech volume (Queue.SetVolume), so that the
	// zero utterance speaks at the backend's normal loudness.
	Attenuate float64
}

// gain is the speech volume, 0..1.
func (u utterance) gain() float64 { return 1 - min(1, max(0, u.Attenuate)) }

// backend says one utterance at a time. Speak returns once the text has been
// said, or as soon as ctx is cancelled (having stopped the voice).
type backend interface {
	Name() string
	Speak(ctx context.Context, u utterance) error
	Close() error
}

type repeatState struct {
	lastSpoken, lastSeen time.Time
}

// bucket is a token bucket on the queue's clock.
type bucket struct {
	tokens, burst float64
	per           time.Duration // one token per
	at            time.Time
}

func (b *bucket) take(now time.Time) bool {
	if b.at.IsZero() {
		b.tokens, b.at = b.burst, now
	}
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(b.burst, b.tokens+float64(d)/float64(b.per))
		b.at = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	return false
}

func newBucket(perMinute int) bucket {
	return bucket{burst: max(1, float64(perMinute)/4), per: time.Minute / time.Duration(perMinute)}
}

// Kind says what an utterance is, which decides how it takes its turn: whether
// it is deduplicated, replaces an older one, or is cut short by a key press.
type Kind int

const (
	// KindMessage is text from the network (PACKTERVOICE): Message priority,
	// rate limited, identical text said at most every RepeatEvery.
	KindMessage Kind = iota
	// KindProgress is Packter's own progress ("Newest packet"): dropped when
	// anything else is queued or speaking, cut short by any key press.
	KindProgress
	// KindAnswer answers a key press: always spoken, never deduplicated or rate
	// limited. Like every user kind below it cuts short Progress, Selection
	// and Help, and interrupts network Messages (which are said again after).
	KindAnswer
	// KindSelection reads the selected packet; a newer selection replaces an
	// older one, queued or playing.
	KindSelection
	// KindVolume is "Volume N percent"; a newer one replaces an older one.
	KindVolume
	// KindStatus is the status (the i key); a newer one replaces an older one.
	KindStatus
	// KindHelp is spoken help (use SayParts); newer help replaces older help,
	// and any key press cuts it short.
	KindHelp
	// KindResult is a traceback outcome: it comes from the network but answers
	// the user's T, so it is never deduplicated (rate limited as urgent).
	KindResult
	// KindAlert is a flood or IDS alert: it interrupts everything else and is
	// deduplicated only against the identical alert (see Config.StillText).
	KindAlert
)

var kindNames = [...]string{"message", "progress", "answer", "selection", "volume", "status", "help", "result", "alert"}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Priority is the priority a kind is spoken at.
func (k Kind) Priority() Priority {
	switch k {
	case KindProgress:
		return Progress
	case KindMessage:
		return Message
	case KindAlert:
		return Alert
	}
	return Important
}

// user reports whether k answers a key press.
func (k Kind) user() bool { return k >= KindAnswer && k <= KindHelp }

// replaceable kinds are superseded by a newer utterance of the same kind.
func (k Kind) replaceable() bool { return k >= KindSelection && k <= KindHelp }

// keyCuts are the kinds a key press cuts short: nobody is waiting for them.
func (k Kind) keyCuts() bool { return k == KindProgress || k == KindSelection || k == KindHelp }

// resumable kinds are said again, from the part that was cut, after an
// interruption by something more urgent.
func (k Kind) resumable() bool {
	return k == KindMessage || k == KindAnswer || k == KindVolume || k == KindStatus || k == KindResult || k == KindHelp
}

// kindOf maps the older priority-only calls onto kinds.
func kindOf(p Priority) Kind {
	switch {
	case p <= Progress:
		return KindProgress
	case p == Message:
		return KindMessage
	case p == Important:
		return KindAnswer
	}
	return KindAlert
}

// ClassifyVoice chooses the kind of a PACKTERVOICE text: traceback outcomes
// ("Launched IP traceback process", "Traceback succeeded: …") are results the
// user asked for; floods, attacks, incidents, scans and alerts are alerts;
// anything else is a message.
func ClassifyVoice(text string) Kind {
	t := strings.ToLower(text)
	if strings.Contains(t, "traceback") || strings.Contains(t, "trace back") {
		return KindResult
	}
	for _, w := range []string{"flood", "attack", "incident", "scan", "alert"} {
		if strings.Contains(t, w) {
			return KindAlert
		}
	}
	return KindMessage
}

// Queue is the one voice of the program. Say never blocks; a worker goroutine
// speaks one announcement at a time, by priority, with the rules of its Kind.
type Queue struct {
	cfg    Config
	be     backend
	log    *slog.Logger
	now    func() time.Time
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	wake   chan struct{}

	closeOnce sync.Once
	closeErr  error

	mu        sync.Mutex
	pending   []*item // by priority, highest first; FIFO within a priority
	speaking  bool
	cur       *item
	curCancel context.CancelFunc
	curResume bool // the worker puts cur back in the queue when it stops
	last      string
	repeats   map[string]*repeatState
	chatter   bucket
	urgent    bucket
	stats     Stats
	failWarn  bool    // a backend failure has been logged at Warn
	volume    float64 // speech volume 0..1, independent of the traffic sound
}

// item is one queued announcement: one or more parts said in turn.
type item struct {
	kind    Kind
	prio    Priority
	parts   []string
	next    int  // the part to say next (the worker's alone while speaking)
	resumed bool // said again once already after an interruption
}

func (it *item) text() string { return strings.Join(it.parts, " ") }

func (c *Config) defaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MaxChars <= 0 {
		c.MaxChars = DefaultMaxChars
	}
	if c.MaxQueue <= 0 {
		c.MaxQueue = 16
	}
	if c.RepeatEvery <= 0 {
		c.RepeatEvery = 30 * time.Second
	}
	if c.ForgetAfter <= 0 {
		c.ForgetAfter = 2 * time.Minute
	}
	if c.StillText == "" {
		c.StillText = "still flooding"
	}
	if c.ChatterPerMinute <= 0 {
		c.ChatterPerMinute = 20
	}
	if c.UrgentPerMinute <= 0 {
		c.UrgentPerMinute = 40
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// New chooses a backend (see Config.Backend) and starts the queue. A backend
// asked for by name that is unavailable is an error; "auto" degrades to none and
// says once, in one sentence, what was missing.
func New(ctx context.Context, cfg Config) (*Queue, error) {
	cfg.defaults()
	be := cfg.backend
	if be == nil {
		var err error
		if be, err = pick(ctx, &cfg); err != nil {
			return nil, err
		}
	}
	qctx, cancel := context.WithCancel(ctx)
	q := &Queue{
		cfg: cfg, be: be, log: cfg.Logger, now: cfg.Now,
		ctx: qctx, cancel: cancel,
		done:    make(chan struct{}),
		wake:    make(chan struct{}, 1),
		repeats: make(map[string]*repeatState),
		chatter: newBucket(cfg.ChatterPerMinute),
		urgent:  newBucket(cfg.UrgentPerMinute),
		volume:  1,
	}
	go q.run()
	return q, nil
}

// Backend names the backend in use, for status lines.
func (q *Queue) Backend() string { return q.be.Name() }

// Say queues text at priority p without blocking: Progress is KindProgress,
// Message KindMessage, Important KindAnswer and Alert KindAlert (see SayKind).
func (q *Queue) Say(text string, p Priority) {
	k := kindOf(p)
	key := ""
	if k == KindMessage || k == KindAlert {
		key = text
	}
	still := ""
	if k == KindAlert {
		still = q.cfg.StillText
	}
	q.say(k, key, still, []string{text})
}

// SayKind queues text as an utterance of kind k without blocking. The text is
// cleaned (see Clean), its numbers and addresses made speakable (see
// Speakable) and markup defused (see Defuse). Network kinds (Message, Result,
// Alert) are cut to Config.MaxChars; Packter's own answers are split into
// parts instead, so they are said whole.
func (q *Queue) SayKind(k Kind, text string) {
	key, still := "", ""
	switch k {
	case KindMessage:
		key = text
	case KindAlert:
		key, still = text, q.cfg.StillText
	}
	q.say(k, key, still, []string{text})
}

// SayParts queues several short utterances said in turn as one announcement
// of kind k, e.g. help, essentials first ("T trace, s stop, r repeat, q quit").
// Stop, a key press (for KindHelp) or a newer announcement of the same
// replaceable kind cuts the rest.
func (q *Queue) SayParts(k Kind, parts ...string) {
	q.say(k, "", "", parts)
}

// SayKeyed is Say with an explicit coalescing key and short form: the first
// announcement for key says text; repeats are dropped except one every
// RepeatEvery, which says still (or text again if still is empty), until key has
// been quiet for ForgetAfter. An empty key disables coalescing. Text that
// ClassifyVoice calls a traceback result is never coalesced: it answers the
// user's T.
func (q *Queue) SayKeyed(key, text, still string, p Priority) {
	k := kindOf(p)
	if k == KindAnswer || p >= Message && ClassifyVoice(text) == KindResult {
		k, key = KindResult, ""
	}
	q.say(k, key, still, []string{text})
}

// KeyPress tells the queue the user pressed a key: Progress, Selection and
// Help speech (playing or queued) is cut short. Every user kind (Answer,
// Selection, Volume, Status, Help) implies it.
func (q *Queue) KeyPress() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.keyPress(-1)
}

// SetVolume sets the speech volume, 0 (silent) to 1 (the voice's normal
// loudness), independent of the traffic sound's volume and mute. It applies
// from the next utterance.
func (q *Queue) SetVolume(v float64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.volume = min(1, max(0, v))
}

// Volume is the speech volume set by SetVolume (1 by default).
func (q *Queue) Volume() float64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.volume
}

// Stop stops talking now and drops everything queued (the console's
// stop-talking key).
func (q *Queue) Stop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.stats.Dropped += uint64(len(q.pending))
	q.pending = q.pending[:0]
	if q.speaking {
		q.interrupt(false)
		q.stats.Interrupted++
	}
}

// Busy reports whether anything is being said or waiting to be said.
func (q *Queue) Busy() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.speaking || len(q.pending) > 0
}

// Last is the last announcement of Message priority or above that began to be
// spoken.
func (q *Queue) Last() string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.last
}

// Repeat says the last announcement again as an answer (KindAnswer), past the
// coalescing and the rate limit: the user asked for it.
func (q *Queue) Repeat() {
	q.mu.Lock()
	last := q.last
	q.mu.Unlock()
	if last != "" {
		q.say(KindAnswer, "", "", []string{last})
	}
}

// Stats returns the queue's counters.
func (q *Queue) Stats() Stats {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.stats
}

// Close stops talking, ends the worker and releases the backend. Later calls
// do nothing.
func (q *Queue) Close() error {
	q.closeOnce.Do(func() {
		q.Stop()
		q.cancel()
		<-q.done
		q.closeErr = q.be.Close()
	})
	return q.closeErr
}

// noneBackend speaks nothing (--voice none, or nothing available).
type noneBackend struct{}

func (noneBackend) Name() string                           { return "none" }
func (noneBackend) Speak(context.Context, utterance) error { return nil }
func (noneBackend) Close() error                           { return nil }
