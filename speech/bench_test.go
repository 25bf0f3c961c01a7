package speech

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// timingSink records when speech reaches the sound engine.
type timingSink struct{ at chan time.Time }

func (s *timingSink) PlaySpeech(pcm []int16, rate int) (<-chan struct{}, func()) {
	if len(pcm) > 0 {
		select {
		case s.at <- time.Now():
		default: // a later part of the same announcement
		}
	}
	done := make(chan struct{})
	close(done)
	return done, func() {}
}

// BenchmarkAlertToPCM measures the latency from Say(alert) to the first PCM
// sample handed to the sound engine, through real espeak-ng. Goal: 300 ms.
//
//	go test -run XXX -bench AlertToPCM -benchtime 50x ./speech/
func BenchmarkAlertToPCM(b *testing.B) {
	needEspeak(b)
	for _, bc := range []struct{ name, text string }{
		{"short", "SYN flood toward %d.1.2.3, 12000 packets per second"},
		{"max-length", "Traceback trial succeeded for %d. " + strings.Repeat("Depth 1: AS 64500. ", 30)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			sink := &timingSink{at: make(chan time.Time, 1)}
			q, err := New(context.Background(), Config{Backend: "espeak-ng", PCM: sink, UrgentPerMinute: 1 << 30})
			if err != nil {
				b.Fatal(err)
			}
			defer q.Close()
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				t0 := time.Now()
				q.Say(fmt.Sprintf(bc.text, i), Alert) // distinct texts: no coalescing
				lat = append(lat, (<-sink.at).Sub(t0))
				waitIdle(q)
				select {
				case <-sink.at: // drop the later part's time
				default:
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
			b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
		})
	}
}

// BenchmarkEspeakRenderWhole is the time espeak-ng takes to render a
// maximum-length announcement in one piece: what the alert latency would be
// without rendering the first sentence alone.
func BenchmarkEspeakRenderWhole(b *testing.B) {
	needEspeak(b)
	sink := newRecordingSink()
	cfg := Config{Backend: "espeak-ng", PCM: sink}
	cfg.defaults()
	be, err := pick(context.Background(), &cfg)
	if err != nil {
		b.Fatal(err)
	}
	e := be.(*execBackend)
	text := Clean("Traceback trial succeeded. " + strings.Repeat("Depth 1: AS 64500. ", 30))
	for b.Loop() {
		if _, _, err := e.render(context.Background(), utterance{Text: text, Priority: Important}); err != nil {
			b.Fatal(err)
		}
	}
}
