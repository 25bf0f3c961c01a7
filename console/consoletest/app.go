package consoletest

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/packter/packter/console"
	"github.com/packter/packter/event"
	"github.com/packter/packter/protocol"
	"github.com/packter/packter/timeline"
)

// Base is the synthetic events' clock origin.
var Base = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// Synthetic returns the i-th event of a fixed mix: every flag class in turn,
// IPv6 for classes 5 to 9, and every third record traceable by tc.example.
func Synthetic(i int, t time.Time) event.Event {
	class := i % 10
	var src, dst netip.Addr
	if class < 5 {
		src = netip.AddrFrom4([4]byte{10, 0, byte(i / 250 % 250), byte(i%250 + 1)})
		dst = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	} else {
		src = netip.MustParseAddr(fmt.Sprintf("2001:db8::%x", i%65535+1))
		dst = netip.MustParseAddr("2001:db8::80")
	}
	ev := event.Event{
		Time: t, Kind: event.KindPacket,
		Src: protocol.AddrFrom(src), Dst: protocol.AddrFrom(dst),
		SPort: protocol.PortFrom(uint32(40000 + i%20000)), DPort: protocol.PortFrom(80),
		Flag: class,
	}
	switch class {
	case 3, 8:
		ev.DPort = protocol.PortFrom(53)
	case 4, 9:
		ev.SPort, ev.DPort = protocol.ICMPPorts(8, 0)
	}
	if i%3 == 0 {
		ev.Desc = fmt.Sprintf("%032x-tc.example", i)
	} else {
		ev.Desc = fmt.Sprintf("sample %d", i)
	}
	return ev
}

// App runs the console on a timeline fed with synthetic events and fakes of
// sound, speech and trace. It is the program the terminal tests drive and a
// way to try the console: go run ./console/internal/testapp.
func App(ctx context.Context, args []string, in io.Reader, out io.Writer) error {
	fs := flag.NewFlagSet("testapp", flag.ContinueOnError)
	preload := fs.Int("preload", 20, "events on the timeline at start")
	rate := fs.Int("rate", 0, "synthetic events per second after start")
	accessible := fs.Bool("accessible", false, "accessible mode")
	fixed := fs.Bool("fixed-clock", false, "use a fixed clock (ages stay put)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tl := timeline.New(1 << 20)
	now := time.Now
	start := time.Now().Add(-time.Duration(*preload) * time.Second)
	if *fixed {
		now = func() time.Time { return Base.Add(time.Duration(*preload) * time.Second) }
		start = Base
	}
	for i := 0; i < *preload; i++ {
		ev := Synthetic(i, start.Add(time.Duration(i)*time.Second))
		tl.Append(&ev)
	}
	if *rate > 0 {
		go Feed(ctx, tl, *preload, *rate, time.Now)
	}
	return console.Run(ctx, console.Config{
		Timeline:   tl,
		Sound:      NewSound(),
		Speech:     &Speech{},
		Tracer:     &Tracer{TL: tl, Now: now},
		In:         in,
		Out:        out,
		Accessible: *accessible,
		Bell:       true,
		Now:        now,
	})
}

// Feed appends synthetic events at about rate per second, in batches every
// millisecond, until ctx ends.
func Feed(ctx context.Context, tl *timeline.Timeline, from, rate int, now func() time.Time) {
	tk := time.NewTicker(time.Millisecond)
	defer tk.Stop()
	start := time.Now()
	i := from
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		due := from + int(time.Since(start).Seconds()*float64(rate))
		t := now()
		for ; i < due; i++ {
			ev := Synthetic(i, t)
			tl.Append(&ev)
		}
	}
}
