package agent

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/packter/packter/capture"
	"github.com/packter/packter/collect"
	"github.com/packter/packter/protocol"
)

// alert sends a flood alert as PACKTER's thmon does: PACKTERMSG, PACKTERSOUND,
// PACKTERVOICE (and the sky texture when configured). Alerts are not sampled.
// a.mu is held.
func (a *agent) alert(al *alert) error {
	a.stats.Alerts++
	a.log.Warn("flood detected", "alert", al.Voice, "target", al.Target.String(), "pps", int(al.PPS), "window", al.Window)
	pic, text, _ := strings.Cut(al.Msg, ",")
	if err := a.out.datagram(protocol.AppendMessage(a.ctl[:0], pic, text)); err != nil {
		return err
	}
	if err := a.out.datagram(appendSoundBody(a.ctl[:0], al.Sound)); err != nil {
		return err
	}
	if err := a.out.datagram(protocol.AppendVoice(a.ctl[:0], al.Voice)); err != nil {
		return err
	}
	if al.Sky != "" {
		if err := a.out.datagram(protocol.AppendSky(a.ctl[:0], al.Sky)); err != nil {
			return err
		}
	}
	return nil
}

// appendSoundBody writes PACKTERSOUND from a "TIME,FILE" body as configured.
func appendSoundBody(b []byte, body string) []byte {
	t, file, _ := strings.Cut(body, ",")
	if ms, err := strconv.Atoi(strings.TrimSpace(t)); err == nil {
		return protocol.AppendSound(b, ms, file)
	}
	return protocol.AppendSound(b, 30000, body)
}

// agentSink is the agent as collectors see it (collect.Sink). Collectors call
// it from their own goroutines; the agent's lock serialises them with capture.
type agentSink agent

var _ collect.Sink = (*agentSink)(nil)

func (s *agentSink) Frame(link uint32, data []byte, ts time.Time, desc string) {
	a := (*agent)(s)
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.frame(context.Background(), link, data, ts, desc, false); err != nil {
		a.log.Warn("collector frame not sent", "err", err)
	}
}

func (s *agentSink) Flow(f *collect.Flow) {
	a := (*agent)(s)
	v6 := f.Src.Is6() && !f.Src.Is4In6()
	p := capture.Packet{Src: f.Src.Unmap(), Dst: f.Dst.Unmap(), V6: v6, Proto: f.Proto,
		SPort: f.SPort, DPort: f.DPort, TCPFlags: f.TCPFlags, ICMPType: f.ICMPType, ICMPCode: f.ICMPCode}
	if v6 {
		p.Src, p.Dst = f.Src, f.Dst
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.stats.Frames++
	if p.Flag() < 0 {
		a.stats.Ignored++
		return
	}
	// A flow has no packet to hash: its description stays readable even with -T.
	trace := a.cfg.TraceServer
	a.cfg.TraceServer = ""
	err := a.packet(f.Time, &p, f.Desc, [16]byte{}, false, false)
	a.cfg.TraceServer = trace
	if err != nil {
		a.log.Warn("flow record not sent", "err", err)
	}
}

func (s *agentSink) Alert(text string) {
	a := (*agent)(s)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.stats.Alerts++
	for _, d := range [][]byte{
		protocol.AppendMessage(nil, "", htmlEscape(text)),
		protocol.AppendSound(nil, 30000, "Detection.wav"),
		protocol.AppendVoice(nil, text),
	} {
		if err := a.out.datagram(d); err != nil {
			a.log.Warn("alert not sent", "err", err)
			return
		}
	}
}
