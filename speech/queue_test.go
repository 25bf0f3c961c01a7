package speech

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// fakeBackend reports each utterance it starts and holds it until released or
// cancelled, so tests decide exactly when speech ends.
type fakeBackend struct {
	started chan utterance
	stopped chan utterance
	release chan struct{}
	mu      sync.Mutex
	closed  bool
}

func newFake() *fakeBackend {
	return &fakeBackend{started: make(chan utterance, 64), stopped: make(chan utterance, 64), release: make(chan struct{})}
}

func (f *fakeBackend) Name() string { return "fake" }
func (f *fakeBackend) Close() error {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	return nil
}
func (f *fakeBackend) Speak(ctx context.Context, u utterance) error {
	f.started <- u
	select {
	case <-f.release:
		return nil
	case <-ctx.Done():
		f.stopped <- u
		return ctx.Err()
	}
}

// clock is an injected clock that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// recv waits for the worker's next report. The timeout only turns a hang into a
// failure; no test outcome depends on time passing.
func recv(t *testing.T, ch chan utterance, what string) utterance {
	t.Helper()
	select {
	case u := <-ch:
		return u
	case <-time.After(10 * time.Second):
		t.Fatalf("nothing %s", what)
		return utterance{}
	}
}

// none asserts the worker has reported nothing more; called only once the
// worker is provably parked inside the fake (after a recv), so it is not racy.
func none(t *testing.T, ch chan utterance, what string) {
	t.Helper()
	select {
	case u := <-ch:
		t.Fatalf("unexpected %s: %+v", what, u)
	default:
	}
}

func newTestQueue(t *testing.T, cfg Config) (*Queue, *fakeBackend, *clock) {
	t.Helper()
	f := newFake()
	c := &clock{t: time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)}
	cfg.backend, cfg.Now = f, c.Now
	q, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q, f, c
}

func TestQueuePriorityOrder(t *testing.T) {
	q, f, _ := newTestQueue(t, Config{})
	q.Say("first", Message)
	if u := recv(t, f.started, "started"); u.Text != "first" || u.Priority != Message {
		t.Fatalf("started %+v", u)
	}
	q.Say("chatter", Message)
	q.SayKind(KindResult, "trace result") // Important, but not a key press: waits its turn
	q.Say("50 percent", Progress)         // busy: dropped
	if !q.Busy() {
		t.Fatal("not busy while speaking with two queued")
	}
	f.release <- struct{}{}
	if u := recv(t, f.started, "second"); u.Text != "trace result" {
		t.Fatalf("second = %q, want the Important one", u.Text)
	}
	f.release <- struct{}{}
	if u := recv(t, f.started, "third"); u.Text != "chatter" {
		t.Fatalf("third = %q", u.Text)
	}
	f.release <- struct{}{}
	waitIdle(q)
	// The progress report was dropped: a fresh one, now idle, is the next thing.
	q.Say("60 percent", Progress)
	if u := recv(t, f.started, "progress"); u.Text != "60 percent" {
		t.Fatalf("after the queue drained, started %q", u.Text)
	}
	if s := q.Stats(); s.Dropped != 1 || s.Spoken != 4 {
		t.Errorf("stats %+v, want 1 dropped, 4 spoken", s)
	}
	none(t, f.stopped, "stop")
}

func TestQueueAlertInterrupts(t *testing.T) {
	q, f, _ := newTestQueue(t, Config{})
	q.Say("a long PACKTERVOICE message", Message)
	recv(t, f.started, "message")
	q.Say("SYN flood toward 10.1.2.3", Alert)
	if u := recv(t, f.stopped, "interrupted"); u.Text != "a long PACKTERVOICE message" {
		t.Fatalf("interrupted %q", u.Text)
	}
	if u := recv(t, f.started, "alert"); u.Priority != Alert {
		t.Fatalf("after interruption started %+v", u)
	}
	// An alert does not interrupt another alert: it waits.
	q.Say("UDP flood toward 10.9.9.9", Alert)
	none(t, f.stopped, "stop of an alert by an alert")
	f.release <- struct{}{}
	if u := recv(t, f.started, "second alert"); u.Text != "UDP flood toward ten dot nine dot nine dot nine" {
		t.Fatalf("second alert %q", u.Text)
	}
	f.release <- struct{}{}
	// The interrupted message is said again once the alerts are over.
	if u := recv(t, f.started, "resumed"); u.Text != "a long PACKTERVOICE message" {
		t.Fatalf("after the alerts started %q, want the interrupted message", u.Text)
	}
	f.release <- struct{}{}
	// Important is interrupted by Alert too.
	q.SayKind(KindResult, "trace result")
	recv(t, f.started, "important")
	q.Say("ICMP flood toward 10.0.0.7", Alert)
	if u := recv(t, f.stopped, "interrupted important"); u.Text != "trace result" {
		t.Fatalf("interrupted %q", u.Text)
	}
	recv(t, f.started, "third alert")
	if s := q.Stats(); s.Interrupted != 2 || s.Resumed != 2 {
		t.Errorf("Interrupted = %d, Resumed = %d, want 2 and 2", s.Interrupted, s.Resumed)
	}
	if q.Last() != "ICMP flood toward ten dot zero dot zero dot seven" {
		t.Errorf("Last = %q", q.Last())
	}
}

