package speech

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// SSIP (Speech Synthesis Interface Protocol) is speech-dispatcher's line
// protocol: CRLF-terminated commands, replies of "NNN-..." continuation lines
// ending in one "NNN text" line, and asynchronous 7xx event notifications.

// ErrSSIP marks a malformed or failed speech-dispatcher reply.
var ErrSSIP = errors.New("speech-dispatcher")

// ssipLine is one parsed reply line.
type ssipLine struct {
	Code int
	More bool // "NNN-": more lines follow
	Text string
}

// parseSSIPLine parses one reply line without its CRLF. It is a pure function
// of its input and never panics.
func parseSSIPLine(line string) (ssipLine, error) {
	var l ssipLine
	if len(line) < 4 {
		return l, fmt.Errorf("%w: short reply line %q", ErrSSIP, line)
	}
	for i := 0; i < 3; i++ {
		if line[i] < '0' || line[i] > '9' {
			return l, fmt.Errorf("%w: reply line without code: %q", ErrSSIP, truncate(line, 40))
		}
		l.Code = l.Code*10 + int(line[i]-'0')
	}
	switch line[3] {
	case '-':
		l.More = true
	case ' ':
	default:
		return l, fmt.Errorf("%w: bad separator in %q", ErrSSIP, truncate(line, 40))
	}
	l.Text = line[4:]
	return l, nil
}

// ssipReply is a complete reply or event: its code and the text of every line.
type ssipReply struct {
	Code  int
	Lines []string
}

// ssipBody escapes text for SPEAK: lines end in CRLF, a line starting with a
// dot gets a second dot, and a lone dot line ends the data.
func ssipBody(text string) string {
	var b strings.Builder
	text = strings.ReplaceAll(text, "\r\n", "\n")
	for _, line := range strings.Split(text, "\n") {
		line = strings.ReplaceAll(line, "\r", " ")
		if strings.HasPrefix(line, ".") {
			b.WriteByte('.')
		}
		b.WriteString(line)
		b.WriteString("\r\n")
	}
	b.WriteString(".\r\n")
	return b.String()
}

// ssipPriority maps the queue's priorities onto SSIP's, which speech-dispatcher
// arbitrates across all clients (a screen reader included): important is never
// interrupted, message waits its turn, text yields to both, and notification is
// dropped when anything else is speaking.
func ssipPriority(p Priority) string {
	switch p {
	case Alert:
		return "important"
	case Important:
		return "message"
	case Message:
		return "text"
	}
	return "notification"
}

// ssipRate maps words per minute onto SSIP's -100..100 (0 is the synthesiser's
// default, about 170 wpm for espeak).
func ssipRate(wpm int) int {
	if wpm <= 170 {
		return clamp((wpm-170)*100/90, -100, 0)
	}
	return clamp((wpm-170)*100/220, 0, 100)
}

// ssipVolume maps the speech volume 0..1 onto SSIP's -100..100, where 0 is the
// synthesiser's normal loudness and the quietest is -100.
func ssipVolume(g float64) int { return clamp(int((g-1)*100-0.5), -100, 0) }

// speechdSocket finds speech-dispatcher's Unix socket: SPEECHD_ADDRESS
// ("unix_socket:/path") or $XDG_RUNTIME_DIR/speech-dispatcher/speechd.sock.
func speechdSocket(getenv func(string) string) (string, error) {
	if a := getenv("SPEECHD_ADDRESS"); a != "" {
		kind, rest, _ := strings.Cut(a, ":")
		if kind != "unix_socket" {
			return "", fmt.Errorf("SPEECHD_ADDRESS %q: only unix_socket is supported", a)
		}
		return rest, nil
	}
	dir := getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		home := getenv("HOME")
		if home == "" {
			return "", errors.New("neither XDG_RUNTIME_DIR nor HOME is set")
		}
		dir = filepath.Join(home, ".cache")
	}
	return filepath.Join(dir, "speech-dispatcher", "speechd.sock"), nil
}

// ssipBackend speaks over one SSIP connection, reconnecting after failures.
type ssipBackend struct {
	path  string
	rate  int
	voice string

	conn     net.Conn
	replies  chan ssipReply
	events   chan ssipReply
	dead     chan struct{}
	deadErr  error
	priority string
	volume   int // the SET SELF VOLUME in force
}

func newSSIPBackend(ctx context.Context, path string, rate int, voice string) (*ssipBackend, error) {
	s := &ssipBackend{path: path, rate: rate, voice: voice}
	if err := s.connect(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *ssipBackend) Name() string { return "speechd" }

const ssipTimeout = 5 * time.Second

func (s *ssipBackend) connect(ctx context.Context) error {
	d := net.Dialer{Timeout: ssipTimeout}
	conn, err := d.DialContext(ctx, "unix", s.path)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSSIP, err)
	}
	s.conn = conn
	s.replies = make(chan ssipReply, 4)
	s.events = make(chan ssipReply, 16)
	s.dead = make(chan struct{})
	s.priority, s.volume = "", 0
	go s.read(conn, s.replies, s.events, s.dead)
	name := "user"
	if u, err := user.Current(); err == nil && checkVoice(u.Username) == nil && !strings.ContainsAny(u.Username, ": ") {
		name = u.Username
	}
	cmds := []string{
		"SET SELF CLIENT_NAME " + name + ":packter:main",
		"SET SELF NOTIFICATION END on",
		"SET SELF NOTIFICATION CANCEL on",
		// Text is text: never SSML, whatever a sender writes.
		"SET SELF SSML_MODE off",
	}
	if s.rate > 0 {
		cmds = append(cmds, "SET SELF RATE "+strconv.Itoa(ssipRate(s.rate)))
	}
	if s.voice != "" {
		cmds = append(cmds, "SET SELF SYNTHESIS_VOICE "+s.voice)
	}
	for _, c := range cmds {
		if _, err := s.cmd(ctx, c, 2); err != nil {
			s.drop()
			return err
		}
	}
	return nil
}

