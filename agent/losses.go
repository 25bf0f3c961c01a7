package agent

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/packter/packter/collect"
)

// InputStats is what one collector or IDS input counted.
type InputStats struct {
	Flag, Name string // as in Collectors
	collect.Snapshot
}

// Loss is how much one input lost for one cause.
type Loss struct {
	Input string // "capture", "sending" or a collector's Name
	Cause string // "dropped by the kernel", "socket buffer full", ...
	N     uint64
}

func (l Loss) String() string { return fmt.Sprintf("%s: %d %s", l.Input, l.N, l.Cause) }

// Losses lists everything lost, by input and cause (only causes that lost
// something). Frames skipped on purpose (filtered, not IP, other protocols)
// are not losses.
func (s Stats) Losses() []Loss {
	var ls []Loss
	add := func(input, cause string, n uint64) {
		if n > 0 {
			ls = append(ls, Loss{input, cause, n})
		}
	}
	add("capture", "dropped by the kernel", s.KernelDrops)
	add("capture", "damaged", s.Bad)
	add("sending", "not sent (viewer or output failed)", s.SendErrors)
	for _, in := range s.Inputs {
		add(in.Name, "socket buffer full (kernel)", in.SocketDrops)
		add(in.Name, "queue full", in.Dropped)
		add(in.Name, "malformed", in.Malformed)
		add(in.Name, "connections refused", in.Refused)
		add(in.Name, "records whose template never came", in.Lost)
	}
	return ls
}

// TotalLost adds up Losses.
func (s Stats) TotalLost() uint64 {
	var n uint64
	for _, l := range s.Losses() {
		n += l.N
	}
	return n
}

// FormatLosses is the losses in one line: "NetFlow collector: 3 queue full, 1
// malformed; capture: 12 dropped by the kernel", or "nothing".
func FormatLosses(ls []Loss) string {
	if len(ls) == 0 {
		return "nothing"
	}
	var b strings.Builder
	for i, l := range ls {
		switch {
		case i == 0:
			b.WriteString(l.Input + ": ")
		case l.Input != ls[i-1].Input:
			b.WriteString("; " + l.Input + ": ")
		default:
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d %s", l.N, l.Cause)
	}
	return b.String()
}

// inputStat is a running collector's counters.
type inputStat struct {
	flag, name string
	st         *collect.Stats
}

// snapshot copies the agent's counters, the live capture's kernel drops and
// every collector's counters; safe while the agent runs.
func (a *agent) snapshot() Stats {
	a.mu.Lock()
	st := a.stats
	live := a.live
	a.mu.Unlock()
	if live != nil {
		_, d := live.Stats()
		st.KernelDrops += d
	}
	for _, in := range a.inputs {
		st.Inputs = append(st.Inputs, InputStats{Flag: in.flag, Name: in.name, Snapshot: in.st.Snapshot()})
	}
	return st
}

// reportLosses logs, every StatusEvery, what was lost since the last report:
// at Warn the first time (someone should look), at Info after (still going).
func (a *agent) reportLosses(ctx context.Context) error {
	t := time.NewTicker(a.cfg.StatusEvery)
	defer t.Stop()
	var last uint64
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		st := a.snapshot()
		total := st.TotalLost()
		if total <= last {
			continue
		}
		level := a.log.Info
		if last == 0 {
			level = a.log.Warn
		}
		level("losses so far", "new", total-last, "total", total, "by cause", FormatLosses(st.Losses()))
		last = total
	}
}
