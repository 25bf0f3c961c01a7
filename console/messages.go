package console

import (
	"fmt"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/timeline"
)

const (
	maxMsgScan  = 200_000 // events examined for new messages per snapshot
	maxHistory  = 10_000  // messages kept for the history
	msgBudget   = 5       // message lines a second before the rest wait for h
	historyPage = 50      // lines h prints at once
)

// message is one received message and whether it was printed.
type message struct {
	item
	printed bool
}

// messages is the message history: every message, alert and trace report
// received, whether or not it got a line of its own, so none is lost (the
// h key lists them).
type messages struct {
	items    []message // oldest first
	count    uint64    // the timeline's message count at the last scan
	seen     uint64    // scanned up to this seq
	winStart time.Time
	winLines int // lines printed in the current second
	skipped  int // messages without a line since the last summary
	lastBell time.Time
}

func isMessage(k event.Kind) bool {
	switch k {
	case event.KindMessage, event.KindHTML, event.KindVoice, event.KindAlert, event.KindTrace:
		return true
	}
	return false
}

func messageCount(c *timeline.Counts) uint64 {
	k := &c.Kind
	return k[event.KindMessage] + k[event.KindHTML] + k[event.KindVoice] + k[event.KindAlert] + k[event.KindTrace]
}

// scan calls fn for each message that arrived since the last scan. The
// timeline's counts say whether there are any, so a packet flood costs
// nothing.
func (m *messages) scan(rd *reader, first, next uint64, counts *timeline.Counts, fn func(seq uint64, ev *event.Event)) {
	total := messageCount(counts)
	if total == m.count {
		// Nothing new among the counted events; events past the counts'
		// moment may hold a message not yet counted, so seen stays put.
		return
	}
	from := max(m.seen, first)
	if next > maxMsgScan && from < next-maxMsgScan {
		from = next - maxMsgScan
	}
	rd.each(from, next, false, func(seq uint64, ev *event.Event) bool {
		if isMessage(ev.Kind) {
			fn(seq, ev)
		}
		return true
	})
	m.count, m.seen = total, next
}

// add keeps a message; printed says whether it had a line.
func (m *messages) add(seq uint64, ev *event.Event, printed bool) {
	if len(m.items) == maxHistory {
		copy(m.items, m.items[1:])
		m.items = m.items[:maxHistory-1]
	}
	m.items = append(m.items, message{item{seq, *ev}, printed})
	if !printed {
		m.skipped++
	}
}

// budget reports whether a message may have a line now (msgBudget a second).
func (m *messages) budget(now time.Time) bool {
	if now.Sub(m.winStart) >= time.Second {
		m.winStart, m.winLines = now, 0
	}
	if m.winLines == msgBudget {
		return false
	}
	m.winLines++
	return true
}

// bell reports whether an alert may ring the bell now (once a second).
func (m *messages) bell(now time.Time) bool {
	if !m.lastBell.IsZero() && now.Sub(m.lastBell) < time.Second {
		return false
	}
	m.lastBell = now
	return true
}

// unread lists (and marks printed) up to n messages that had no line.
func (m *messages) unread(n int) (lines []string, more int) {
	for i := range m.items {
		it := &m.items[i]
		if it.printed {
			continue
		}
		if len(lines) == n {
			more++
			continue
		}
		it.printed = true
		lines = append(lines, historyLine(&it.ev))
	}
	m.skipped = more
	return lines, more
}

// recent is the newest n messages, oldest first.
func (m *messages) recent(n int) []message {
	return m.items[max(0, len(m.items)-n):]
}

func historyLine(ev *event.Event) string {
	return ev.Time.Format("15:04:05") + " " + Describe(ev)
}

// historyLines are what h prints: the messages that had no line, or when
// every one had, the last ten.
func (m *messages) historyLines() []string {
	if len(m.items) == 0 {
		return []string{"No messages received"}
	}
	lines, more := m.unread(historyPage)
	if len(lines) > 0 {
		head := fmt.Sprintf("Messages not shown before, %d:", len(lines))
		if more > 0 {
			head = fmt.Sprintf("Messages not shown before, %d of %d; h lists the rest:", len(lines), len(lines)+more)
		}
		return append([]string{head}, lines...)
	}
	out := []string{fmt.Sprintf("Last messages, %d of %d received:", min(10, len(m.items)), len(m.items))}
	for _, it := range m.recent(10) {
		out = append(out, historyLine(&it.ev))
	}
	return out
}
