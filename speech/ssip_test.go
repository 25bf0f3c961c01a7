package speech

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// ssipServer is a stand-in speech-dispatcher on a Unix socket. It records every
// line it receives, answers as speech-dispatcher does, and reports the end of
// each message at once unless hold is set, in which case the message "speaks"
// until the client cancels it.
type ssipServer struct {
	path  string
	ln    net.Listener
	lines chan string
	hold  bool
	// dropAfterSpeak hangs up, unanswered, on the first line after the first
	// message.
	dropAfterSpeak bool
	wg             sync.WaitGroup
}

func newSSIPServer(t *testing.T, hold, dropAfterSpeak bool) *ssipServer {
	t.Helper()
	dir, err := os.MkdirTemp("", "ssip") // short: socket paths are limited to ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &ssipServer{path: filepath.Join(dir, "speechd.sock"), lines: make(chan string, 1024), hold: hold, dropAfterSpeak: dropAfterSpeak}
	s.ln, err = net.Listen("unix", s.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.ln.Close(); s.wg.Wait() })
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := s.ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() { defer s.wg.Done(); s.serve(c) }()
		}
	}()
	return s
}

func (s *ssipServer) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	w := func(lines ...string) { c.Write([]byte(strings.Join(lines, "\r\n") + "\r\n")) }
	inData, id, held := false, 0, 0
	for {
		if s.dropAfterSpeak && id > 0 && !inData {
			line, _ := r.ReadString('\n')
			s.lines <- strings.TrimSuffix(line, "\r\n")
			return
		}
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if !strings.HasSuffix(line, "\r\n") {
			s.lines <- "MISSING CRLF: " + line
			return
		}
		line = strings.TrimSuffix(line, "\r\n")
		s.lines <- line
		if inData {
			if line != "." {
				continue
			}
			inData = false
			id++
			w(fmt.Sprint("225-", id), "225 OK MESSAGE QUEUED")
			if s.hold {
				held = id
				w(fmt.Sprint("701-", id), "701-1", "701 BEGIN")
				continue
			}
			w(fmt.Sprint("701-", id), "701-1", "701 BEGIN", fmt.Sprint("702-", id), "702-1", "702 END")
			continue
		}
		switch {
		case strings.HasPrefix(line, "SET SELF CLIENT_NAME "):
			w("208 OK CLIENT NAME SET")
		case strings.HasPrefix(line, "SET SELF NOTIFICATION "):
			w("218 OK NOTIFICATION SET")
		case strings.HasPrefix(line, "SET SELF PRIORITY "):
			w("202 OK PRIORITY SET")
		case strings.HasPrefix(line, "SET SELF RATE "):
			w("203 OK RATE SET")
		case strings.HasPrefix(line, "SET SELF VOLUME "):
			w("204 OK VOLUME SET")
		case strings.HasPrefix(line, "SET SELF SSML_MODE "):
			w("219 OK SSML MODE SET")
		case strings.HasPrefix(line, "SET SELF SYNTHESIS_VOICE "):
			w("209 OK VOICE SET")
		case line == "SPEAK":
			inData = true
			w("230 OK RECEIVING DATA")
		case line == "CANCEL SELF":
			if held != 0 { // the event may come before the reply, as in speech-dispatcher
				w(fmt.Sprint("703-", held), "703-1", "703 CANCELED")
				held = 0
			}
			w("213 OK CANCELED")
		case line == "QUIT":
			w("231 HAPPY HACKING")
			return
		default:
			w("300 ERR UNKNOWN COMMAND")
		}
	}
}

// expect reads the next lines the server received and compares them.
func (s *ssipServer) expect(t *testing.T, want ...string) {
	t.Helper()
	for _, w := range want {
		select {
		case got := <-s.lines:
			if got != w {
				t.Fatalf("server received %q, want %q", got, w)
			}
		case <-time.After(10 * time.Second): // hang guard only
			t.Fatalf("server received nothing, want %q", w)
		}
	}
}

func clientName(t *testing.T) string {
	if u, err := user.Current(); err == nil && checkVoice(u.Username) == nil && !strings.ContainsAny(u.Username, ": ") {
		return u.Username
	}
	return "user"
}

func ssipQueue(t *testing.T, s *ssipServer, cfg Config) *Queue {
	t.Helper()
	cfg.Backend = "speechd"
	cfg.getenv = func(k string) string {
		if k == "SPEECHD_ADDRESS" {
			return "unix_socket:" + s.path
		}
		return ""
	}
	cfg.lookPath = func(string) (string, error) { return "", errors.New("not here") }
	q, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() }) // before the server's cleanup, which waits for the connection
	return q
}

