package console

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/packter/packter/event"
)

// traceJob is a trace to send off the UI goroutine.
type traceJob struct {
	ev   event.Event
	host string
}

// traceDoneMsg reports a trace's send.
type traceDoneMsg struct {
	host string
	err  error
}

func (j *traceJob) run(ctx context.Context, t Tracer) traceDoneMsg {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return traceDoneMsg{host: j.host, err: t.Trace(ctx, &j.ev)}
}

// traceState is the trace status concern: what was sent where, and the one
// line its outcome becomes. The client's several messages (launched, the
// hash, one line per AS, the verdict) stay in the message history; what is
// printed and said is one line per outcome, with the AS path and no hash.
type traceState struct {
	timeout time.Duration
	status  string // shown on the Trace line
	host    string
	what    string // the packet traced, in short: "TCP SYN from 192.0.2.7 port 443"
	at      time.Time
	pending bool
	doneAt  time.Time // the outcome's arrival: the client's voice repeats it
	// The client's verdict message came; its voice, which words the path
	// best ("came from AS 64540, through AS 64510", or "possibly spoofed"),
	// is due right after it. fallback is said if it does not come.
	verdictAt time.Time
	fallback  string
}

// traceLinger is how long after an outcome the client's other reports of it
// (its PACKTERVOICE) are kept to the history rather than printed again.
const traceLinger = 5 * time.Second

// start records a trace sent to host and returns the announcement.
func (t *traceState) start(ev *event.Event, host string, now time.Time) string {
	t.host, t.at, t.pending = host, now, true
	t.what = fmt.Sprintf("%s from %s", FlagName(ev), spokenEnd(ev, ev.Src, ev.SPort, true))
	t.verdictAt, t.fallback = time.Time{}, ""
	t.status = fmt.Sprintf("%s: sent %s to the traceback client at %s, waiting for the answer", t.what, now.Format("15:04:05"), host)
	// Short: the selection just said which packet; the outcome names it.
	return "Tracing the selected packet"
}

// sendFailed is the announcement for a trace that could not be sent.
func (t *traceState) sendFailed(m traceDoneMsg) string {
	if m.err == nil {
		return ""
	}
	t.pending = false
	t.status = "could not be sent to " + m.host
	return fmt.Sprintf("Trace of %s failed: could not send to the traceback client at %s: %v", t.what, m.host, m.err)
}

var asNumber = regexp.MustCompile(`AS:?\s?(\d+)`)

// observe looks at a message that arrived; while a trace waits, messages
// about it are the client's progress (consumed: no line of their own) or its
// outcome (the one line to print and say, as outcome). The outcome is the
// client's own spoken verdict; from a client that speaks none, the AS path
// read from its verdict message.
func (t *traceState) observe(ev *event.Event) (consumed bool, outcome string) {
	text := plainText(ev)
	if !containsFold(text, "trace") && ev.Kind != event.KindTrace {
		return false, ""
	}
	verdict := ""
	switch {
	case containsFold(text, "succeeded"):
		verdict = "succeeded"
	case containsFold(text, "failed"):
		verdict = "failed"
	}
	if !t.pending {
		if !t.doneAt.IsZero() && ev.Time.Sub(t.doneAt) < traceLinger && !ev.Time.Before(t.doneAt) {
			return true, "" // the client's other reports of the outcome said
		}
		if ev.Kind == event.KindVoice && verdict != "" {
			// A trace launched elsewhere (the board's T, another viewer): its
			// outcome is said here too, once.
			t.what = ""
			return true, t.finish(ev.Time, "Trace "+voiceVerdict(text, verdict))
		}
		return false, ""
	}
	if ev.Time.Before(t.at) {
		return false, ""
	}
	if verdict == "" {
		return true, "" // launched, requested: progress only
	}
	if ev.Kind == event.KindVoice {
		return true, t.finish(ev.Time, fmt.Sprintf("Trace of %s %s", t.what, voiceVerdict(text, verdict)))
	}
	// The verdict message: remember its path, wait a moment for the voice.
	t.verdictAt = ev.Time
	t.fallback = fmt.Sprintf("Trace of %s %s", t.what, verdict)
	if verdict == "succeeded" {
		var path []string
		for _, m := range asNumber.FindAllStringSubmatch(text, -1) {
			path = append(path, m[1])
		}
		if len(path) > 0 {
			t.fallback += ": AS path from here " + strings.Join(path, ", ")
		}
	}
	return true, ""
}

// voiceVerdict is the client's spoken verdict without its "Traceback
// succeeded:" lead: "succeeded: the packet came from AS 64540, …".
func voiceVerdict(text, verdict string) string {
	if i := strings.Index(strings.ToLower(text), verdict); i >= 0 {
		rest := strings.TrimLeft(text[i+len(verdict):], " :.,")
		if rest != "" {
			return verdict + ": " + rest
		}
	}
	return verdict
}

func (t *traceState) finish(at time.Time, outcome string) string {
	t.pending, t.doneAt = false, at
	t.verdictAt, t.fallback = time.Time{}, ""
	t.status = outcome
	return outcome
}

// voiceWait is how long after its verdict message a client's voice may come.
const voiceWait = time.Second

// check returns the outcome of a client that sent its verdict but no voice,
// or the announcement for a trace that has waited too long.
func (t *traceState) check(now time.Time) string {
	if t.pending && !t.verdictAt.IsZero() && now.Sub(t.verdictAt) >= voiceWait {
		return t.finish(t.verdictAt, t.fallback)
	}
	if !t.pending || !t.verdictAt.IsZero() || now.Sub(t.at) < t.timeout {
		return ""
	}
	t.pending = false
	t.status = "no answer from " + t.host
	return fmt.Sprintf("No answer from the traceback client at %s after %s", t.host, spokenDuration(t.timeout))
}

// spokenDuration says a timeout in words: "10 seconds", "2 minutes".
func spokenDuration(d time.Duration) string {
	if d < 2*time.Minute {
		return plural(int(d/time.Second), "second")
	}
	return plural(int(d/time.Minute), "minute")
}
