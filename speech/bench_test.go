package speech

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
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

// holdingSink plays every utterance until it is stopped, as a long voice
// would, and reports when each reaches it.
type holdingSink struct{ at chan time.Time }

func (s *holdingSink) PlaySpeech(pcm []int16, rate int) (<-chan struct{}, func()) {
	s.at <- time.Now()
	done := make(chan struct{})
	var once sync.Once
	return done, func() { once.Do(func() { close(done) }) }
}

// BenchmarkKeyToAnswer measures, through real espeak-ng, the time from a key's
// answer (SayKind) to its PCM reaching the sound engine while other speech is
// playing: a long network message ("message") or Packter's progress
// ("progress"), each of which the answer must cut into. Goal: 150 ms.
//
//	go test -run XXX -bench KeyToAnswer -benchtime 50x ./speech/
func BenchmarkKeyToAnswer(b *testing.B) {
	needEspeak(b)
	for _, bc := range []struct {
		name string
		kind Kind
	}{{"message", KindMessage}, {"progress", KindProgress}} {
		b.Run(bc.name, func(b *testing.B) {
			sink := &holdingSink{at: make(chan time.Time, 4)}
			q, err := New(context.Background(), Config{Backend: "espeak-ng", PCM: sink, ChatterPerMinute: 1 << 30})
			if err != nil {
				b.Fatal(err)
			}
			defer q.Close()
			lat := make([]time.Duration, 0, b.N)
			for i := 0; b.Loop(); i++ {
				q.SayKind(bc.kind, fmt.Sprintf("Message %d from the agent on the third floor: the backup of the mail server has finished.", i))
				<-sink.at // the other speech is playing
				t0 := time.Now()
				q.SayKind(KindVolume, fmt.Sprintf("Volume %d percent", i%100))
				lat = append(lat, (<-sink.at).Sub(t0))
				q.Stop()
				waitIdle(q)
			}
			reportLatency(b, lat)
		})
	}
}

// BenchmarkAlertOverSpeech is BenchmarkAlertToPCM while a long network message
// is playing: the alert must cut in. Goal: 300 ms.
//
//	go test -run XXX -bench AlertOverSpeech -benchtime 50x ./speech/
func BenchmarkAlertOverSpeech(b *testing.B) {
	needEspeak(b)
	sink := &holdingSink{at: make(chan time.Time, 4)}
	q, err := New(context.Background(), Config{Backend: "espeak-ng", PCM: sink, ChatterPerMinute: 1 << 30, UrgentPerMinute: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	lat := make([]time.Duration, 0, b.N)
	for i := 0; b.Loop(); i++ {
		q.SayKind(KindMessage, fmt.Sprintf("Message %d from the agent on the third floor: the backup has finished.", i))
		<-sink.at
		t0 := time.Now()
		q.SayKind(KindAlert, fmt.Sprintf("SYN flood toward 10.1.2.%d, 12000 packets per second", i%250))
		lat = append(lat, (<-sink.at).Sub(t0))
		q.Stop()
		waitIdle(q)
	}
	reportLatency(b, lat)
}

func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}