func TestSSIPTranscript(t *testing.T) {
	s := newSSIPServer(t, false, false)
	q := ssipQueue(t, s, Config{Rate: 200, Voice: "en"})
	if q.Backend() != "speechd" {
		t.Fatalf("backend %q", q.Backend())
	}
	s.expect(t,
		"SET SELF CLIENT_NAME "+clientName(t)+":packter:main",
		"SET SELF NOTIFICATION END on",
		"SET SELF NOTIFICATION CANCEL on",
		"SET SELF SSML_MODE off",
		"SET SELF RATE 13",
		"SET SELF SYNTHESIS_VOICE en",
	)
	q.Say("SYN flood toward 10.1.2.3", Alert)
	s.expect(t, "SET SELF PRIORITY important", "SPEAK", "SYN flood toward ten dot one dot two dot three", ".")
	q.Say(".hidden dot", Alert) // same priority: not set again; leading dot doubled
	s.expect(t, "SPEAK", "..hidden dot", ".")
	q.Say("trace result", Important)
	s.expect(t, "SET SELF PRIORITY message", "SPEAK", "trace result", ".")
	q.Say("voice text\r\n.\r\nQUIT", Message) // control characters never make lines
	s.expect(t, "SET SELF PRIORITY text", "SPEAK", "voice text . QUIT", ".")
	waitIdle(q)
	q.Say("50 percent", Progress)
	s.expect(t, "SET SELF PRIORITY notification", "SPEAK", "50 percent", ".")
	waitIdle(q)
	// Speech has its own volume; markup in the text stays text.
	q.SetVolume(0.5)
	q.SayKind(KindVolume, "Speech volume [[50]] percent")
	s.expect(t, "SET SELF PRIORITY message", "SET SELF VOLUME -50", "SPEAK", "Speech volume ((50)) percent", ".")
	waitIdle(q)
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	s.expect(t, "QUIT")
	if st := q.Stats(); st.Failed != 0 || st.Spoken != 6 {
		t.Errorf("stats %+v", st)
	}
}

func TestSSIPAlertCancelsChatter(t *testing.T) {
	s := newSSIPServer(t, true, false)
	q := ssipQueue(t, s, Config{})
	defer q.Close()
	s.expect(t, "SET SELF CLIENT_NAME "+clientName(t)+":packter:main", "SET SELF NOTIFICATION END on", "SET SELF NOTIFICATION CANCEL on", "SET SELF SSML_MODE off")
	q.Say("a long message", Message)
	s.expect(t, "SET SELF PRIORITY text", "SPEAK", "a long message", ".")
	q.Say("UDP flood toward 10.0.0.9", Alert)
	s.expect(t, "CANCEL SELF", "SET SELF PRIORITY important", "SPEAK", "UDP flood toward ten dot zero dot zero dot nine", ".")
	q.Stop() // the console's stop key cancels our speech only
	s.expect(t, "CANCEL SELF")
	waitIdle(q)
	if st := q.Stats(); st.Failed != 0 || st.Interrupted != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestSSIPReconnects(t *testing.T) {
	s := newSSIPServer(t, false, true)
	q := ssipQueue(t, s, Config{})
	defer q.Close()
	hello := []string{"SET SELF CLIENT_NAME " + clientName(t) + ":packter:main", "SET SELF NOTIFICATION END on", "SET SELF NOTIFICATION CANCEL on", "SET SELF SSML_MODE off"}
	s.expect(t, hello...)
	q.Say("one", Message)
	s.expect(t, "SET SELF PRIORITY text", "SPEAK", "one", ".")
	waitIdle(q)
	q.Say("two", Message) // the server hangs up on its SPEAK
	s.expect(t, "SPEAK")
	waitIdle(q)
	q.Say("three", Message) // reconnects and sets everything again
	s.expect(t, append(hello, "SET SELF PRIORITY text", "SPEAK", "three", ".")...)
	waitIdle(q)
	if st := q.Stats(); st.Failed != 1 {
		t.Errorf("Failed = %d, want 1 (%+v)", st.Failed, st)
	}
}

func TestSSIPBody(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"hello", "hello\r\n.\r\n"},
		{".", "..\r\n.\r\n"},
		{"a\n.\n.b\r\nc", "a\r\n..\r\n..b\r\nc\r\n.\r\n"},
		{"x\ry", "x y\r\n.\r\n"},
	} {
		if got := ssipBody(tc.in); got != tc.want {
			t.Errorf("ssipBody(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseSSIPLine(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ssipLine
		ok   bool
	}{
		{"208 OK CLIENT NAME SET", ssipLine{208, false, "OK CLIENT NAME SET"}, true},
		{"225-17", ssipLine{225, true, "17"}, true},
		{"702 END", ssipLine{702, false, "END"}, true},
		{"231 ", ssipLine{231, false, ""}, true},
		{"23", ssipLine{}, false},
		{"2x8 OK", ssipLine{}, false},
		{"208:OK", ssipLine{}, false},
	} {
		got, err := parseSSIPLine(tc.in)
		if (err == nil) != tc.ok || tc.ok && got != tc.want {
			t.Errorf("parseSSIPLine(%q) = %+v, %v", tc.in, got, err)
		}
	}
}

func FuzzParseSSIPLine(f *testing.F) {
	for _, s := range []string{"208 OK CLIENT NAME SET", "225-17", "702 END", "", "99", "300 ERR"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := parseSSIPLine(s)
		if err != nil {
			return
		}
		sep := " "
		if l.More {
			sep = "-"
		}
		if back := fmt.Sprintf("%03d%s%s", l.Code, sep, l.Text); back != s {
			t.Fatalf("parsed %q as %+v, which prints as %q", s, l, back)
		}
	})
}

