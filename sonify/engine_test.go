package sonify

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/packter/packter/event"
	"github.com/packter/packter/sounds"
)

// features of one isolated cue.
type feat struct {
	dur        float64 // seconds above -40 dB of its peak
	zEarly     float64 // zero-crossing rate in 2..12 ms
	zLate      float64 // … in 80..110 ms
	centroid   float64 // Hz over the first 60 ms
	onset, end int
}

func cueFeatures(t *testing.T, flag int, desc string) feat {
	t.Helper()
	ev := pkt(0, "128.0.0.1", 40000, 8000, flag)
	ev.Desc = event.CleanText(desc, event.MaxText)
	a := renderT(t, Options{}, nil, []*event.Event{ev})
	m := a.mono()
	p := peakAbs(m)
	if p < 0.01 {
		t.Fatalf("flag %d: silent (peak %f)", flag, p)
	}
	on := firstAbove(m, 0, p*0.01)
	end := lastAbove(m, p*0.01)
	ms := func(x float64) int { return on + int(x*float64(a.rate)/1000) }
	return feat{
		dur:      float64(end-on) / float64(a.rate),
		zEarly:   zcr(m[ms(2):ms(12)], a.rate),
		zLate:    zcr(m[ms(80):ms(110)], a.rate),
		centroid: centroid(m[on:ms(60)], a.rate),
		onset:    on, end: end,
	}
}

func TestGesturesSoundDifferent(t *testing.T) {
	syn := cueFeatures(t, 1, "")
	fin := cueFeatures(t, 2, "")
	rst := cueFeatures(t, 2, "TCP [R.] reset")
	udp := cueFeatures(t, 3, "")
	icmp := cueFeatures(t, 4, "")
	ack := cueFeatures(t, 0, "")
	t.Logf("syn %+v\nfin %+v\nrst %+v\nudp %+v\nicmp %+v\nack %+v", syn, fin, rst, udp, icmp, ack)

	// A connection opening rises, closing falls.
	if syn.zEarly > 0.85*syn.zLate {
		t.Errorf("SYN does not rise: %0.f Hz early, %0.f Hz late", syn.zEarly, syn.zLate)
	}
	if fin.zEarly < 1.15*fin.zLate {
		t.Errorf("FIN does not fall: %0.f Hz early, %0.f Hz late", fin.zEarly, fin.zLate)
	}
	// A reset is a short noisy knock: shorter than a FIN and far brighter.
	if rst.dur > 0.5*fin.dur || rst.centroid < 2*fin.centroid {
		t.Errorf("RST not told from FIN: dur %.3f vs %.3f s, centroid %.0f vs %.0f Hz", rst.dur, fin.dur, rst.centroid, fin.centroid)
	}
	// ICMP pings ring longest; UDP drops are short.
	for name, f := range map[string]feat{"SYN": syn, "FIN": fin, "UDP": udp, "ACK": ack} {
		if icmp.dur < 1.5*f.dur {
			t.Errorf("ICMP (%.3f s) does not ring clearly longer than %s (%.3f s)", icmp.dur, name, f.dur)
		}
	}
	if udp.dur > 0.7*syn.dur {
		t.Errorf("UDP (%.3f s) is not shorter than SYN (%.3f s)", udp.dur, syn.dur)
	}
}

func TestPanFollowsSource(t *testing.T) {
	for _, tc := range []struct {
		src       string
		wantRight bool
	}{{"10.0.0.1", false}, {"250.1.2.3", true}, {"2001:db8::1", false}, {"fe80::1", true}} {
		flag := 0
		if strings.Contains(tc.src, ":") {
			flag = 5
		}
		a := renderT(t, Options{}, nil, []*event.Event{pkt(0, tc.src, 40000, 443, flag)})
		el, er := energy(a.l), energy(a.r)
		if el+er == 0 {
			t.Fatalf("%s: silent", tc.src)
		}
		if right := er > 3*el; right != tc.wantRight || (!right && el < 3*er) {
			t.Errorf("%s: left %.3g right %.3g, want right=%v by a factor of 3", tc.src, el, er, tc.wantRight)
		}
	}
}