func TestQueueCoalescesRepeats(t *testing.T) {
	q, f, c := newTestQueue(t, Config{RepeatEvery: 30 * time.Second, ForgetAfter: 2 * time.Minute, UrgentPerMinute: 1000})
	const flood = "SYN flood toward 10.1.2.3"
	const spoken = "SYN flood toward ten dot one dot two dot three" // Say reads addresses out
	say := func(wantText string) {
		t.Helper()
		q.Say(flood, Alert)
		if wantText == "" {
			if q.Busy() {
				t.Fatalf("repeat at %v was queued", c.Now())
			}
			return
		}
		if u := recv(t, f.started, "speech"); u.Text != wantText {
			t.Fatalf("spoke %q, want %q", u.Text, wantText)
		}
		f.release <- struct{}{}
		waitIdle(q)
	}
	say(spoken)
	for i := 0; i < 5; i++ { // every 5 s for 25 s: all coalesced
		c.add(5 * time.Second)
		say("")
	}
	c.add(5 * time.Second) // 30 s after the first
	say("still flooding")
	c.add(29 * time.Second)
	say("")
	c.add(time.Second)
	say("still flooding")
	// Quiet for longer than ForgetAfter: the next one is news again.
	c.add(2*time.Minute + time.Second)
	say(spoken)
	if s := q.Stats(); s.Coalesced != 6 {
		t.Errorf("Coalesced = %d, want 6", s.Coalesced)
	}

	// Non-alerts repeat in full, at most every RepeatEvery.
	q.Say("Traceback trial failed", Message)
	recv(t, f.started, "message")
	f.release <- struct{}{}
	waitIdle(q)
	c.add(10 * time.Second)
	q.Say("Traceback trial failed", Message)
	if q.Busy() {
		t.Fatal("message repeated within RepeatEvery was queued")
	}
	c.add(20 * time.Second)
	q.Say("Traceback trial failed", Message)
	if u := recv(t, f.started, "message repeat"); u.Text != "Traceback trial failed" {
		t.Fatalf("repeat said %q", u.Text)
	}
	f.release <- struct{}{}
}

// waitIdle waits for the worker to finish its bookkeeping after a release.
func waitIdle(q *Queue) {
	for i := 0; q.Busy(); i++ {
		if i > 1e7 {
			panic("queue never became idle")
		}
		runtime.Gosched()
	}
}

func TestQueueSayKeyed(t *testing.T) {
	q, f, c := newTestQueue(t, Config{RepeatEvery: 10 * time.Second})
	q.SayKeyed("ids:2001219", "IDS alert: SSH scan from 10.0.0.5", "still scanning", Alert)
	recv(t, f.started, "first")
	f.release <- struct{}{}
	waitIdle(q)
	c.add(10 * time.Second)
	q.SayKeyed("ids:2001219", "IDS alert: SSH scan from 10.0.0.6", "still scanning", Alert) // same key, other text
	if u := recv(t, f.started, "short form"); u.Text != "still scanning" {
		t.Fatalf("said %q", u.Text)
	}
	f.release <- struct{}{}
}

func TestQueueRateLimit(t *testing.T) {
	q, f, c := newTestQueue(t, Config{ChatterPerMinute: 4, UrgentPerMinute: 4}) // burst 1, one per 15 s
	q.Say("one", Message)
	recv(t, f.started, "one")
	q.Say("two", Message)     // no token left
	q.Say("three", Progress)  // busy: dropped before it could cost a token
	q.Say("alert one", Alert) // urgent has its own bucket
	recv(t, f.stopped, "interrupted one")
	recv(t, f.started, "alert one")
	q.Say("alert two", Alert) // urgent bucket empty
	f.release <- struct{}{}
	recv(t, f.started, "one, resumed")
	f.release <- struct{}{}
	waitIdle(q)
	if s := q.Stats(); s.RateLimited != 2 || s.Dropped != 1 {
		t.Fatalf("RateLimited = %d, Dropped = %d, want 2 and 1 (%+v)", s.RateLimited, s.Dropped, s)
	}
	c.add(15 * time.Second)
	q.Say("four", Message)
	if u := recv(t, f.started, "after refill"); u.Text != "four" {
		t.Fatalf("after refill said %q", u.Text)
	}
	f.release <- struct{}{}
}

