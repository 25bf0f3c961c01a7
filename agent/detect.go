package agent

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/packter/packter/capture"
)

// Flood detection, as PACKTER's pt_thmon: packets are counted in windows of N
// (default 500); at the end of each window the shares of SYN, FIN, RST, ICMP
// and UDP packets and the packet rate are judged, and an alert is raised, after
// which the detector stays quiet for a while (default 30 s) so one flood makes
// one alert. Two judges:
//
//   - threshold: PACKTER 2.5's fixed bounds (syn=, fin=, rst=, icmp=, udp= as
//     shares 0..1, pps= packets per second), with the config file's TH_* and
//     MON_* keys (see loadConfig).
//   - adaptive: PACKTER 3.0's untuned detectors. SYN floods: a non-parametric
//     CUSUM on the SYN − (FIN+RST) share, standardised by an EWMA of its
//     normal value (Wang, Zhang & Shin, INFOCOM 2002). FIN, RST, ICMP, UDP and
//     the rate: EWMA control charts, alarm above mean + k·sigma. Baselines
//     learn during a warm-up and freeze for a metric while it alarms.
//
// Windows run on capture time, so a file read at any speed gives the same alerts.
//
// Flag syntax: --detect MODE[,key=value...], for example
//
//	--detect threshold
//	--detect threshold,syn=0.5,pps=5000,window=500,quiet=30s,config=/etc/packter.conf
//	--detect adaptive,warmup=8,lambda=0.3,k=3,cusum-k=0.5,cusum-h=5,min-pps=100
//
// Quiet time is per kind, so a false alarm of one kind cannot hide a flood of
// another. min-pps (adaptive: 100, threshold: 0) keeps a kind from alerting
// unless it reaches that many packets per second: a share can swing widely in
// quiet traffic without anything being flooded.
type detector interface {
	// observe counts a packet and returns an alert when a window closes in alarm.
	observe(ts time.Time, p *capture.Packet) *alert
	// flooding reports whether the packet belongs to the flood last alerted
	// (same kind, same target) while the alert is fresh: it is drawn as a missile.
	flooding(ts time.Time, p *capture.Packet) bool
}

// Flood kinds, in the order PACKTER reports them.
const (
	kindSYN = iota
	kindFIN
	kindRST
	kindICMP
	kindUDP
	kindPPS
	nKinds
)

var kindKeys = [nKinds]string{"SYN", "FIN", "RST", "ICMP", "UDP", "PPS"}
var kindWords = [nKinds]string{"SYN flood", "FIN flood", "RST flood", "ICMP flood", "UDP flood", "packet flood"}

// alert is one detection, with the words to say it.
type alert struct {
	Time   time.Time
	Kinds  []int // fired kinds; Kinds[0] is the one spoken
	Target netip.Addr
	PPS    float64 // packets per second of the spoken kind toward its target
	Share  float64 // share of the window for ratio kinds
	Limit  float64 // the bound that was crossed (share or pps)
	Window int
	Msg    string // PACKTERMSG picture,html
	Sound  string // PACKTERSOUND body "TIME,FILE"
	Voice  string // PACKTERVOICE text
	Sky    string // PACKTERSKYDOMETEXTURE file, "" for none
}

// majority is the Boyer–Moore vote: with no memory per address it finds the
// destination that received most of a window's packets when one got over half
// (a flood's victim), which is the case that matters.
type majority struct {
	cand  netip.Addr
	count int
}

func (m *majority) add(a netip.Addr) {
	switch {
	case m.count == 0:
		m.cand, m.count = a, 1
	case m.cand == a:
		m.count++
	default:
		m.count--
	}
}

// window counts one window of packets.
type window struct {
	n     int
	first time.Time
	last  time.Time
	count [nKinds]int // PPS slot counts all
	vote  [nKinds]majority
}

func (w *window) add(ts time.Time, p *capture.Packet) {
	if w.n == 0 {
		w.first = ts
	}
	w.n++
	w.last = ts
	m := classify(p) | 1<<kindPPS // every packet counts toward the rate
	for k := 0; k < nKinds; k++ {
		if m&(1<<k) != 0 {
			w.count[k]++
			w.vote[k].add(p.Dst)
		}
	}
}

// classify returns the kinds a packet counts as, one bit per kind, as PACKTER's
// thmon counts: each of the TCP SYN, FIN and RST bits on its own,
// ICMP (either family), UDP.
func classify(p *capture.Packet) uint8 {
	switch p.Proto {
	case capture.ProtoTCP:
		f := p.TCPFlags
		var m uint8
		if f&capture.TCPSyn != 0 {
			m |= 1 << kindSYN
		}
		if f&capture.TCPFin != 0 {
			m |= 1 << kindFIN
		}
		if f&capture.TCPRst != 0 {
			m |= 1 << kindRST
		}
		return m
	case capture.ProtoUDP:
		return 1 << kindUDP
	case capture.ProtoICMP, capture.ProtoICMPv6:
		return 1 << kindICMP
	}
	return 0
}