// flood makes n events/s for d of mixed classes, ports and sources.
func flood(rate float64, d time.Duration, seed uint64) []*event.Event {
	r := rand.New(rand.NewPCG(seed, 1))
	n := int(rate * d.Seconds())
	evs := make([]*event.Event, n)
	srcs := []string{"10.0.0.1", "100.64.1.1", "172.16.5.4", "203.0.113.9", "2001:db8::5"}
	for i := range evs {
		src := srcs[r.IntN(len(srcs))]
		flag := r.IntN(5)
		if strings.Contains(src, ":") {
			flag += 5
		}
		evs[i] = pkt(time.Duration(float64(i)/rate*1e9), src, uint32(1024+r.IntN(60000)), uint32(r.IntN(65536)), flag)
	}
	return evs
}

func TestNoClipAtAnyRate(t *testing.T) {
	for _, tc := range []struct {
		rate float64
		d    time.Duration
	}{{10, 5 * time.Second}, {1000, 3 * time.Second}, {1e6, 2 * time.Second}} {
		for _, theme := range []string{"calm", "alert"} {
			a := renderT(t, Options{Theme: theme}, func(e *Engine) { e.SetVolume(1) }, flood(tc.rate, tc.d, 7))
			clipped := 0
			for _, v := range a.raw {
				if v >= 32767 || v <= -32767 {
					clipped++
				}
			}
			m := a.mono()
			half := m[len(m)/4 : len(m)/2]
			t.Logf("%g ev/s %s: peak %.3f, rms %.4f", tc.rate, theme, peakAbs(m)/2, rms(half))
			if clipped > 0 {
				t.Errorf("%g events/s, %s: %d samples at full scale", tc.rate, theme, clipped)
			}
			if peakAbs(a.l) > limitCeiling+1e-3 || peakAbs(a.r) > limitCeiling+1e-3 {
				t.Errorf("%g events/s: peak above the limiter ceiling", tc.rate)
			}
			if rms(half) < 0.005 {
				t.Errorf("%g events/s, %s: nearly silent (rms %.4f): not meaningful", tc.rate, theme, rms(half))
			}
		}
	}
}

// Above the threshold, the texture's loudness and density follow the rate:
// 1,000,000 events/s must be louder and denser than 100.
func TestTextureFollowsRate(t *testing.T) {
	measure := func(rate float64) (float64, float64) {
		var evs []*event.Event
		for _, e := range flood(rate, 3*time.Second, 3) {
			e.Flag = 1 // SYN only: one class
			evs = append(evs, e)
		}
		a := renderT(t, Options{}, nil, evs)
		m := a.mono()[2*a.rate : 3*a.rate]
		return rms(m), centroid(m[:4096], a.rate)
	}
	r100, c100 := measure(100)
	r1m, c1m := measure(1e6)
	t.Logf("100/s rms %.4f centroid %.0f; 1M/s rms %.4f centroid %.0f", r100, c100, r1m, c1m)
	if r1m < 1.3*r100 {
		t.Errorf("1M events/s (rms %.4f) not clearly louder than 100 (rms %.4f)", r1m, r100)
	}
}

func TestMuteIsSilent(t *testing.T) {
	evs := flood(200, 2*time.Second, 1)
	evs = append(evs, &event.Event{Kind: event.KindAlert, Time: t0.Add(time.Second)},
		&event.Event{Kind: event.KindSE, Time: t0.Add(time.Second), File: event.CleanText("se1.wav", event.MaxText)})
	a := renderT(t, Options{}, func(e *Engine) { e.SetMuted(true) }, evs)
	for i, v := range a.raw {
		if v != 0 {
			t.Fatalf("sample %d = %d while muted", i, v)
		}
	}
	b := renderT(t, Options{}, nil, evs)
	if peakAbs(b.l) == 0 {
		t.Fatal("the same events unmuted are silent too: the test proves nothing")
	}
}

