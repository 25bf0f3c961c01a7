package sonify

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packter/packter/event"
)

// The console, the monitor and speech call the engine from their own
// goroutines while it renders: run them all at once (meaningful under -race)
// and check the WAV is whole afterwards.
func TestLiveEngineConcurrentUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "live.wav")
	e, err := New(context.Background(), Options{WAV: path})
	if err != nil {
		t.Fatal(err)
	}
	evs := flood(2000, 100*time.Millisecond, 4)
	var wg sync.WaitGroup
	wg.Add(4)
	go func() {
		defer wg.Done()
		for i := 0; i < 3000; i++ {
			ev := *evs[i%len(evs)]
			ev.Time = time.Now()
			e.Event(&ev)
		}
		e.Event(&event.Event{Kind: event.KindSE, Time: time.Now(), File: event.CleanText("se2.wav", event.MaxText)})
		e.Event(&event.Event{Kind: event.KindSound, Time: time.Now(), File: event.CleanText("se0.wav", event.MaxText), Millis: -300})
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < 200; i++ {
			e.SetVolume(float64(i%10) / 10)
			e.SetClassMuted(i%10, i%3 == 0)
			e.Solo(i%11 - 1)
			e.SetMuted(i%7 == 0)
			_ = e.Status()
		}
		e.Solo(-1)
		e.SetMuted(false)
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < 20; i++ {
			if err := e.SetTheme([]string{"calm", "alert"}[i%2]); err != nil {
				t.Error(err)
			}
		}
	}()
	go func() {
		defer wg.Done()
		done, stop := e.PlaySpeech(make([]int16, 8000), 16000)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("speech never finished")
		}
		stop()
		_, stop2 := e.PlaySpeech(make([]int16, 160000), 16000)
		stop2()
	}()
	wg.Wait()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	done, _ := e.PlaySpeech(make([]int16, 800), 16000)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("speech after Close never completed")
	}
}

// With no output at all (no device, no WAV) speech still completes, after
// about the time it would have taken, so its queue never stalls.
func TestSilentEngineSpeechCompletes(t *testing.T) {
	e, err := New(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	done, _ := e.PlaySpeech(make([]int16, 1600), 16000)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("speech on a silent engine never completed")
	}
	done, stop := e.PlaySpeech(make([]int16, 16000*100), 16000)
	stop()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("stop did not complete speech")
	}
	if s := e.Status(); !strings.Contains(s, "output silent") || !strings.Contains(s, "theme calm") {
		t.Errorf("status %q", s)
	}
}

func TestStatusLine(t *testing.T) {
	e := offlineEngine(t, Options{})
	e.SetVolume(0.42)
	e.SetMuted(true)
	e.Solo(1)
	e.SetClassMuted(3, true)
	for i, ev := range flood(5000, 500*time.Millisecond, 8) {
		e.Event(ev)
		if i%53 == 0 { // 5000 events/s against 512-frame blocks at 48 kHz
			e.renderBlock(maxBlock)
		}
	}
	s := e.Status()
	var rate float64
	if _, err := fmt.Sscanf(s[strings.Index(s, "calm, ")+6:], "%f events/s", &rate); err != nil || rate < 4000 || rate > 6000 {
		t.Errorf("status %q: rate %v (%v), want about 5000", s, rate, err)
	}
	for _, want := range []string{"muted", "volume 42%", "theme calm", "solo TCP SYN", "muted UDP", "texture"} {
		if !strings.Contains(s, want) {
			t.Errorf("status %q lacks %q", s, want)
		}
	}
}