func (w *window) seconds() float64 {
	// PACKTER clamps a window to at least 1 s, which caps the rate it can see at
	// the window size; we clamp to 1 ms so a fast flood is measured as it is.
	return max(w.last.Sub(w.first).Seconds(), 0.001)
}

func (w *window) share(k int) float64 { return float64(w.count[k]) / float64(w.n) }

// base holds what both judges share: windowing, quiet time, flood marking, words.
type base struct {
	size  int
	quiet time.Duration
	conf  map[string]string
	w     window

	minPPS float64 // a kind must reach this rate to alert (0: any)

	// Per kind: quiet after an alert, and the flood's target while it is fresh.
	quietUntil [nKinds]time.Time
	target     [nKinds]netip.Addr
}

func (b *base) fresh(k int, ts time.Time) bool {
	return !b.quietUntil[k].IsZero() && !ts.After(b.quietUntil[k])
}

func (b *base) flooding(ts time.Time, p *capture.Packet) bool {
	m := classify(p) | 1<<kindPPS
	for k := 0; k < nKinds; k++ {
		if m&(1<<k) != 0 && b.fresh(k, ts) && p.Dst == b.target[k] {
			return true
		}
	}
	return false
}

// finish turns fired kinds into an alert: kinds below the rate gate or still
// quiet after their last alert are dropped; nil when none is left.
func (b *base) finish(fired []int, limits *[nKinds]float64) *alert {
	w := &b.w
	secs := w.seconds()
	kept := fired[:0]
	for _, k := range fired {
		if float64(w.count[k])/secs < b.minPPS || b.fresh(k, w.last) {
			continue
		}
		kept = append(kept, k)
	}
	if len(kept) == 0 {
		return nil
	}
	k := kept[0]
	target := w.vote[k].cand
	al := &alert{Time: w.last, Kinds: kept, Target: target, Window: w.n, Limit: limits[k]}
	al.PPS = float64(w.count[k]) / secs
	if k != kindPPS {
		al.Share = w.share(k)
	}
	for _, f := range kept {
		b.quietUntil[f] = w.last.Add(b.quiet)
		b.target[f] = w.vote[f].cand
	}
	b.words(al, limits)
	return al
}

