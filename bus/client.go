package bus

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ClientOptions is how every Packter command reaches NATS: servers,
// credentials and TLS. The same flags name them everywhere (Register).
type ClientOptions struct {
	URLs     string // --nats: nats://host:4222[,nats://…]; tls:// asks for TLS
	User     string // --nats-user
	Password string // --nats-password (visible in ps: prefer --nats-creds or nkeys)
	Token    string // --nats-token
	Creds    string // --nats-creds FILE: a user JWT and nkey seed (NATS decentralised auth)
	NKey     string // --nats-nkey FILE: an nkey seed file
	CA       string // --nats-ca FILE: verify the server against this CA
	Cert     string // --nats-cert FILE and --nats-key FILE: client certificate (mutual TLS)
	Key      string
	Name     string // connection name the servers show
	Logger   *slog.Logger
}

// Register adds the --nats flags to fs; the URL flag gets usage u.
func (o *ClientOptions) Register(fs *flag.FlagSet, u string) {
	fs.StringVar(&o.URLs, "nats", "", u)
	fs.StringVar(&o.User, "nats-user", "", "NATS user `NAME` (with --nats-password)")
	fs.StringVar(&o.Password, "nats-password", "", "NATS `PASSWORD` (visible to ps: prefer --nats-creds)")
	fs.StringVar(&o.Token, "nats-token", "", "NATS authentication `TOKEN`")
	fs.StringVar(&o.Creds, "nats-creds", "", "NATS credentials `FILE` (user JWT and nkey seed)")
	fs.StringVar(&o.NKey, "nats-nkey", "", "NATS nkey seed `FILE`")
	fs.StringVar(&o.CA, "nats-ca", "", "verify NATS servers against the CA in `FILE` (turns TLS on)")
	fs.StringVar(&o.Cert, "nats-cert", "", "client certificate `FILE` for NATS (mutual TLS; with --nats-key)")
	fs.StringVar(&o.Key, "nats-key", "", "client key `FILE` for --nats-cert")
}

// Check reports options that cannot work together, without connecting.
func (o *ClientOptions) Check() error {
	if o.URLs == "" {
		return errors.New("no NATS server: give --nats URL[,URL…]")
	}
	if (o.User == "") != (o.Password == "") {
		return errors.New("--nats-user and --nats-password go together")
	}
	if (o.Cert == "") != (o.Key == "") {
		return errors.New("--nats-cert and --nats-key go together")
	}
	n := 0
	for _, s := range []string{o.User, o.Token, o.Creds, o.NKey} {
		if s != "" {
			n++
		}
	}
	if n > 1 {
		return errors.New("give one of --nats-user, --nats-token, --nats-creds, --nats-nkey")
	}
	return nil
}

// Connect connects to the servers. The client reconnects for ever (a link
// hiccup is not an error) and buffers up to 8 MiB meanwhile.
func Connect(ctx context.Context, o ClientOptions) (*nats.Conn, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := []nats.Option{
		nats.Name(o.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ReconnectJitter(100*time.Millisecond, time.Second),
		nats.ReconnectBufSize(8 << 20),
		nats.Timeout(5 * time.Second),
		nats.RetryOnFailedConnect(false),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("NATS link lost; reconnecting", "err", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("NATS reconnected", "server", c.ConnectedUrlRedacted()) }),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { log.Warn("NATS", "err", err) }),
	}
	switch {
	case o.User != "":
		opts = append(opts, nats.UserInfo(o.User, o.Password))
	case o.Token != "":
		opts = append(opts, nats.Token(o.Token))
	case o.Creds != "":
		opts = append(opts, nats.UserCredentials(o.Creds))
	case o.NKey != "":
		opt, err := nats.NkeyOptionFromSeed(o.NKey)
		if err != nil {
			return nil, fmt.Errorf("nats nkey: %w", err)
		}
		opts = append(opts, opt)
	}
	if o.CA != "" {
		opts = append(opts, nats.RootCAs(o.CA))
	}
	if o.Cert != "" {
		opts = append(opts, nats.ClientCert(o.Cert, o.Key))
	}
	if o.CA != "" || o.Cert != "" {
		opts = append(opts, nats.Secure(&tls.Config{MinVersion: tls.VersionTLS12}))
	}
	urls := strings.Join(strings.Fields(strings.ReplaceAll(o.URLs, ",", " ")), ",")
	type result struct {
		c   *nats.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := nats.Connect(urls, opts...)
		ch <- result{c, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, fmt.Errorf("nats %s: %w", urls, r.err)
		}
		return r.c, nil
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.c != nil {
				r.c.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// StreamConfig is the stream all sites publish to.
type StreamConfig struct {
	Replicas int           // copies across the cluster (1 on one machine, 3 for a cluster)
	MaxAge   time.Duration // history kept (0: 24 h)
	MaxBytes int64         // history size limit (0: 10 GiB)
	// Duplicates is how long message ids are remembered to drop a message
	// published twice (0: 2 min, longer than any reconnect we wait for).
	Duplicates time.Duration
	Memory     bool // keep the stream in memory (tests); file storage otherwise
}

// EnsureStream creates the stream, or updates its limits when it exists.
func EnsureStream(ctx context.Context, nc *nats.Conn, c StreamConfig) (jetstream.Stream, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	if c.MaxAge <= 0 {
		c.MaxAge = 24 * time.Hour
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = 10 << 30
	}
	if c.Duplicates <= 0 {
		c.Duplicates = 2 * time.Minute
	}
	st := jetstream.FileStorage
	if c.Memory {
		st = jetstream.MemoryStorage
	}
	s, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: StreamName, Subjects: []string{streamSubject},
		Retention: jetstream.LimitsPolicy, Discard: jetstream.DiscardOld,
		MaxAge: c.MaxAge, MaxBytes: c.MaxBytes, Duplicates: c.Duplicates,
		Storage: st, Replicas: c.Replicas, MaxMsgSize: 1 << 20,
	})
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", StreamName, err)
	}
	return s, nil
}
