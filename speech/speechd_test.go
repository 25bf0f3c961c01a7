package speech

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// realSpeechd runs a private speech-dispatcher for one test: its own socket,
// configuration, logs and HOME (with an ALSA null device), and one output
// module, sd_generic, whose "synthesiser" appends each text to a file and then
// "speaks" for 30 s, so that cancel and priorities can be seen.
type realSpeechd struct {
	sock, spoken string
}

func startSpeechd(t *testing.T) *realSpeechd {
	t.Helper()
	bin, err := exec.LookPath("speech-dispatcher")
	if err != nil {
		t.Skip("speech-dispatcher is not installed (Debian: speech-dispatcher)")
	}
	if _, err := os.Stat("/usr/lib/speech-dispatcher-modules/sd_generic"); err != nil {
		t.Skip("speech-dispatcher's sd_generic module is not installed")
	}
	dir, err := os.MkdirTemp("", "sd") // short: socket paths are limited to ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	d := &realSpeechd{sock: filepath.Join(dir, "s.sock"), spoken: filepath.Join(dir, "spoken")}
	for _, sub := range []string{"conf/modules", "home", "log", "run"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"home/.asoundrc": "pcm.!default { type null }\n",
		"conf/speechd.conf": "LogLevel 3\nLogDir \"" + filepath.Join(dir, "log") + "\"\nAudioOutputMethod \"alsa\"\n" +
			"AddModule \"logger\" \"sd_generic\" \"logger.conf\"\nDefaultModule logger\n",
		"conf/modules/logger.conf": "GenericExecuteSynth \"printf '%s\\\\n' \\'$DATA\\' >> " + d.spoken + "; sleep 30\"\n" +
			"AddVoice \"en\" \"MALE1\" \"en\"\nGenericLanguage \"en\" \"en\" \"utf-8\"\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "-s", "-t", "0", "-C", filepath.Join(dir, "conf"), "-c", "unix_socket", "-S", d.sock,
		"-P", filepath.Join(dir, "run", "pid"), "-L", filepath.Join(dir, "log"))
	cmd.Env = append(os.Environ(), "HOME="+filepath.Join(dir, "home"), "XDG_RUNTIME_DIR="+filepath.Join(dir, "run"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; !socketExists(d.sock); i++ {
		if i > 1000 { // 10 s: a hang guard
			b, _ := os.ReadFile(filepath.Join(dir, "log", "speech-dispatcher.log"))
			t.Fatalf("speech-dispatcher did not create its socket; its log:\n%s", b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return d
}

// said waits until the module has been handed n texts and returns them.
func (d *realSpeechd) said(t *testing.T, n int) []string {
	t.Helper()
	for i := 0; ; i++ {
		b, _ := os.ReadFile(d.spoken)
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(b) > 0 && len(lines) >= n {
			return lines
		}
		if i > 1000 { // 10 s: a hang guard
			t.Fatalf("the module was handed %q, want %d texts", lines, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// client is another speech-dispatcher client, standing in for a screen reader.
func (d *realSpeechd) client(t *testing.T) *ssipBackend {
	t.Helper()
	be, err := newSSIPBackend(context.Background(), d.sock, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	return be
}

// speakAsync queues text on a raw client and returns its message id.
func speakAsync(t *testing.T, c *ssipBackend, prio, text string) string {
	t.Helper()
	ctx := context.Background()
	if _, err := c.cmd(ctx, "SET SELF PRIORITY "+prio, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := c.cmd(ctx, "SPEAK", 2); err != nil {
		t.Fatal(err)
	}
	if err := c.send(ssipBody(text)); err != nil {
		t.Fatal(err)
	}
	r, err := c.reply(ctx, 2)
	if err != nil || len(r.Lines) < 2 {
		t.Fatalf("SPEAK reply %+v, %v", r, err)
	}
	return r.Lines[0]
}

// waitEvent waits for event code (702 end, 703 cancelled) of message id.
func waitEvent(t *testing.T, c *ssipBackend, id string, code int) {
	t.Helper()
	deadline := time.After(10 * time.Second) // a hang guard
	for {
		select {
		case ev := <-c.events:
			if len(ev.Lines) > 0 && ev.Lines[0] == id && (ev.Code == 702 || ev.Code == 703) {
				if ev.Code != code {
					t.Fatalf("message %s: event %d, want %d", id, ev.Code, code)
				}
				return
			}
		case <-deadline:
			t.Fatalf("message %s: no event %d", id, code)
		}
	}
}

func realSpeechdQueue(t *testing.T, d *realSpeechd) *Queue {
	t.Helper()
	q, err := New(context.Background(), Config{Backend: "speechd", getenv: func(k string) string {
		if k == "SPEECHD_ADDRESS" {
			return "unix_socket:" + d.sock
		}
		return ""
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

// On a real speech-dispatcher: our alert (important) cancels a screen
// reader's text; our Stop cancels only our own speech; a key press's answer
// replaces our playing progress; and the words arrive as Speakable made them.
func TestRealSpeechdPrioritiesAndCancel(t *testing.T) {
	d := startSpeechd(t)
	sr := d.client(t)
	q := realSpeechdQueue(t, d)
	if q.Backend() != "speechd" {
		t.Fatalf("backend %q", q.Backend())
	}

	srID := speakAsync(t, sr, "text", "screen reader reading a web page")
	d.said(t, 1)
	q.SayKind(KindAlert, "SYN flood toward 10.1.2.3 from AS 64540, 12000 packets per second [[k'Il]]")
	waitEvent(t, sr, srID, 703) // the screen reader's text gave way to the alert
	got := d.said(t, 2)
	if want := "SYN flood toward ten dot one dot two dot three from A S 64540, 12 thousand packets per second ((k'Il))"; got[1] != want {
		t.Errorf("the module was handed\n%q\nwant\n%q", got[1], want)
	}

	// Stop cancels our alert, not a screen reader's new text queued behind it.
	srID = speakAsync(t, sr, "message", "screen reader message")
	q.Stop()
	waitIdle(q)
	got = d.said(t, 3)
	if got[2] != "screen reader message" {
		t.Fatalf("after our Stop the module got %q", got[2])
	}
	if _, err := sr.cmd(context.Background(), "CANCEL SELF", 2); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, sr, srID, 703) // it was still speaking: our Stop left it alone

	// Our progress is a notification; an answer cuts it short and is said.
	q.SayKind(KindProgress, "Newest packet")
	d.said(t, 4)
	q.SayKind(KindVolume, "Volume 50 percent")
	got = d.said(t, 5)
	if got[3] != "Newest packet" || got[4] != "Volume 50 percent" {
		t.Errorf("module got %q", got[3:])
	}
	q.Stop()
	waitIdle(q)
	if st := q.Stats(); st.Failed != 0 || st.Replaced != 1 {
		t.Errorf("stats %+v", st)
	}
}

// speech-dispatcher drops a notification while anything else speaks, and
// says so at once (703 before the SPEAK reply): the queue must not wait for
// an end that never comes.
func TestRealSpeechdDroppedNotification(t *testing.T) {
	d := startSpeechd(t)
	sr := d.client(t)
	q := realSpeechdQueue(t, d)
	speakAsync(t, sr, "text", "screen reader reading")
	d.said(t, 1)
	q.SayKind(KindProgress, "Newest packet")
	// The worker is idle again well before its own 10 s limit would free it.
	for i := 0; q.Busy(); i++ {
		if i > 500 {
			t.Fatal("the queue waited for a notification speech-dispatcher had dropped")
		}
		time.Sleep(10 * time.Millisecond)
	}
	q.SayKind(KindAnswer, "Paused")
	if got := d.said(t, 2); got[1] != "Paused" {
		t.Errorf("module got %q", got)
	}
}