// words composes the alert's message, sound and voice. With MON_* keys in the
// config the message is assembled as PACKTER 2.5 does (picture, head, per-kind
// text, " Observed: N Threshold: M", foot); otherwise in plain words.
func (b *base) words(al *alert, limits *[nKinds]float64) {
	k := al.Kinds[0]
	spoken := fmt.Sprintf("%s toward %s, %s packets per second", kindWords[k], al.Target, speakNumber(al.PPS))
	c := b.conf
	var msg strings.Builder
	msg.WriteString(c["MON_"+kindKeys[k]+"_PIC"])
	msg.WriteByte(',')
	msg.WriteString(c["MON_OPT_MSG_HEAD"])
	for _, f := range al.Kinds {
		observed, limit := b.w.share(f)*100, limits[f]*100
		if f == kindPPS {
			observed, limit = float64(b.w.n)/b.w.seconds(), limits[f]
		}
		if m := c["MON_"+kindKeys[f]+"_MSG"]; m != "" {
			msg.WriteString(m)
		} else {
			if msg.Len() > 0 && !strings.HasSuffix(msg.String(), ",") {
				msg.WriteString("<br>")
			}
			msg.WriteString(kindWords[f])
		}
		monitor, threshold := " Observed:", " Threshold:"
		if v := c["MONITOR"]; v != "" {
			monitor = v
		}
		if v := c["THRESHOLD"]; v != "" {
			threshold = v
		}
		fmt.Fprintf(&msg, "%s %.f%s %.f", monitor, observed, threshold, limit)
	}
	if c["MON_"+kindKeys[k]+"_MSG"] == "" {
		fmt.Fprintf(&msg, "<br>%s", htmlEscape(spoken))
	}
	msg.WriteString(c["MON_OPT_MSG_FOOT"])
	al.Msg = msg.String()

	sound := c["MON_"+kindKeys[k]+"_SOUND"]
	if sound == "" {
		sound = "Detection.wav"
	}
	if !strings.Contains(sound, ",") {
		sound = "30000," + sound // as PACKTER's sample configuration sends it
	}
	al.Sound = c["MON_OPT_SOUND_HEAD"] + sound + c["MON_OPT_SOUND_FOOT"]

	if v := c["MON_"+kindKeys[k]+"_VOICE"]; v != "" {
		al.Voice = c["MON_OPT_VOICE_HEAD"] + v + c["MON_OPT_VOICE_FOOT"]
	} else {
		al.Voice = spoken
	}
	al.Sky = c["MON_SKYDOME_START"]
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// speakNumber says a rate the way a person would: "850", "1.5 thousand",
// "12 thousand", "2.3 million".
func speakNumber(v float64) string {
	trim := func(x float64) string {
		if x >= 10 {
			return strconv.FormatFloat(math.Round(x), 'f', 0, 64)
		}
		s := strconv.FormatFloat(math.Round(x*10)/10, 'f', 1, 64)
		return strings.TrimSuffix(s, ".0")
	}
	switch {
	case v >= 1e6:
		return trim(v/1e6) + " million"
	case v >= 1e3:
		return trim(v/1e3) + " thousand"
	}
	return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
}

// threshold is PACKTER 2.5's fixed-bound judge.
type threshold struct {
	base
	limit [nKinds]float64 // <= 0: off
}

func (t *threshold) observe(ts time.Time, p *capture.Packet) *alert {
	t.w.add(ts, p)
	if t.w.n < t.size {
		return nil
	}
	var fired []int
	for k := 0; k < nKinds; k++ {
		if t.limit[k] <= 0 {
			continue
		}
		v := t.w.share(k)
		if k == kindPPS {
			v = float64(t.w.n) / t.w.seconds()
		}
		if v > t.limit[k] {
			fired = append(fired, k)
		}
	}
	al := t.finish(fired, &t.limit)
	t.w = window{}
	return al
}

// ewma is an exponentially weighted mean and variance (Roberts; West's form).
type ewma struct {
	mean, vr float64
	ready    bool
}

func (e *ewma) update(x, lambda float64) {
	if !e.ready {
		e.mean, e.vr, e.ready = x, 0, true
		return
	}
	d := x - e.mean
	e.mean += lambda * d
	e.vr = (1 - lambda) * (e.vr + lambda*d*d)
}

func (e *ewma) sd(floor float64) float64 { return max(math.Sqrt(max(e.vr, 0)), floor) }

// adaptive is PACKTER 3.0's untuned judge.
type adaptive struct {
	base
	warmup            int
	lambda, k, ck, ch float64
	windows           int
	e                 [nKinds]ewma
	imbal             ewma
	g                 float64 // CUSUM statistic
	hardCaps          [nKinds]float64
}

// ratioFloor is the least noise assumed for a share, so a near-constant
// baseline does not make the band hypersensitive (PACKTER 3.0: 2 %).
const ratioFloor = 0.02

func (a *adaptive) observe(ts time.Time, p *capture.Packet) *alert {
	a.w.add(ts, p)
	if a.w.n < a.size {
		return nil
	}
	w := &a.w
	a.windows++
	warming := a.windows <= a.warmup
	var x [nKinds]float64
	for k := 0; k < kindPPS; k++ {
		x[k] = w.share(k)
	}
	x[kindPPS] = float64(w.n) / w.seconds()
	imbal := x[kindSYN] - (x[kindFIN] + x[kindRST])

	var fired []int
	var limit [nKinds]float64
	if a.imbal.ready && !warming {
		a.g = max(0, a.g+(imbal-a.imbal.mean)/a.imbal.sd(ratioFloor)-a.ck)
		if a.g > a.ch {
			fired = append(fired, kindSYN)
			limit[kindSYN] = a.e[kindSYN].mean + a.k*a.e[kindSYN].sd(ratioFloor)
			a.g = 0
		}
	}
	for k := kindFIN; k < nKinds; k++ {
		floor := ratioFloor
		if k == kindPPS {
			floor = max(a.e[k].mean*0.25, 1)
		}
		lim := a.e[k].mean + a.k*a.e[k].sd(floor)
		if a.e[k].ready && !warming && x[k] > lim {
			fired = append(fired, k)
			limit[k] = lim
		}
	}
	for k := 0; k < nKinds; k++ { // optional hard caps fire even while warming up
		if a.hardCaps[k] > 0 && x[k] > a.hardCaps[k] && !contains(fired, k) {
			fired = append(fired, k)
			limit[k] = a.hardCaps[k]
		}
	}
	sortKinds(fired)
	// Learn, except what alarmed: an attack must not become the new normal.
	if !contains(fired, kindSYN) {
		a.e[kindSYN].update(x[kindSYN], a.lambda)
		a.imbal.update(imbal, a.lambda)
	}
	for k := kindFIN; k < nKinds; k++ {
		if !contains(fired, k) {
			a.e[k].update(x[k], a.lambda)
		}
	}
	al := a.finish(fired, &limit)
	a.w = window{}
	return al
}

func contains(s []int, k int) bool {
	for _, v := range s {
		if v == k {
			return true
		}
	}
	return false
}

func sortKinds(s []int) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// Defaults of the threshold judge. PACKTER 2.5 had none (no threshold meant no
// alert); these catch a flood without firing on ordinary browsing, DNS or a
// port scan answered by resets.
var thresholdDefaults = [nKinds]float64{kindSYN: 0.6, kindFIN: 0.6, kindRST: 0.7, kindICMP: 0.5}

// newDetector parses --detect MODE[,key=value...].
func newDetector(spec string) (detector, error) {
	parts := strings.Split(spec, ",")
	mode := strings.TrimSpace(parts[0])
	b := base{size: 500, quiet: 30 * time.Second, conf: map[string]string{}}
	opts := map[string]string{}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return nil, fmt.Errorf("--detect: %q is not key=value", p)
		}
		opts[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	if path, ok := opts["config"]; ok {
		if err := loadConfig(path, b.conf); err != nil {
			return nil, err
		}
		delete(opts, "config")
	}
	// Config file keys first (TH_* as PACKTER 3.0's broker), then the flag's.
	for ck, ok := range map[string]string{"TH_COUNT": "window", "TH_INTERVAL": "quiet",
		"TH_SYN": "syn", "TH_FIN": "fin", "TH_RST": "rst", "TH_ICMP": "icmp", "TH_UDP": "udp", "TH_PPS": "pps",
		"TH_WARMUP": "warmup", "TH_LAMBDA": "lambda", "TH_EWMA_K": "k", "TH_CUSUM_K": "cusum-k", "TH_CUSUM_H": "cusum-h", "TH_MIN_PPS": "min-pps"} {
		if v, has := b.conf[ck]; has {
			if _, set := opts[ok]; !set {
				opts[ok] = v
			}
		}
	}
	num := func(k string, def float64) (float64, error) {
		v, ok := opts[k]
		if !ok {
			return def, nil
		}
		delete(opts, k)
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, fmt.Errorf("--detect: %s=%q is not a number", k, v)
		}
		return f, nil
	}
	var err error
	n, err := num("window", 500)
	if err != nil {
		return nil, err
	}
	if n < 10 || n > 1e7 {
		return nil, fmt.Errorf("--detect: window=%v must be between 10 and 10000000 packets", n)
	}
	b.size = int(n)
	if v, ok := opts["quiet"]; ok {
		delete(opts, "quiet")
		d, err := time.ParseDuration(v)
		if err != nil {
			s, err2 := strconv.ParseFloat(v, 64)
			if err2 != nil {
				return nil, fmt.Errorf("--detect: quiet=%q is not a duration", v)
			}
			d = time.Duration(s * float64(time.Second))
		}
		if d < 0 {
			return nil, errors.New("--detect: quiet must not be negative")
		}
		b.quiet = d
	}
	var caps [nKinds]float64
	defaults := [nKinds]float64{}
	gate := 100.0 // adaptive: a "flood" under 100 packets per second is noise
	if mode == "threshold" {
		defaults, gate = thresholdDefaults, 0
	}
	if b.minPPS, err = num("min-pps", gate); err != nil {
		return nil, err
	}
	for k := 0; k < nKinds; k++ {
		if caps[k], err = num(strings.ToLower(kindKeys[k]), defaults[k]); err != nil {
			return nil, err
		}
	}
	var d detector
	switch mode {
	case "threshold":
		d = &threshold{base: b, limit: caps}
	case "adaptive":
		a := &adaptive{base: b, hardCaps: caps}
		var w float64
		if w, err = num("warmup", 8); err != nil {
			return nil, err
		}
		a.warmup = int(w)
		if a.lambda, err = num("lambda", 0.3); err != nil {
			return nil, err
		}
		if a.k, err = num("k", 3); err != nil {
			return nil, err
		}
		if a.ck, err = num("cusum-k", 0.5); err != nil {
			return nil, err
		}
		if a.ch, err = num("cusum-h", 5); err != nil {
			return nil, err
		}
		if a.lambda <= 0 || a.lambda > 1 {
			return nil, errors.New("--detect: lambda must be in (0, 1]")
		}
		d = a
	default:
		return nil, fmt.Errorf("--detect: unknown mode %q (want threshold or adaptive)", mode)
	}
	for k := range opts {
		return nil, fmt.Errorf("--detect: unknown setting %q", k)
	}
	return d, nil
}

// loadConfig reads PACKTER's packter.conf: KEY=VALUE lines, '#' comments,
// surrounding blanks trimmed, the first occurrence of a key wins.
func loadConfig(path string, into map[string]string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--detect config: %w", unwrapPath(err))
	}
	if len(b) > 1<<20 {
		return fmt.Errorf("--detect config %s is larger than 1 MiB", path)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.ReplaceAll(strings.TrimSpace(line), "\t", " ")
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" || v == "" {
			continue
		}
		if _, dup := into[k]; !dup {
			into[k] = v
		}
	}
	return sc.Err()
}