func TestQueueStopAndRepeat(t *testing.T) {
	q, f, _ := newTestQueue(t, Config{})
	q.Say("Traceback trial succeeded", Important)
	recv(t, f.started, "first")
	q.Say("queued one", Message)
	q.Say("queued two", Message)
	q.Stop()
	if u := recv(t, f.stopped, "stopped"); u.Text != "Traceback trial succeeded" {
		t.Fatalf("stopped %q", u.Text)
	}
	waitIdle(q) // proves the queue was emptied: nothing else starts
	none(t, f.started, "speech after Stop")
	if q.Last() != "Traceback trial succeeded" {
		t.Fatalf("Last = %q", q.Last())
	}
	// Repeat bypasses coalescing (the same text just now) and says it again.
	q.Repeat()
	if u := recv(t, f.started, "repeat"); u.Text != "Traceback trial succeeded" || u.Priority != Important {
		t.Fatalf("repeat %+v", u)
	}
	f.release <- struct{}{}
	if s := q.Stats(); s.Dropped != 2 || s.Interrupted != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestQueueOverflowKeepsImportant(t *testing.T) {
	q, f, _ := newTestQueue(t, Config{MaxQueue: 2})
	q.Say("speaking", Message)
	recv(t, f.started, "first")
	q.Say("b", Message)
	q.Say("c", Message)
	q.Say("d", Message)            // full of equals: dropped
	q.SayKind(KindResult, "trace") // evicts "c"
	q.Say("e", Message)            // full, lowest is Message: dropped
	f.release <- struct{}{}
	var got []string
	for i := 0; i < 2; i++ {
		got = append(got, recv(t, f.started, "queued").Text)
		f.release <- struct{}{}
	}
	if strings.Join(got, ",") != "trace,b" {
		t.Fatalf("spoke %v, want [trace b]", got)
	}
}

func TestQueueSpeaksAddressesAndNumbers(t *testing.T) {
	q, f, _ := newTestQueue(t, Config{})
	q.Say("/T:1 /W: 12000 packets per second toward 192.168.1.1:80", Alert)
	if u := recv(t, f.started, "alert"); u.Text != "12 thousand packets per second toward one ninety-two dot one sixty-eight dot one dot one port 80" {
		t.Fatalf("said %q", u.Text)
	}
	f.release <- struct{}{}
	// Reading addresses out lengthens text: the limit applies to what is said.
	q2, f2, _ := newTestQueue(t, Config{MaxChars: 100})
	q2.Say(strings.Repeat("10.0.0.1 ", 11), Message) // 99 characters
	if u := recv(t, f2.started, "addresses"); utf8.RuneCountInString(u.Text) > 100 || !strings.HasPrefix(u.Text, "ten dot zero") {
		t.Fatalf("said %d runes: %q", utf8.RuneCountInString(u.Text), u.Text)
	}
	f2.release <- struct{}{}
}

func TestQueueCleansAndLimits(t *testing.T) {
	q, f, _ := newTestQueue(t, Config{MaxChars: 40})
	q.Say("/T:1 /W:\x1b[2J"+strings.Repeat("overflowing ", 10_000), Message)
	u := recv(t, f.started, "long text")
	// The escape sequence loses its ESC, and "[" is defused.
	if n := utf8.RuneCountInString(u.Text); n > 40 || !strings.HasPrefix(u.Text, "(2Joverflowing") {
		t.Fatalf("said %d runes: %q", n, u.Text)
	}
	f.release <- struct{}{}
	q.Say("\x00\x01 \t", Message) // nothing left to say
	waitIdle(q)
	none(t, f.started, "speech of empty text")
}

func TestQueueClose(t *testing.T) {
	f := newFake()
	q, err := New(context.Background(), Config{backend: f})
	if err != nil {
		t.Fatal(err)
	}
	q.Say("hello", Message)
	recv(t, f.started, "hello")
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	recv(t, f.stopped, "stop on close")
	if !f.closed {
		t.Error("backend not closed")
	}
}
