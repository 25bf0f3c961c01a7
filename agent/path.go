package agent

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/packter/packter/capture"
	"github.com/packter/packter/detect"
	"github.com/packter/packter/protocol"
)

// runFile reads the capture file or Reader, paced by Speed.
func (a *agent) runFile(ctx context.Context) error {
	r := a.cfg.Input.Reader
	name := "input"
	if r == nil {
		name = a.cfg.Input.ReadFile
		f, err := os.Open(a.cfg.Input.ReadFile)
		if err != nil {
			return fmt.Errorf("cannot read capture %s: %w", a.cfg.Input.ReadFile, unwrapPath(err))
		}
		defer f.Close()
		r = f
	}
	rd, err := capture.NewReader(bufio.NewReaderSize(r, 0)) // the reader buffers itself
	if err != nil {
		return fmt.Errorf("cannot read capture %s: %w", name, err)
	}
	var fr capture.Frame
	var pace pacer
	for n := 0; ; n++ {
		if n&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		err := rd.Next(&fr)
		if err == io.EOF {
			return nil
		}
		if errors.Is(err, capture.ErrTruncated) {
			a.mu.Lock()
			a.stats.Truncated = true
			a.stats.Bad++
			a.mu.Unlock()
			a.log.Warn("capture ends in the middle of a packet; the last one was skipped", "file", name)
			return nil
		}
		if err != nil {
			return fmt.Errorf("cannot read capture %s: %w", name, err)
		}
		if a.cfg.Input.Speed > 0 && !fr.Time.IsZero() {
			wait, capped := pace.next(fr.Time, a.cfg.Input.Speed, a.cfg.Input.MaxGap)
			if capped > 0 && !a.gapSaid {
				a.gapSaid = true
				a.log.Warn("the capture has a long gap between packets; waiting at most the cap instead (said once)",
					"file", name, "gap", capped.String(), "cap", a.cfg.Input.MaxGap.String())
			}
			if wait > time.Millisecond {
				if err := sleepCtx(ctx, wait); err != nil {
					return err
				}
			}
		}
		a.lock()
		err = a.frame(ctx, fr.Link, fr.Data, fr.Time, "", true)
		a.unlock()
		if err != nil {
			return err
		}
	}
}

// pacer spaces packets read from a file by their capture times. Each gap is
// capped at maxGap and a backward step counts as none, so a crafted or merged
// capture (126 years between two packets) cannot stall the agent.
type pacer struct {
	prev time.Time // capture time of the previous packet
	due  time.Time // wall time the previous packet was due
}

