package speech

import (
	"context"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"
)

// maxParts bounds one announcement: help for every key fits comfortably.
const maxParts = 64

// say is the one entry to the queue: it prepares the text, applies the kind's
// deduplication and rate limit, and queues it.
func (q *Queue) say(k Kind, key, still string, parts []string) {
	if k < KindMessage || k > KindAlert {
		k = KindMessage
	}
	it := &item{kind: k, prio: k.Priority()}
	for _, p := range parts {
		it.parts = append(it.parts, q.prepare(k, p)...)
	}
	if len(it.parts) > maxParts {
		it.parts = it.parts[:maxParts]
	}
	if len(it.parts) == 0 {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.now()
	if key != "" && k != KindProgress {
		key = strings.ToLower(clean(key, q.cfg.MaxChars))
		if st, ok := q.repeats[key]; ok && now.Sub(st.lastSeen) < q.cfg.ForgetAfter {
			st.lastSeen = now
			if now.Sub(st.lastSpoken) < q.cfg.RepeatEvery {
				q.stats.Coalesced++
				return
			}
			st.lastSpoken = now
			if still != "" {
				it.parts = q.prepare(KindAlert, still)
			}
		} else {
			q.pruneRepeats(now)
			q.repeats[key] = &repeatState{lastSpoken: now, lastSeen: now}
		}
	}
	if k == KindProgress && (q.speaking || len(q.pending) > 0) {
		q.stats.Dropped++ // before the rate limit: a dropped report costs no token
		return
	}
	// Answers to key presses are never rate limited: the user asked, and
	// replacement keeps them from backing up.
	switch {
	case k.user():
	case k == KindAlert || k == KindResult:
		if !q.urgent.take(now) {
			q.stats.RateLimited++
			return
		}
	default:
		if !q.chatter.take(now) {
			q.stats.RateLimited++
			return
		}
	}
	if k.user() {
		q.keyPress(k)
	}
	q.enqueue(it)
}

// prepare cleans text, reads its numbers and addresses as words and defuses
// markup. Network text is cut to MaxChars; Packter's own answers are split
// into parts of at most MaxChars so that they are said whole.
func (q *Queue) prepare(k Kind, text string) []string {
	limit := q.cfg.MaxChars
	if k.user() {
		limit = 0
	}
	s := Defuse(clean(Speakable(clean(text, limit)), limit))
	if s == "" {
		return nil
	}
	var parts []string
	for s != "" && len(parts) < maxParts {
		var p string
		p, s = nextPart(s, q.cfg.MaxChars)
		if p != "" {
			parts = append(parts, p)
		}
	}
	return parts
}

// nextPart cuts s after at most max runes, at the end of a sentence or clause
// in the second half of the part if there is one, else at a word.
func nextPart(s string, max int) (part, rest string) {
	if utf8.RuneCountInString(s) <= max {
		return s, ""
	}
	cut, n := len(s), 0
	for i := range s {
		if n == max {
			cut = i
			break
		}
		n++
	}
	head := s[:cut]
	for _, sep := range []string{". ", "; ", ", ", " "} {
		if i := strings.LastIndex(head, sep); i > len(head)/2 || sep == " " && i > 0 {
			return strings.TrimSpace(head[:i+1]), strings.TrimSpace(s[i+len(sep):])
		}
	}
	return head, strings.TrimSpace(s[cut:]) // one word longer than max
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

// keyPress cuts short what a key press makes stale: Progress, Selection and
// Help, and any older utterance of the replaceable kind k (k < 0: none). A
// network Message playing is interrupted and said again afterwards, so that
// the answer starts at once. q.mu is held.
func (q *Queue) keyPress(k Kind) {
	stale := func(o Kind) bool { return o.keyCuts() || o == k && k.replaceable() }
	kept := q.pending[:0]
	for _, it := range q.pending {
		if stale(it.kind) {
			q.stats.Replaced++
			continue
		}
		kept = append(kept, it)
	}
	clear(q.pending[len(kept):])
	q.pending = kept
	if !q.speaking || q.curCancel == nil {
		return
	}
	switch {
	case stale(q.cur.kind):
		q.stats.Replaced++
		q.interrupt(false)
	case q.cur.kind == KindMessage && k >= 0:
		q.stats.Interrupted++
		q.interrupt(true)
	}
}

// interrupt stops the utterance being spoken; with resume, the worker queues
// it again from the part that was cut (once). q.mu is held.
func (q *Queue) interrupt(resume bool) {
	q.curResume = resume && q.cur.kind.resumable() && !q.cur.resumed
	q.curCancel()
	q.curCancel = nil // one interruption per utterance
}

// enqueue inserts it by priority; q.mu is held.
func (q *Queue) enqueue(it *item) {
	busy := q.speaking || len(q.pending) > 0
	if it.kind == KindProgress && busy {
		q.stats.Dropped++
		return
	}
	if len(q.pending) >= q.cfg.MaxQueue {
		lowest := len(q.pending) - 1 // the newest of the lowest priority
		if q.pending[lowest].prio >= it.prio {
			q.stats.Dropped++
			return
		}
		q.pending[lowest] = nil
		q.pending = q.pending[:lowest]
		q.stats.Dropped++
	}
	q.insert(it, false)
	if q.speaking && q.curCancel != nil {
		switch {
		case it.prio == Alert && q.cur.prio < Alert:
			q.stats.Interrupted++
			q.interrupt(true)
		case q.cur.kind == KindProgress:
			// Progress yields to anything (as speech-dispatcher's notification).
			q.stats.Interrupted++
			q.interrupt(false)
		}
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// insert puts it after (or, with first, before) the items of its priority.
func (q *Queue) insert(it *item, first bool) {
	i := len(q.pending)
	for i > 0 && (q.pending[i-1].prio < it.prio || first && q.pending[i-1].prio == it.prio) {
		i--
	}
	q.pending = append(q.pending, nil)
	copy(q.pending[i+1:], q.pending[i:])
	q.pending[i] = it
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
		it := q.pending[0]
		q.pending[0] = nil
		q.pending = append(q.pending[:0], q.pending[1:]...)
		ctx, cancel := context.WithCancel(q.ctx)
		q.speaking, q.cur, q.curCancel, q.curResume = true, it, cancel, false
		if it.prio >= Message {
			q.last = it.text()
		}
		q.stats.Spoken++
		u := utterance{Priority: it.prio, Attenuate: 1 - q.volume}
		q.mu.Unlock()

		var err error
		for ; it.next < len(it.parts) && ctx.Err() == nil; it.next++ {
			u.Text = it.parts[it.next]
			if q.cfg.Duck != nil && !q.mixesIn() {
				q.cfg.Duck.DuckFor(spokenLength(u.Text, q.cfg.Rate))
			}
			if err = q.be.Speak(ctx, u); err != nil {
				break
			}
		}
		stopped := ctx.Err() != nil
		cancel()
		q.finish(it, err, stopped)
	}
}

// mixesIn reports whether speech goes through the sound engine as PCM
// (where the mixer ducks the rest while it plays).
func (q *Queue) mixesIn() bool {
	e, ok := q.be.(*execBackend)
	return ok && e.pcm != nil
}

// spokenLength estimates how long text takes to say at wpm words a minute
// (0: a voice's usual 175), with a little room for the voice to start.
func spokenLength(text string, wpm int) time.Duration {
	if wpm <= 0 {
		wpm = 175
	}
	words := len(strings.Fields(text))
	return 300*time.Millisecond + time.Duration(float64(words)/float64(wpm)*float64(time.Minute))
}

// finish does the worker's bookkeeping once an item has ended.
func (q *Queue) finish(it *item, err error, stopped bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.speaking, q.curCancel = false, nil
	if stopped && q.curResume && it.next < len(it.parts) && q.ctx.Err() == nil {
		it.resumed = true
		q.stats.Resumed++
		q.insert(it, true)
	}
	q.curResume = false
	if err != nil && !stopped {
		q.stats.Failed++
		lvl := slog.LevelDebug
		if !q.failWarn {
			lvl, q.failWarn = slog.LevelWarn, true
		}
		q.log.Log(context.Background(), lvl, "speech failed", "backend", q.be.Name(), "err", err)
	}
}