func TestClassMuteAndSolo(t *testing.T) {
	evs := []*event.Event{pkt(0, "10.0.0.1", 40000, 80, 1), pkt(time.Second, "10.0.0.1", 40000, 80, 3)}
	a := renderT(t, Options{}, func(e *Engine) { e.SetClassMuted(1, true) }, evs)
	m := a.mono()
	if p := peakAbs(m[:a.rate*9/10]); p != 0 {
		t.Errorf("muted SYN class audible: peak %f", p)
	}
	if peakAbs(m[a.rate:]) == 0 {
		t.Errorf("UDP silent although only SYN was muted")
	}
	b := renderT(t, Options{}, func(e *Engine) { e.Solo(3) }, evs)
	m = b.mono()
	if peakAbs(m[:b.rate*9/10]) != 0 || peakAbs(m[b.rate:]) == 0 {
		t.Errorf("solo UDP: SYN should be silent and UDP heard")
	}
}

func TestMaliciousFileNamesPlayNothing(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	se, err := fsRead("se1.wav")
	if err != nil {
		t.Fatal(err)
	}
	// A valid WAV outside the sounds directory, reachable only by escaping.
	if err := os.WriteFile(filepath.Join(outside, "real.wav"), se, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "real.wav"), filepath.Join(dir, "out.wav")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "passwd.wav")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mine.wav"), se, 0o644); err != nil {
		t.Fatal(err)
	}
	rel, _ := filepath.Rel(dir, filepath.Join(outside, "real.wav"))
	for _, name := range []string{"../../etc/passwd", "/etc/passwd", filepath.Join(outside, "real.wav"), rel, "out.wav", "passwd.wav", "a/../../real.wav", "..\\real.wav", "nosuch.wav"} {
		for _, kind := range []event.Kind{event.KindSE, event.KindSound} {
			logger, logs := captureLogs()
			a := renderT(t, Options{SoundsDir: dir, Logger: logger}, nil,
				[]*event.Event{{Kind: kind, Time: t0, File: event.CleanText(name, event.MaxText), Millis: 1000}})
			if p := peakAbs(a.l); p != 0 {
				t.Errorf("%s %q played (peak %f)", kind, name, p)
			}
			if !strings.Contains(logs.String(), "not played") {
				t.Errorf("%s %q: no log line; logs: %s", kind, name, logs)
			}
		}
	}
	// The same directory does serve a file that is really inside it.
	a := renderT(t, Options{SoundsDir: dir}, nil, []*event.Event{{Kind: event.KindSE, Time: t0, File: event.CleanText("mine.wav", event.MaxText)}})
	if peakAbs(a.l) == 0 {
		t.Error("a legitimate file in the sounds directory did not play")
	}
}

func fsRead(name string) ([]byte, error) {
	f, err := sounds.FS().Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, _ := f.Stat()
	b := make([]byte, st.Size())
	_, err = f.Read(b)
	return b, err
}

// The user's directory overrides an embedded sound by name.
func TestSoundsDirOverrides(t *testing.T) {
	dir := t.TempDir()
	loud, _ := fsRead("Detection.wav")
	if err := os.WriteFile(filepath.Join(dir, "se1.wav"), loud, 0o644); err != nil {
		t.Fatal(err)
	}
	ev := []*event.Event{{Kind: event.KindSE, Time: t0, File: event.CleanText("se1.wav", event.MaxText)}}
	own := renderT(t, Options{}, nil, ev)
	over := renderT(t, Options{SoundsDir: dir}, nil, ev)
	if len(over.l) < len(own.l)+own.rate/2 {
		t.Errorf("override not used: %d frames vs embedded %d", len(over.l), len(own.l))
	}
}

