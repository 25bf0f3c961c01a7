package speech

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// espeakWrapper puts an espeak-ng first on PATH that logs each text it is
// given, one line each, and hands it to the real espeak-ng: the words a
// listener hears are checked, and the speech is real.
func espeakWrapper(t *testing.T) (log string) {
	t.Helper()
	real := needEspeak(t)
	dir := t.TempDir()
	log = filepath.Join(dir, "spoken")
	script := "#!/bin/sh\ntext=$(cat)\nprintf '%s\\n' \"$text\" >> '" + log + "'\nprintf '%s' \"$text\" | exec '" + real + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "espeak-ng"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return log
}

// What a listener hears of a traceback result and an alert, through the
// monitor's path (auto backend, PCM into the sound engine) and real espeak-ng.
func TestWordsThroughEspeak(t *testing.T) {
	log := espeakWrapper(t)
	sink := newRecordingSink()
	q, err := New(context.Background(), Config{Backend: "auto", PCM: sink, PreferPCM: true})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if q.Backend() != "espeak-ng" {
		t.Fatalf("backend %q", q.Backend())
	}
	q.SayKeyed("Traceback succeeded: the packet came from AS 64540", "Traceback succeeded: the packet came from AS 64540, through AS 64510", "", Alert)
	q.SayKind(KindSelection, "TCP SYN from 10.0.0.1 port 59764, 9e107d9d372bb6826bd81d3542a42dfd-192.0.2.1 [[k'Il]]")
	var pcm []int16
	for i := 0; i < 2; i++ {
		pcm = append(pcm, <-sink.got...)
		<-sink.rate
	}
	waitIdle(q)
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	want := "Traceback succeeded: the packet came from A S 64540, through A S 64510\n" +
		"TCP SYN from ten dot zero dot zero dot one port 59764, hash ending 2 d f d, traceback host one ninety-two dot zero dot two dot one ((k'Il))\n"
	if string(b) != want {
		t.Errorf("espeak-ng was given\n%s\nwant\n%s", b, want)
	}
	if _, _, voiced := speechStats(pcm, 22050); voiced < 0.3 {
		t.Errorf("%.2f voiced: not speech", voiced)
	}
	if strings.Contains(string(b), "thousand") {
		t.Error("an identifier was rounded")
	}
}
