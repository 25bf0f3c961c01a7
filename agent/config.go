package agent

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/packter/packter/protocol"
)

// Config is the agent's configuration; the flags of `packter agent` map onto it.
type Config struct {
	Input     InputConfig
	Output    OutputConfig
	Auth      AuthConfig
	Detection DetectConfig
	Trace     TraceConfig
	NATS      NATSConfig // --nats: publish to NATS JetStream (nats.go)
	Geo       GeoConfig  // --geoip: countries, PACKTEARTH records (geo.go)

	Logger *slog.Logger
	// Seed fixes the sampling countdown (tests); 0 seeds from the clock.
	Seed uint64
	// Now is the clock for signatures, -n's TIME lines and its bulk window
	// (tests); nil means time.Now.
	Now func() time.Time
	// StatusEvery is how often losses are reported while running (default
	// 10 s): at Warn the first time something is lost, at Info after.
	StatusEvery time.Duration
}

// InputConfig is where packets come from.
type InputConfig struct {
	Iface    string    // -i
	ReadFile string    // -r pcap/pcapng
	Reader   io.Reader // alternative to ReadFile (the demo feeds the embedded sample)
	Filter   string    // BPF from trailing words
	Speed    float64   // pacing of ReadFile/Reader: 1 capture time, 0 as fast as possible
	// Collectors maps a collector's flag name (see Collectors) to its address
	// or path: {"sflow": "127.0.0.1:6343"}.
	Collectors  map[string]string
	EVESeverity int // minimum Suricata severity to speak (0: collect's default)
	// EVEFromStart reads an existing EVE file from its beginning (--eve-from
	// start); by default only what is written after the agent starts is read.
	EVEFromStart bool
	// Listening, when set, is called with each collector's bound address
	// (flag as in Collectors): with port 0 the kernel picks a free one.
	Listening func(flag string, addr net.Addr)
	// MaxGap caps a wait between two packets when pacing a file (default 5 s):
	// a crafted or merged capture can hold a gap of years.
	MaxGap time.Duration
	// Ready, when set, is called once the live interface is open and capturing.
	Ready func()
}

// OutputConfig is what records become and where they go.
type OutputConfig struct {
	Viewers   []string      // -v HOST[:PORT], repeatable; default port Port
	Port      int           // -p, 11300
	PrintOnly bool          // -n: write the wire text to Stdout instead of sending
	Stdout    io.Writer     // for -n (os.Stdout when nil)
	FlagBase  int           // -f
	SE        bool          // -s: also send PACKTERSE se<flag>.wav
	Sample    int           // -R N: send one message in N on average (PACKTER's random countdown)
	Bulk      time.Duration // -B: bulk window, on the clock the datagrams are sent by
	BulkMax   int           // --bulk-max: bulk datagram size limit in bytes (protocol.DefaultBulkMax, MTU-sized)
	// TCPFlags (--tcp-flags) ends default TCP descriptions with the flags as
	// tcpdump prints them ("[R.]"), so viewers can tell a reset from a close;
	// off by default, so the descriptions are PACKTER's byte for byte.
	TCPFlags bool
}

// AuthConfig is PACKTER 3.0's agent identification and signature.
type AuthConfig struct {
	AgentID string // -A
	Key     []byte // -K: HMAC key, needs AgentID
}

// DetectConfig is flood detection.
type DetectConfig struct {
	// Spec is --detect: "" off, "threshold[,k=v...]" or "adaptive[,k=v...]"
	// (see package detect).
	Spec string
}

// TraceConfig is traceback: the hash in descriptions and the digest store.
type TraceConfig struct {
	Server  string // -T: description becomes HASH-SERVER
	AS      uint32 // --as: this agent's AS number for digest answers
	Digests string // --digests ADDR: keep a traceback digest store and answer queries
}

// UsageError is a configuration the agent cannot run with: the user's words
// are off, nothing failed. The command exits with status 2 for it.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usageErr(format string, a ...any) error {
	return &UsageError{fmt.Errorf(format, a...)}
}

func (c *Config) defaults() {
	o := &c.Output
	if o.Port == 0 {
		o.Port = protocol.ViewerPort
	}
	if o.BulkMax <= 0 {
		o.BulkMax = protocol.DefaultBulkMax
	}
	if o.Sample < 1 {
		o.Sample = 1
	}
	if o.FlagBase < 0 {
		o.FlagBase = 0 // as pt_agent
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.StatusEvery <= 0 {
		c.StatusEvery = 10 * time.Second
	}
	if c.Input.MaxGap <= 0 {
		c.Input.MaxGap = 5 * time.Second
	}
}

// fromFile reports whether packets come from a capture file (or Reader).
func (in *InputConfig) fromFile() bool { return in.ReadFile != "" || in.Reader != nil }

// hasCollectors reports whether any collector input is configured.
func (in *InputConfig) hasCollectors() bool {
	for _, v := range in.Collectors {
		if v != "" {
			return true
		}
	}
	return false
}

// Validate checks the configuration without opening anything; every error is
// a *UsageError.
func (c *Config) Validate() error {
	if c.Output.BulkMax > protocol.MaxDatagram {
		return usageErr("--bulk-max %d is over the UDP limit of %d bytes", c.Output.BulkMax, protocol.MaxDatagram)
	}
	if c.Output.Bulk < 0 {
		return usageErr("-B must be 0 or more milliseconds")
	}
	if c.Input.ReadFile != "" && c.Input.Iface != "" {
		return usageErr("give either -r FILE or -i IFACE, not both")
	}
	if !c.Output.PrintOnly && len(c.Output.Viewers) == 0 && !c.NATS.enabled() {
		return usageErr("no viewer: give -v HOST[:PORT] or --nats URL (or -n to print instead of sending)")
	}
	if err := c.NATS.validate(c); err != nil {
		return err
	}
	if err := c.Geo.validate(); err != nil {
		return err
	}
	if len(c.Auth.Key) > 0 && c.Auth.AgentID == "" {
		return usageErr("an HMAC key (-K) needs an agent id (-A)")
	}
	if c.Input.Speed < 0 {
		return usageErr("--speed must be 0 or more")
	}
	if c.Trace.AS != 0 && c.Trace.Digests == "" {
		return usageErr("--as needs --digests ADDR")
	}
	if err := validateCollectors(c.Input.Collectors); err != nil {
		return err
	}
	if c.Detection.Spec != "" {
		if _, err := newDetector(c.Detection.Spec); err != nil {
			return err
		}
	}
	return nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