// PACKTERSOUND's TIME is in milliseconds (PACKTER 2.5): >0 once and stop after
// TIME, <0 loop for |TIME|, 0 or no file stop.
func TestSoundMillisSemantics(t *testing.T) {
	sec := func(a audio, x []float64) float64 { return float64(lastAbove(x, 1e-3)) / float64(a.rate) }
	// Detection.wav lasts 1.2 s: 500 ms cuts it.
	a := renderT(t, Options{}, nil, []*event.Event{{Kind: event.KindSound, Time: t0, File: event.CleanText("Detection.wav", event.MaxText), Millis: 500}})
	if s := sec(a, a.mono()); math.Abs(s-0.5) > 0.03 {
		t.Errorf("500 ms: sound ends at %.3f s", s)
	}
	// A long TIME does not extend a short file played once.
	a = renderT(t, Options{}, nil, []*event.Event{{Kind: event.KindSound, Time: t0, File: event.CleanText("se0.wav", event.MaxText), Millis: 3000}})
	if s := sec(a, a.mono()); s > 0.4 {
		t.Errorf("se0.wav once: ends at %.3f s, longer than the file", s)
	}
	// Negative: loop for |TIME|. se0.wav is 0.35 s long; looping for 1.5 s
	// must still sound after 1.2 s and end by 1.5 s.
	a = renderT(t, Options{}, nil, []*event.Event{{Kind: event.KindSound, Time: t0, File: event.CleanText("se0.wav", event.MaxText), Millis: -1500}})
	m := a.mono()
	if s := sec(a, m); math.Abs(s-1.5) > 0.03 && s < 1.2 {
		t.Errorf("loop 1500 ms: ends at %.3f s", s)
	}
	if rms(m[int(1.05*float64(a.rate)):int(1.1*float64(a.rate))]) < 1e-3 {
		t.Errorf("loop: silent at 1.05 s: not looping")
	}
	// 0 stops a running loop.
	a = renderT(t, Options{}, nil, []*event.Event{
		{Kind: event.KindSound, Time: t0, File: event.CleanText("se0.wav", event.MaxText), Millis: -10000},
		{Kind: event.KindSound, Time: t0.Add(700 * time.Millisecond), File: event.CleanText("se0.wav", event.MaxText), Millis: 0},
	})
	if s := sec(a, a.mono()); s < 0.65 || s > 0.75 {
		t.Errorf("stop at 0.7 s: sound ends at %.3f s", s)
	}
	// An empty file name also stops.
	a = renderT(t, Options{}, nil, []*event.Event{
		{Kind: event.KindSound, Time: t0, File: event.CleanText("se0.wav", event.MaxText), Millis: -10000},
		{Kind: event.KindSound, Time: t0.Add(700 * time.Millisecond), Millis: 5000},
	})
	if s := sec(a, a.mono()); s > 0.75 {
		t.Errorf("stop by empty file: sound ends at %.3f s", s)
	}
}

// PACKTERSE plays at most 10 at once: the 11th..15th change nothing.
func TestSECap(t *testing.T) {
	n := func(k int) audio {
		var evs []*event.Event
		for i := 0; i < k; i++ {
			evs = append(evs, &event.Event{Kind: event.KindSE, Time: t0.Add(time.Duration(i) * time.Millisecond), File: event.CleanText("se4.wav", event.MaxText)})
		}
		return renderT(t, Options{}, func(e *Engine) { e.SetVolume(0.05) }, evs)
	}
	a9, a10, a15 := n(9), n(10), n(15)
	if energy(a10.l) <= energy(a9.l)*1.01 {
		t.Fatalf("the 10th effect was not heard: energy %g vs %g", energy(a10.l), energy(a9.l))
	}
	if len(a10.raw) != len(a15.raw) {
		t.Fatalf("15 effects render %d samples, 10 render %d", len(a15.raw), len(a10.raw))
	}
	for i := range a10.raw {
		if a10.raw[i] != a15.raw[i] {
			t.Fatalf("15 effects differ from 10 at sample %d: more than 10 played at once", i)
		}
	}
}

