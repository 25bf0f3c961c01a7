package detect

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Spec is a parsed --detect value: MODE[,key=value...], for example
//
//	threshold
//	threshold,syn=0.5,pps=5000,window=500,quiet=30s,config=/etc/packter.conf
//	adaptive,warmup=8,lambda=0.3,k=3,cusum-k=0.5,cusum-h=5,min-pps=100
type Spec struct {
	Mode       string            // "threshold" or "adaptive"
	Settings   map[string]string // lower-case key → value, config= excluded
	ConfigFile string            // config=FILE: PACKTER's packter.conf, read by the caller
}

// ErrSpec marks every error about the --detect value or its configuration
// (the user's words, not a failure): test with errors.Is.
var ErrSpec = errors.New("--detect")

func specErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrSpec, fmt.Sprintf(format, a...))
}

// ParseSpec splits a --detect value; New judges the settings.
func ParseSpec(s string) (Spec, error) {
	parts := strings.Split(s, ",")
	sp := Spec{Mode: strings.TrimSpace(parts[0]), Settings: map[string]string{}}
	if sp.Mode != "threshold" && sp.Mode != "adaptive" {
		return Spec{}, specErr("unknown mode %q (want threshold or adaptive)", sp.Mode)
	}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return Spec{}, specErr("%q is not key=value", p)
		}
		k = strings.ToLower(strings.TrimSpace(k))
		if k == "config" {
			sp.ConfigFile = strings.TrimSpace(v)
			continue
		}
		sp.Settings[k] = strings.TrimSpace(v)
	}
	return sp, nil
}

// thKeys maps the config file's TH_* keys (PACKTER 3.0's broker) to settings.
var thKeys = map[string]string{"TH_COUNT": "window", "TH_INTERVAL": "quiet",
	"TH_SYN": "syn", "TH_FIN": "fin", "TH_RST": "rst", "TH_ICMP": "icmp", "TH_UDP": "udp", "TH_PPS": "pps",
	"TH_WARMUP": "warmup", "TH_LAMBDA": "lambda", "TH_EWMA_K": "k", "TH_CUSUM_K": "cusum-k", "TH_CUSUM_H": "cusum-h", "TH_MIN_PPS": "min-pps"}

// New builds the detector a Spec describes. conf holds the config file's keys
// (ParseConf; nil for none): TH_* keys are defaults the Spec's settings
// override, MON_* keys shape the alert's words.
func New(sp Spec, conf map[string]string) (Detector, error) {
	if conf == nil {
		conf = map[string]string{}
	}
	opts := make(map[string]string, len(sp.Settings))
	for k, v := range sp.Settings {
		opts[k] = v
	}
	for ck, ok := range thKeys {
		if v, has := conf[ck]; has {
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
			return 0, specErr("%s=%q is not a number", k, v)
		}
		return f, nil
	}
	b := base{size: 500, quiet: 30 * time.Second, conf: conf}
	n, err := num("window", 500)
	if err != nil {
		return nil, err
	}
	if n < 10 || n > 1e7 {
		return nil, specErr("window=%v must be between 10 and 10000000 packets", n)
	}
	b.size = int(n)
	if v, ok := opts["quiet"]; ok {
		delete(opts, "quiet")
		if b.quiet, err = parseQuiet(v); err != nil {
			return nil, err
		}
	}
	defaults, gate := [nKinds]float64{}, 100.0 // adaptive: a "flood" under 100 packets per second is noise
	if sp.Mode == "threshold" {
		defaults, gate = thresholdDefaults, 0
	}
	if b.minPPS, err = num("min-pps", gate); err != nil {
		return nil, err
	}
	var caps [nKinds]float64
	for k := Kind(0); k < nKinds; k++ {
		if caps[k], err = num(strings.ToLower(k.Key()), defaults[k]); err != nil {
			return nil, err
		}
	}
	d, err := build(sp.Mode, b, caps, num)
	if err != nil {
		return nil, err
	}
	for k := range opts {
		return nil, specErr("unknown setting %q", k)
	}
	return d, nil
}

// build makes the detector of a mode from its settings (num takes one).
func build(mode string, b base, caps [nKinds]float64, num func(string, float64) (float64, error)) (Detector, error) {
	switch mode {
	case "threshold":
		return &Threshold{base: b, limit: caps}, nil
	case "adaptive":
		a := &Adaptive{base: b, hardCaps: caps}
		var w float64
		var err error
		for _, s := range []struct {
			key string
			def float64
			to  *float64
		}{{"warmup", 8, &w}, {"lambda", 0.3, &a.lambda}, {"k", 3, &a.k}, {"cusum-k", 0.5, &a.ck}, {"cusum-h", 5, &a.ch}} {
			if *s.to, err = num(s.key, s.def); err != nil {
				return nil, err
			}
		}
		a.warmup = int(w)
		if a.lambda <= 0 || a.lambda > 1 {
			return nil, specErr("lambda must be in (0, 1]")
		}
		return a, nil
	}
	return nil, specErr("unknown mode %q (want threshold or adaptive)", mode)
}

func parseQuiet(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		s, err2 := strconv.ParseFloat(v, 64)
		if err2 != nil || math.IsNaN(s) || math.Abs(s) > 1e9 {
			return 0, specErr("quiet=%q is not a duration", v)
		}
		d = time.Duration(s * float64(time.Second))
	}
	if d < 0 {
		return 0, specErr("quiet must not be negative")
	}
	return d, nil
}

// MaxConf is the largest config file ParseConf reads.
const MaxConf = 1 << 20

// ParseConf reads PACKTER's packter.conf: KEY=VALUE lines, '#' comments,
// surrounding blanks trimmed, the first occurrence of a key wins.
func ParseConf(b []byte) (map[string]string, error) {
	if len(b) > MaxConf {
		return nil, specErr("config is larger than 1 MiB")
	}
	into := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), MaxConf+1)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.ReplaceAll(strings.TrimSpace(line), "\t", " ")
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			continue
		}
		if _, dup := into[k]; !dup {
			into[k] = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, specErr("config: %v", err)
	}
	return into, nil
}