// read splits the connection into replies and events until it fails.
func (s *ssipBackend) read(conn net.Conn, replies, events chan ssipReply, dead chan struct{}) {
	defer close(dead)
	r := bufio.NewReaderSize(conn, 4096)
	var cur ssipReply
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			s.deadErr = fmt.Errorf("%w: connection: %w", ErrSSIP, err)
			return
		}
		l, err := parseSSIPLine(strings.TrimRight(string(line), "\r\n"))
		if err != nil {
			s.deadErr = err
			return
		}
		cur.Lines = append(cur.Lines, l.Text)
		if l.More {
			if len(cur.Lines) > 64 {
				s.deadErr = fmt.Errorf("%w: reply too long", ErrSSIP)
				return
			}
			continue
		}
		cur.Code = l.Code
		if l.Code >= 700 && l.Code < 800 {
			select {
			case events <- cur:
			default: // nobody waits for stale events
			}
		} else {
			select {
			case replies <- cur:
			default:
				s.deadErr = fmt.Errorf("%w: unexpected reply %d", ErrSSIP, cur.Code)
				return
			}
		}
		cur = ssipReply{}
	}
}

// cmd sends one command line and waits for its reply, which must be in the
// class (2 for 2xx, 2 and 3 for 230 ...) given by want.
func (s *ssipBackend) cmd(ctx context.Context, line string, want int) (ssipReply, error) {
	if err := s.send(line + "\r\n"); err != nil {
		return ssipReply{}, err
	}
	return s.reply(ctx, want)
}

func (s *ssipBackend) send(data string) error {
	s.conn.SetWriteDeadline(time.Now().Add(ssipTimeout))
	if _, err := s.conn.Write([]byte(data)); err != nil {
		return fmt.Errorf("%w: %w", ErrSSIP, err)
	}
	return nil
}

func (s *ssipBackend) reply(ctx context.Context, want int) (ssipReply, error) {
	t := time.NewTimer(ssipTimeout)
	defer t.Stop()
	select {
	case r := <-s.replies:
		if r.Code/100 != want {
			return r, fmt.Errorf("%w: %d %s", ErrSSIP, r.Code, strings.Join(r.Lines, " "))
		}
		return r, nil
	case <-s.dead:
		return ssipReply{}, s.deadErr
	case <-ctx.Done():
		return ssipReply{}, ctx.Err()
	case <-t.C:
		return ssipReply{}, fmt.Errorf("%w: no reply", ErrSSIP)
	}
}

func (s *ssipBackend) drop() {
	if s.conn != nil {
		s.conn.Close()
		<-s.dead
		s.conn = nil
	}
}

// Speak sends one SPEAK and waits for its END or CANCELED event; if ctx ends
// first it cancels this client's speech (never the screen reader's).
func (s *ssipBackend) Speak(ctx context.Context, u utterance) error {
	if s.conn == nil {
		if err := s.connect(ctx); err != nil {
			return err
		}
	}
	err := s.speak(ctx, u)
	if errors.Is(err, errStopped) {
		return ctx.Err()
	}
	if err != nil {
		s.drop() // replies may be out of step: start afresh next time
	}
	return err
}

// errStopped reports a stop while waiting for the end of speech, after which
// the connection is still in step.
var errStopped = errors.New("stopped")

func (s *ssipBackend) speak(ctx context.Context, u utterance) error {
	// Commands run to their (prompt) replies even if ctx ends meanwhile: an
	// abandoned reply would put the connection out of step. Stopping happens
	// below, with CANCEL SELF.
	cctx := context.WithoutCancel(ctx)
	if p := ssipPriority(u.Priority); p != s.priority {
		if _, err := s.cmd(cctx, "SET SELF PRIORITY "+p, 2); err != nil {
			return err
		}
		s.priority = p
	}
	if v := ssipVolume(u.gain()); v != s.volume {
		if _, err := s.cmd(cctx, "SET SELF VOLUME "+strconv.Itoa(v), 2); err != nil {
			return err
		}
		s.volume = v
	}
	if _, err := s.cmd(cctx, "SPEAK", 2); err != nil {
		return err
	}
	if err := s.send(ssipBody(Defuse(u.Text))); err != nil {
		return err
	}
	r, err := s.reply(cctx, 2)
	if err != nil {
		return err
	}
	id := ""
	if len(r.Lines) > 1 {
		id = r.Lines[0]
	}
	// A notification that speech-dispatcher discards may never report back, so
	// the wait is bounded by a generous estimate of the speaking time.
	limit := time.NewTimer(10*time.Second + time.Duration(len(u.Text))*150*time.Millisecond)
	defer limit.Stop()
	for {
		select {
		case ev := <-s.events:
			if (ev.Code == 702 || ev.Code == 703) && (id == "" || len(ev.Lines) > 0 && ev.Lines[0] == id) {
				return nil
			}
		case <-s.dead:
			return s.deadErr
		case <-limit.C:
			return nil
		case <-ctx.Done():
			cctx, cancel := context.WithTimeout(context.Background(), ssipTimeout)
			defer cancel()
			if _, err := s.cmd(cctx, "CANCEL SELF", 2); err != nil {
				return err
			}
			return errStopped
		}
	}
}

func (s *ssipBackend) Close() error {
	if s.conn == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	s.cmd(ctx, "QUIT", 2) // best effort: the server may already be gone
	s.drop()
	return nil
}

// socketExists is a cheap check before dialing.
func socketExists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode()&os.ModeSocket != 0
}