// irregularPlucks are ACK notes 0.6..1.1 s apart, first at 0.
func irregularPlucks(n int) ([]*event.Event, []time.Duration) {
	var evs []*event.Event
	var times []time.Duration
	at := time.Duration(0)
	for i := 0; i < n; i++ {
		times = append(times, at)
		evs = append(evs, pkt(at, "10.0.0.1", 40000, 80, 0))
		at += 600*time.Millisecond + time.Duration(i*7919%1000)*time.Microsecond*500
	}
	return evs, times
}

// onsets finds each note's onset: the first sample above -60 dBFS once the
// previous note (which fades within 0.3 s) has died away.
func onsets(a audio, times []time.Duration) []int {
	m := a.mono()
	var got []int
	from := 0
	for _, d := range times {
		o := firstAbove(m, from, 1e-3)
		got = append(got, o)
		from = max(o, 0) + a.rate*45/100
		_ = d
	}
	return got
}

// Onsets land within a millisecond of the frame their event time gives.
func TestOnsetsFollowEventTimes(t *testing.T) {
	evs, times := irregularPlucks(12)
	a := renderT(t, Options{}, nil, evs)
	for i, got := range onsets(a, times) {
		want := int(times[i].Seconds() * float64(a.rate))
		if got < want || got-want > a.rate/1000 {
			t.Errorf("event %d at %v: onset at frame %d, want %d", i, times[i], got, want)
		}
	}
}

func TestForegroundCues(t *testing.T) {
	fl := pkt(0, "10.0.0.1", 0, 0, 0)
	fl.Model = event.CleanText("missile", event.MaxText)
	ids := pkt(0, "10.0.0.1", 40000, 80, 0)
	ids.Desc = event.CleanText("Incident:ET SCAN sid:1 gen:1 rev:1", event.MaxText)
	al := &event.Event{Kind: event.KindAlert, Time: t0, Text: event.CleanText("flood", event.MaxText)}
	note := renderT(t, Options{}, nil, []*event.Event{pkt(0, "10.0.0.1", 40000, 80, 0)})
	var durs []int
	for _, ev := range []*event.Event{fl, ids, al} {
		a := renderT(t, Options{}, nil, []*event.Event{ev})
		durs = append(durs, lastAbove(a.mono(), 1e-3))
		if energy(a.mono()) < 5*energy(note.mono()) {
			t.Errorf("%v (flood %v incident %v) is not salient over a plain note", ev.Kind, ev.Flood(), ev.Incident())
		}
	}
	if durs[0] == durs[1] || durs[1] == durs[2] {
		t.Errorf("foreground cues not distinct: lengths %v", durs)
	}
}

func TestSpeechMixesAndDucks(t *testing.T) {
	rate := 22050
	pcm := make([]int16, rate) // 1 s of 300 Hz
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*300*float64(i)/float64(rate)))
	}
	var done <-chan struct{}
	evs := flood(200, 3*time.Second, 5)
	plain := renderT(t, Options{}, nil, evs)
	spoken := renderT(t, Options{}, func(e *Engine) { done, _ = e.PlaySpeech(pcm, rate) }, evs)
	select {
	case <-done:
	default:
		t.Fatal("speech done not closed after rendering")
	}
	d := spoken.mono()[spoken.rate/4 : spoken.rate*3/4]
	p := plain.mono()[plain.rate/4 : plain.rate*3/4]
	if z := zcr(d, spoken.rate); math.Abs(z-300) > 60 {
		t.Errorf("speech not dominant while speaking: zcr %.0f Hz, want about 300", z)
	}
	_ = p
	// After the speech the traffic returns at full level.
	late := func(a audio) float64 { return rms(a.mono()[2*a.rate : 3*a.rate]) }
	if math.Abs(late(spoken)-late(plain)) > 0.2*late(plain) {
		t.Errorf("traffic after speech %.4f, without speech %.4f", late(spoken), late(plain))
	}
}

func TestRenderDeterministic(t *testing.T) {
	evs := flood(300, time.Second, 9)
	a := renderT(t, Options{}, nil, evs)
	b := renderT(t, Options{}, nil, evs)
	if len(a.raw) != len(b.raw) {
		t.Fatal("lengths differ")
	}
	for i := range a.raw {
		if a.raw[i] != b.raw[i] {
			t.Fatalf("renders differ at sample %d", i)
		}
	}
}

