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
	// PreferPCM makes "auto" choose a PCM-capable backend (espeak-ng, say) over
	// speech-dispatcher, e.g. while recording --wav. Otherwise a running
	// speech-dispatcher wins, so Packter and a screen reader share one voice.
	PreferPCM bool
	Logger    *slog.Logger

	MaxChars    int           // length limit per announcement (DefaultMaxChars)
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
}

// utterance is one thing for a backend to say.
type utterance struct {
	Text     string
	Priority Priority
}

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

// Queue is the one voice of the program. Say never blocks; a worker goroutine
// speaks one announcement at a time, highest priority first.
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
	pending   []utterance // by priority, highest first; FIFO within a priority
	speaking  bool
	cur       utterance
	curCancel context.CancelFunc
	last      string
	repeats   map[string]*repeatState
	chatter   bucket
	urgent    bucket
	stats     Stats
	failWarn  bool // a backend failure has been logged at Warn
}

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
	}
	go q.run()
	return q, nil
}

// Backend names the backend in use, for status lines.
func (q *Queue) Backend() string { return q.be.Name() }

// Say queues text at priority p without blocking. The text is cleaned (see
// Clean), its addresses and large numbers made speakable (see Speakable) and it
// is cut to Config.MaxChars.
// A repeat of the same text is coalesced: it is spoken again at most every
// RepeatEvery, an Alert in the short form Config.StillText ("still flooding").
func (q *Queue) Say(text string, p Priority) {
	still := ""
	if p == Alert {
		still = q.cfg.StillText
	}
	q.SayKeyed(text, text, still, p)
}

// SayKeyed is Say with an explicit coalescing key and short form: the first
// announcement for key says text; repeats are dropped except one every
// RepeatEvery, which says still (or text again if still is empty), until key has
// been quiet for ForgetAfter. An empty key disables coalescing.
func (q *Queue) SayKeyed(key, text, still string, p Priority) {
	text = q.speakable(text)
	if text == "" {
		return
	}
	if p < Progress {
		p = Progress
	} else if p > Alert {
		p = Alert
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.now()
	if key != "" && p != Progress {
		key = strings.ToLower(clean(key, q.cfg.MaxChars))
		if st, ok := q.repeats[key]; ok && now.Sub(st.lastSeen) < q.cfg.ForgetAfter {
			st.lastSeen = now
			if now.Sub(st.lastSpoken) < q.cfg.RepeatEvery {
				q.stats.Coalesced++
				return
			}
			st.lastSpoken = now
			if still != "" {
				text = q.speakable(still)
			}
		} else {
			q.pruneRepeats(now)
			q.repeats[key] = &repeatState{lastSpoken: now, lastSeen: now}
		}
	}
	if p == Progress && (q.speaking || len(q.pending) > 0) {
		q.stats.Dropped++ // before the rate limit: a dropped report costs no token
		return
	}
	b := &q.chatter
	if p >= Important {
		b = &q.urgent
	}
	if !b.take(now) {
		q.stats.RateLimited++
		return
	}
	q.enqueue(utterance{Text: text, Priority: p})
}

// speakable cleans text, reads its addresses and large numbers as words, and
// limits the length of the result.
func (q *Queue) speakable(text string) string {
	return clean(Speakable(clean(text, q.cfg.MaxChars)), q.cfg.MaxChars)
}

// pruneRepeats bounds the repeat table: expired keys go first, and if a flood of
// distinct texts still fills it, it starts afresh.
func (q *Queue) pruneRepeats(now time.Time) {
	if len(q.repeats) < 256 {
		return
	}
	for k, st := range q.repeats {
		if now.Sub(st.lastSeen) >= q.cfg.ForgetAfter {
			delete(q.repeats, k)
		}
	}
	if len(q.repeats) >= 1024 {
		clear(q.repeats)
	}
}

// enqueue inserts u by priority; q.mu is held.
func (q *Queue) enqueue(u utterance) {
	busy := q.speaking || len(q.pending) > 0
	if u.Priority == Progress && busy {
		q.stats.Dropped++
		return
	}
	if len(q.pending) >= q.cfg.MaxQueue {
		lowest := len(q.pending) - 1 // the newest of the lowest priority
		if q.pending[lowest].Priority >= u.Priority {
			q.stats.Dropped++
			return
		}
		q.pending = q.pending[:lowest]
		q.stats.Dropped++
	}
	i := len(q.pending)
	for i > 0 && q.pending[i-1].Priority < u.Priority {
		i--
	}
	q.pending = append(q.pending, utterance{})
	copy(q.pending[i+1:], q.pending[i:])
	q.pending[i] = u
	if u.Priority == Alert && q.speaking && q.cur.Priority < Alert {
		q.stats.Interrupted++
		q.curCancel()
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Stop stops talking now and drops everything queued (the console's
// stop-talking key).
func (q *Queue) Stop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.stats.Dropped += uint64(len(q.pending))
	q.pending = q.pending[:0]
	if q.speaking {
		q.stats.Interrupted++
		q.curCancel()
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

// Repeat says the last announcement again, at Important priority, past the
// coalescing and the rate limit: the user asked for it.
func (q *Queue) Repeat() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.last != "" {
		q.enqueue(utterance{Text: q.last, Priority: Important})
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

func (q *Queue) run() {
	defer close(q.done)
	for {
		q.mu.Lock()
		if len(q.pending) == 0 {
			q.mu.Unlock()
			select {
			case <-q.ctx.Done():
				return
			case <-q.wake:
				continue
			}
		}
		u := q.pending[0]
		q.pending = append(q.pending[:0], q.pending[1:]...)
		ctx, cancel := context.WithCancel(q.ctx)
		q.speaking, q.cur, q.curCancel = true, u, cancel
		if u.Priority >= Message {
			q.last = u.Text
		}
		q.stats.Spoken++
		q.mu.Unlock()

		err := q.be.Speak(ctx, u)
		stopped := ctx.Err() != nil
		cancel()

		q.mu.Lock()
		q.speaking, q.curCancel = false, nil
		if err != nil && !stopped {
			q.stats.Failed++
			lvl := slog.LevelDebug
			if !q.failWarn {
				lvl, q.failWarn = slog.LevelWarn, true
			}
			q.log.Log(context.Background(), lvl, "speech failed", "backend", q.be.Name(), "err", err)
		}
		q.mu.Unlock()
	}
}

// noneBackend speaks nothing (--voice none, or nothing available).
type noneBackend struct{}

func (noneBackend) Name() string                           { return "none" }
func (noneBackend) Speak(context.Context, utterance) error { return nil }
func (noneBackend) Close() error                           { return nil }
