// Package hub runs an embedded NATS server with JetStream, so that one
// machine needs nothing else installed (`packter hub`), and a few of them
// form a cluster (--routes). It binds loopback unless told otherwise.
package hub

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Config configures a hub.
type Config struct {
	// Listen is the client address (127.0.0.1:4222); port 0 lets the system
	// choose.
	Listen string
	// DataDir holds JetStream's file store (required unless Memory).
	DataDir string
	// Name is this server's name in a cluster (the host name by default; it
	// must be unique and stable, JetStream remembers its peers by name).
	Name string
	// ClusterListen, when set, is where other nodes connect (port 0: chosen);
	// Routes are the other nodes' cluster URLs (nats-route://host:6222).
	ClusterListen string
	ClusterName   string // "packter"
	Routes        []string
	// ConfigFile is a nats-server configuration file (accounts, users and
	// per-site permissions, TLS): the flags above override what it says.
	ConfigFile string
	// User and Password, or Token, require clients to authenticate.
	User, Password, Token string
	// TLS for clients: certificate and key, and a CA to verify client
	// certificates with (mutual TLS).
	Cert, Key, CA string
	// NoJetStream runs a node that only routes messages (a seed other nodes
	// route to, stores nothing).
	NoJetStream bool
	Logger      *slog.Logger
}

// Hub is a running embedded server.
type Hub struct {
	s *server.Server
}

// Start starts the server and waits until it takes connections.
func Start(cfg Config) (*Hub, error) {
	opts, err := options(cfg)
	if err != nil {
		return nil, err
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	if cfg.Logger != nil {
		s.SetLogger(logger{cfg.Logger}, false, false)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, errors.New("hub: the server did not start within 10 s")
	}
	return &Hub{s: s}, nil
}

// options turns cfg into the server's options (pure, apart from reading
// ConfigFile).
func options(cfg Config) (*server.Options, error) {
	opts := &server.Options{}
	if cfg.ConfigFile != "" {
		o, err := server.ProcessConfigFile(cfg.ConfigFile)
		if err != nil {
			return nil, fmt.Errorf("hub: %w", err)
		}
		opts = o
	}
	if cfg.Listen == "" && opts.Host == "" {
		cfg.Listen = "127.0.0.1:4222"
	}
	if cfg.Listen != "" {
		host, port, err := hostPort(cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("hub: --listen: %w", err)
		}
		opts.Host, opts.Port = host, port
	}
	opts.JetStream = !cfg.NoJetStream
	switch {
	case cfg.NoJetStream:
	case cfg.DataDir != "":
		opts.StoreDir = cfg.DataDir
	case opts.StoreDir == "":
		return nil, errors.New("hub: no data directory (--data DIR)")
	}
	if cfg.Name != "" {
		opts.ServerName = cfg.Name
	} else if opts.ServerName == "" {
		h, _ := os.Hostname()
		opts.ServerName = h
	}
	opts.NoSigs = true // the command owns signals
	if err := cluster(cfg, opts); err != nil {
		return nil, err
	}
	if cfg.User != "" {
		opts.Username, opts.Password = cfg.User, cfg.Password
	}
	if cfg.Token != "" {
		opts.Authorization = cfg.Token
	}
	if cfg.Cert != "" {
		tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: cfg.Cert, KeyFile: cfg.Key, CaFile: cfg.CA, Verify: cfg.CA != ""})
		if err != nil {
			return nil, fmt.Errorf("hub: tls: %w", err)
		}
		opts.TLSConfig, opts.TLS, opts.TLSVerify = tc, true, cfg.CA != ""
		opts.TLSTimeout = 2
	}
	return opts, nil
}

func cluster(cfg Config, opts *server.Options) error {
	if cfg.ClusterListen == "" && len(cfg.Routes) == 0 {
		return nil
	}
	if cfg.ClusterListen == "" {
		cfg.ClusterListen = "127.0.0.1:6222"
	}
	host, port, err := hostPort(cfg.ClusterListen)
	if err != nil {
		return fmt.Errorf("hub: --cluster: %w", err)
	}
	opts.Cluster.Host, opts.Cluster.Port = host, port
	opts.Cluster.Name = cfg.ClusterName
	if opts.Cluster.Name == "" {
		opts.Cluster.Name = "packter"
	}
	for _, r := range cfg.Routes {
		for _, one := range strings.Split(r, ",") {
			if one = strings.TrimSpace(one); one == "" {
				continue
			}
			if !strings.Contains(one, "://") {
				one = "nats-route://" + one
			}
			u, err := url.Parse(one)
			if err != nil || u.Host == "" {
				return fmt.Errorf("hub: route %q is not HOST:PORT or nats-route://HOST:PORT", one)
			}
			opts.Routes = append(opts.Routes, u)
		}
	}
	return nil
}

// hostPort splits "host:port"; port 0 becomes the server's "choose one".
func hostPort(a string) (string, int, error) {
	h, p, err := net.SplitHostPort(a)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 0 || n > 65535 {
		return "", 0, fmt.Errorf("%q: bad port", a)
	}
	if n == 0 {
		n = server.RANDOM_PORT
	}
	if h == "" {
		h = "0.0.0.0"
	}
	return h, n, nil
}

// ClientURL is where clients connect (nats://127.0.0.1:PORT).
func (h *Hub) ClientURL() string { return h.s.ClientURL() }

// ClusterURL is where other nodes route to, or "" without a cluster.
func (h *Hub) ClusterURL() string {
	a := h.s.ClusterAddr()
	if a == nil {
		return ""
	}
	return "nats-route://" + a.String()
}

// Server is the embedded server, for what this package does not cover.
func (h *Hub) Server() *server.Server { return h.s }

// Shutdown stops the server and waits until it has.
func (h *Hub) Shutdown() {
	h.s.Shutdown()
	h.s.WaitForShutdown()
}

// logger routes the server's log lines to slog.
type logger struct{ l *slog.Logger }

func (l logger) Noticef(f string, a ...any) { l.l.Info(fmt.Sprintf(f, a...)) }
func (l logger) Warnf(f string, a ...any)   { l.l.Warn(fmt.Sprintf(f, a...)) }
func (l logger) Fatalf(f string, a ...any)  { l.l.Error(fmt.Sprintf(f, a...)) }
func (l logger) Errorf(f string, a ...any)  { l.l.Error(fmt.Sprintf(f, a...)) }
func (l logger) Debugf(f string, a ...any)  { l.l.Debug(fmt.Sprintf(f, a...)) }
func (l logger) Tracef(f string, a ...any)  { l.l.Debug(fmt.Sprintf(f, a...)) }