// Offline, a long pause in a capture shrinks to a second, a clock jumping
// back carries on, and a zero or far-away timestamp cannot overflow.
func TestRenderTimeJumps(t *testing.T) {
	evs := []*event.Event{
		pkt(0, "10.0.0.1", 40000, 80, 4),
		pkt(3*time.Hour, "10.0.0.1", 40000, 80, 4),
		pkt(3*time.Hour-time.Minute, "10.0.0.1", 40000, 80, 4),
		withTime(pkt(0, "10.0.0.1", 40000, 80, 4), time.Time{}),
		withTime(pkt(0, "10.0.0.1", 40000, 80, 4), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)),
	}
	a := renderT(t, Options{}, nil, evs)
	if secs := float64(len(a.l)) / float64(a.rate); secs > 20 {
		t.Fatalf("%.0f s of audio for five events", secs)
	}
	// The ping after the three-hour pause comes (about) one second in, and the
	// three that follow the jumps sound together on top of it.
	m := a.mono()
	sec := func(x float64) int { return int(x * float64(a.rate)) }
	before, after := peakAbs(m[sec(0.6):sec(0.9)]), peakAbs(m[sec(0.95):sec(1.1)])
	if after < 2*before {
		t.Errorf("no new ping at 1 s after the pause: peak %.3f before, %.3f after", before, after)
	}
}

// Ten classes each just under the texture threshold must not make 70 notes a
// second: the shared budget keeps the total near two classes' worth.
func TestGlobalNoteBudget(t *testing.T) {
	e := offlineEngine(t, Options{})
	notes := 0
	for i := 0; i < 70*10; i++ { // 10 s, 7 events/s in each of 10 classes
		ev := pkt(time.Duration(i)*time.Second/70, "10.0.0.1", 40000, 80, i%10)
		at := e.frameAt(ev.Time)
		for at >= e.r.rpos+maxBlock { // keep the audio clock with the events, as Render does
			e.renderBlock(maxBlock)
		}
		before := e.in.notes
		e.Event(ev)
		notes += int(e.in.notes - before)
	}
	perSec := float64(notes) / 10
	if limit := 2*Calm().Threshold + 1; perSec > limit {
		t.Errorf("%.1f notes/s, want at most %.0f", perSec, limit)
	}
	if perSec < Calm().Threshold {
		t.Errorf("%.1f notes/s: the budget starves the notes", perSec)
	}
}

// After Heartbeat seconds without traffic a faint tick sounds; with the
// heartbeat off the same silence stays silent.
func TestHeartbeat(t *testing.T) {
	evs := []*event.Event{pkt(0, "10.0.0.1", 40000, 80, 0), pkt(40*time.Second, "10.0.0.1", 40000, 80, 0)}
	path := filepath.Join(t.TempDir(), "off.theme")
	if err := os.WriteFile(path, []byte("heartbeat = 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	on := renderT(t, Options{}, nil, evs)
	off := renderT(t, Options{Theme: path}, nil, evs)
	quiet := func(a audio) []float64 { return a.mono()[a.rate : 39*a.rate] }
	if peakAbs(quiet(off)) != 0 {
		t.Fatalf("silence not silent without heartbeat")
	}
	m := quiet(on)
	ticks := 0
	for i := firstAbove(m, 0, 1e-3); i >= 0; i = firstAbove(m, i+on.rate, 1e-3) {
		ticks++
		if at := float64(i+on.rate) / float64(on.rate); at < 14 {
			t.Errorf("tick at %.1f s, before 15 s of quiet", at)
		}
	}
	if ticks != 2 { // at 15 and 30 s
		t.Errorf("%d ticks in 38 s of quiet, want 2", ticks)
	}
	if p := peakAbs(m); p > 0.1 {
		t.Errorf("heartbeat too loud: peak %.3f", p)
	}
}