// next is how long to wait before the packet captured at ts; capped is the
// gap (at speed) that was cut to maxGap, 0 when none was.
func (p *pacer) next(ts time.Time, speed float64, maxGap time.Duration) (wait, capped time.Duration) {
	now := time.Now()
	if p.prev.IsZero() {
		p.prev, p.due = ts, now
		return 0, 0
	}
	gap := float64(ts.Sub(p.prev)) / speed // float: a long gap at a low speed overflows a Duration
	p.prev = ts
	step := time.Duration(0)
	switch {
	case gap > float64(maxGap):
		step = maxGap
		capped = time.Duration(min(gap, float64(1<<62)))
	case gap > 0:
		step = time.Duration(gap)
	}
	p.due = p.due.Add(step)
	if p.due.Before(now.Add(-maxGap)) { // far behind (a slow reader): do not race to catch up
		p.due = now
	}
	return p.due.Sub(now), capped
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// runLive captures from the interface until ctx ends.
func (a *agent) runLive(ctx context.Context) error {
	l, err := capture.OpenLive(ctx, a.cfg.Input.Iface, a.cfg.Input.Filter)
	if err != nil {
		return err
	}
	defer l.Close()
	a.mu.Lock()
	a.live = l
	a.mu.Unlock()
	if a.cfg.Input.Ready != nil {
		a.cfg.Input.Ready()
	}
	var fr capture.Frame
	for {
		if err := l.Next(ctx, &fr); err != nil {
			_, drops := l.Stats()
			a.mu.Lock()
			a.stats.KernelDrops += drops
			a.live = nil
			a.mu.Unlock()
			return err
		}
		a.lock()
		err := a.frame(ctx, fr.Link, fr.Data, fr.Time, "", false)
		a.unlock()
		if err != nil {
			return err
		}
	}
}

// frame is the packet path: filter, decode, digest, detect, record, send.
// userFilter applies the BPF filter in user space (files; live filters run in
// the kernel). desc overrides the default description (collectors). a.mu is held.
func (a *agent) frame(ctx context.Context, link uint32, data []byte, ts time.Time, desc string, userFilter bool) error {
	a.stats.Frames++
	if userFilter && a.cfg.Input.Filter != "" {
		f, ok := a.filters[link]
		if !ok {
			prog, err := capture.CompileFilter(ctx, link, 1<<18, a.cfg.Input.Filter)
			if err != nil {
				return err
			}
			if f, err = capture.NewFilter(prog); err != nil {
				return err
			}
			a.filters[link] = f
		}
		if !f.Match(data) {
			a.stats.Filtered++
			return nil
		}
	}
	p := &a.pkt
	if err := capture.Decode(link, data, p); err != nil {
		// An encrypted payload (MACsec) is intact, only unreadable: not damage.
		switch capture.CauseOf(err) {
		case capture.CauseNotIP, capture.CauseEncrypted:
			a.stats.NotIP++
		case capture.CauseProtocol:
			a.stats.Ignored++
		default:
			a.stats.Bad++
		}
		return nil
	}
	var sum [16]byte
	hashed := false
	if a.digests != nil || a.cfg.Trace.Server != "" {
		sum, hashed = capture.TraceHash(p.IP, p.V6)
		if hashed && a.digests != nil {
			a.digests.Insert(sum, ts)
		}
	}
	flood := false
	if a.det != nil {
		m := detect.Classify(p.Proto, p.TCPFlags)
		if a.places != nil {
			a.places.observe(p.Src, m)
		}
		if al := a.det.Observe(ts, p.Dst, m); al != nil {
			if err := a.alert(al); err != nil {
				return err
			}
		}
		flood = a.det.Flooding(ts, p.Dst, m)
	}
	var ds descSource
	switch {
	case a.cfg.Trace.Server != "":
		ds = descTrace
	case desc != "":
		ds = descGiven
	}
	return a.packet(ts, p, ds, desc, sum, hashed, flood)
}

// descSource is where a record's description comes from.
type descSource uint8

const (
	descDefault descSource = iota // PACKTER's "TCP src:A(p) dst:B(q)"
	descGiven                     // a collector's text
	descTrace                     // HASH-SERVER for traceback (-T)
)

// packet builds and emits the record for a decoded packet. a.mu is held.
func (a *agent) packet(ts time.Time, p *capture.Packet, ds descSource, desc string, sum [16]byte, hashed, flood bool) error {
	flag := p.Flag()
	r := &a.rec
	r.Src, r.Dst = protocol.AddrFrom(p.Src), protocol.AddrFrom(p.Dst)
	sp, dp := p.Ports()
	r.SPort, r.DPort = protocol.PortFrom(sp), protocol.PortFrom(dp)
	r.Flag = flag + a.cfg.Output.FlagBase
	r.Model = nil
	if flood {
		r.Model = floodModel
	}
	d := a.desc[:0]
	switch ds {
	case descTrace:
		if hashed {
			d = capture.AppendHex(d, sum)
		}
		d = append(d, '-')
		d = append(d, a.cfg.Trace.Server...)
	case descGiven:
		d = append(d, desc...)
	default:
		d = p.AppendDesc(d)
		if a.cfg.Output.TCPFlags && p.Proto == capture.ProtoTCP {
			d = append(d, ' ')
			d = capture.AppendTCPFlags(d, p.TCPFlags)
		}
	}
	a.desc = d
	r.Desc = d
	return a.emit(ts, r, flag)
}

var floodModel = []byte(protocol.FloodModel)

// emit sends a record, and with -s its sound effect, through the countdown.
func (a *agent) emit(ts time.Time, r *protocol.Record, flag int) error {
	a.stats.Records++
	if r.Model != nil {
		a.stats.Flood++
	}
	if a.pass() {
		a.stats.Sent++
		if err := a.out.record(ts, r); err != nil {
			return err
		}
	}
	if a.cfg.Output.SE && a.pass() {
		// PACKTER names the effect by the flag without its base: se0.wav .. se9.wav.
		a.ctl = appendSEName(protocol.AppendSE(a.ctl[:0], ""), flag)
		if err := a.out.datagram(a.ctl); err != nil {
			return err
		}
	}
	return nil
}

func appendSEName(b []byte, flag int) []byte {
	b = append(b, "se"...)
	if flag >= 0 && flag <= 9 {
		b = append(b, byte('0'+flag))
	} else {
		b = fmt.Appendf(b, "%d", flag)
	}
	return append(b, ".wav"...)
}