func TestSpeechdSocket(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
		ok   bool
	}{
		{"address", map[string]string{"SPEECHD_ADDRESS": "unix_socket:/run/s.sock", "XDG_RUNTIME_DIR": "/run/user/1000"}, "/run/s.sock", true},
		{"runtime dir", map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"}, "/run/user/1000/speech-dispatcher/speechd.sock", true},
		{"home", map[string]string{"HOME": "/home/a"}, "/home/a/.cache/speech-dispatcher/speechd.sock", true},
		{"inet refused", map[string]string{"SPEECHD_ADDRESS": "inet_socket:example.org:6560"}, "", false},
		{"nothing", map[string]string{}, "", false},
	} {
		got, err := speechdSocket(env(tc.env))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%s: %q, %v", tc.name, got, err)
		}
	}
}

// Auto with nothing available says so once, in one sentence, and stays silent.
func TestPickAutoDegrades(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	cfg := Config{Logger: log, goos: "linux",
		getenv:   func(k string) string { return map[string]string{"XDG_RUNTIME_DIR": "/nonexistent"}[k] },
		lookPath: func(string) (string, error) { return "", errors.New("not found") }}
	q, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if q.Backend() != "none" {
		t.Fatalf("backend %q", q.Backend())
	}
	out := buf.String()
	if strings.Count(out, "\n") != 1 || !strings.Contains(out, "level=WARN") ||
		!strings.Contains(out, "no espeak-ng in PATH") || !strings.Contains(out, "no speech-dispatcher socket at /nonexistent/speech-dispatcher/speechd.sock") ||
		strings.Contains(out, "macOS") {
		t.Errorf("log:\n%s", out)
	}
	q.Say("nobody hears this", Message) // and it does not block or fail
	waitIdle(q)
	if st := q.Stats(); st.Failed != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestPickNamed(t *testing.T) {
	nothing := func(string) (string, error) { return "", errors.New("not found") }
	found := func(name string) (string, error) { return "/usr/bin/" + name, nil }
	noenv := func(string) string { return "" }
	for _, tc := range []struct {
		backend  string
		goos     string
		look     func(string) (string, error)
		pcm      bool
		prefer   bool
		wantName string
		wantErr  error
	}{
		{"none", "linux", nothing, false, false, "none", nil},
		{"espeak-ng", "linux", nothing, false, false, "", ErrUnavailable},
		{"espeak-ng", "linux", found, false, false, "espeak-ng", nil},
		{"speechd", "linux", nothing, false, false, "", ErrUnavailable},
		{"speechd", "linux", found, false, false, "speechd (spd-say)", nil},
		{"say", "linux", found, false, false, "", ErrUnavailable},
		{"say", "darwin", found, false, false, "say", nil},
		{"sapi", "windows", found, false, false, "sapi", nil},
		{"sapi", "linux", found, false, false, "", ErrUnavailable},
		{"auto", "darwin", found, true, true, "espeak-ng", nil},
		{"auto", "darwin", func(n string) (string, error) {
			if n == "say" {
				return "/usr/bin/say", nil
			}
			return "", errors.New("no")
		}, true, false, "say", nil},
		{"AUTO", "windows", func(n string) (string, error) {
			if n == "powershell.exe" {
				return `C:\ps.exe`, nil
			}
			return "", errors.New("no")
		}, false, false, "sapi", nil},
		{"festival", "linux", found, false, false, "", nil},
	} {
		cfg := Config{Backend: tc.backend, goos: tc.goos, lookPath: tc.look, getenv: noenv, PreferPCM: tc.prefer}
		if tc.pcm {
			cfg.PCM = newRecordingSink()
		}
		cfg.defaults()
		be, err := pick(context.Background(), &cfg)
		switch {
		case tc.wantName == "" && tc.wantErr == nil:
			if err == nil {
				t.Errorf("%s: accepted", tc.backend)
			}
		case tc.wantErr != nil:
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("%s on %s: err %v, want %v", tc.backend, tc.goos, err, tc.wantErr)
			}
		case err != nil:
			t.Errorf("%s on %s: %v", tc.backend, tc.goos, err)
		case be.Name() != tc.wantName:
			t.Errorf("%s on %s: %s, want %s", tc.backend, tc.goos, be.Name(), tc.wantName)
		}
	}
}
