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
}

// traceLinger is how long after an outcome the client's other reports of it
// (its PACKTERVOICE) are kept to the history rather than printed again.
const traceLinger = 5 * time.Second

// start records a trace sent to host and returns the announcement.
func (t *traceState) start(ev *event.Event, host string, now time.Time) string {
	t.host, t.at, t.pending = host, now, true
	t.what = fmt.Sprintf("%s from %s", FlagName(ev), spokenEnd(ev, ev.Src, ev.SPort, true))
	t.status = fmt.Sprintf("%s: sent %s to the traceback client at %s, waiting for the answer", t.what, now.Format("15:04:05"), host)
	return "Tracing " + t.what
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
// outcome (the one line to print, as outcome).
func (t *traceState) observe(ev *event.Event) (consumed bool, outcome string) {
	text := plainText(ev)
	if !containsFold(text, "trace") && ev.Kind != event.KindTrace {
		return false, ""
	}
	if !t.pending {
		return !t.doneAt.IsZero() && ev.Time.Sub(t.doneAt) < traceLinger && !ev.Time.Before(t.doneAt), ""
	}
	if ev.Time.Before(t.at) {
		return false, ""
	}
	switch {
	case containsFold(text, "succeeded"):
		var path []string
		for _, m := range asNumber.FindAllStringSubmatch(text, -1) {
			path = append(path, m[1])
		}
		outcome = fmt.Sprintf("Trace of %s succeeded", t.what)
		if len(path) > 0 {
			outcome += ": AS path from here " + strings.Join(path, ", ")
		}
	case containsFold(text, "failed"):
		outcome = fmt.Sprintf("Trace of %s failed", t.what)
	default:
		return true, "" // launched, requested: progress only
	}
	t.pending, t.doneAt = false, ev.Time
	t.status = outcome
	return true, outcome
}

// check returns the announcement for a trace that has waited too long.
func (t *traceState) check(now time.Time) string {
	if !t.pending || now.Sub(t.at) < t.timeout {
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
