package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/packter/packter/samples"
)

func TestAgentCommandExitCodes(t *testing.T) {
	dir := t.TempDir()
	sample := filepath.Join(dir, "sample.pcapng")
	os.WriteFile(sample, samples.Capture(), 0o644)
	trunc := filepath.Join(dir, "trunc.pcapng")
	os.WriteFile(trunc, samples.Capture()[:len(samples.Capture())-3], 0o644)
	garbage := filepath.Join(dir, "garbage.pcap")
	os.WriteFile(garbage, []byte("this is not a capture file"), 0o644)
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string // prefix
		stderr string // substring
	}{
		{"print sample", []string{"agent", "-n", "-r", sample}, 0, "TIME ", ""}, // the text itself: agent_cli_test.go
		{"truncated file counts and succeeds", []string{"agent", "-n", "-r", trunc}, 0, "TIME ", "the file ends inside a packet"},
		{"unreadable file", []string{"agent", "-n", "-r", garbage}, 1, "", "packter agent: cannot read capture " + garbage + ": capture is corrupt at byte 0: unknown magic number"},
		{"missing file", []string{"agent", "-n", "-r", filepath.Join(dir, "nope")}, 1, "", "no such file or directory"},
		{"no viewer", []string{"agent", "-r", sample}, 2, "", "no viewer"},
		{"bad flag", []string{"agent", "-zz"}, 2, "", "flag provided but not defined"},
		{"bad detect", []string{"agent", "-n", "-r", sample, "--detect", "psychic"}, 2, "", "unknown mode"},
		{"bad filter", []string{"agent", "-n", "-r", sample, "tcp", "port", "banana"}, 1, "", "bad filter"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), tc.args, &out, &errb)
			if code != tc.code || !strings.HasPrefix(out.String(), tc.stdout) || !strings.Contains(errb.String(), tc.stderr) {
				t.Fatalf("exit %d (want %d)\nstdout %.200q\nstderr %q", code, tc.code, out.String(), errb.String())
			}
			if tc.code != 0 && strings.Count(strings.TrimSpace(errb.String()), "\n") > 0 {
				t.Fatalf("error is more than one line: %q", errb.String())
			}
		})
	}
}

// TestAgentClosingLine: a run with a collector ends (by its context, as by a
// signal) with one line naming what it received and every loss by cause.
func TestAgentClosingLine(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the agent starts, binds and is told to stop at once
	var out, errb bytes.Buffer
	code := run(ctx, []string{"agent", "-n", "--netflow", "127.0.0.1:0"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if got := errb.String(); !strings.Contains(got, "NetFlow collector: 0 received; lost 0: nothing") {
		t.Errorf("closing line %q", got)
	}
}

func TestAgentEVEFrom(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"agent", "-n", "--eve", "eve.json", "--eve-from", "middle"}, &out, &errb)
	if code != 2 || !strings.Contains(errb.String(), "want end or start") {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
}
