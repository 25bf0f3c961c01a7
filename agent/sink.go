package agent

import (
	"context"
	"strings"
	"time"

	"github.com/packter/packter/capture"
	"github.com/packter/packter/collect"
	"github.com/packter/packter/protocol"
)

// agentSink is the agent as collectors see it (collect.Sink). Collectors call
// it from their own goroutines; the agent's lock serialises them with capture.
type agentSink agent

var _ collect.Sink = (*agentSink)(nil)

func (s *agentSink) Frame(link uint32, data []byte, ts time.Time, desc string) {
	a := (*agent)(s)
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.frame(context.Background(), link, data, ts, desc, false); err != nil {
		a.stats.SendErrors++
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
	ds := descDefault
	if f.Desc != "" {
		ds = descGiven
	}
	if err := a.packet(f.Time, &p, ds, f.Desc, [16]byte{}, false, false); err != nil {
		a.stats.SendErrors++
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
			a.stats.SendErrors++
			a.log.Warn("alert not sent", "err", err)
			return
		}
	}
}

// htmlEscape escapes what PACKTERMSG's HTML would read as markup.
func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
