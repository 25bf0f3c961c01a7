// Package scripttest tests the project's shell scripts as a new user meets
// them: every apt layout, and every way scripts/setup.sh can fail saying why.
package scripttest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const setup = "../../scripts/setup.sh"

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const deb822 = `Types: deb
URIs: http://deb.example.org/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://security.example.org/debian-security
Suites: bookworm-security
Components: main
`

// The Debian archive this machine uses is found in one-line lists, deb822
// files, both, or neither (then nothing, and setup.sh says which it uses).
func TestMirrorInEveryLayout(t *testing.T) {
	for _, c := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"one-line sources.list", map[string]string{"sources.list": "# comment\ndeb [arch=amd64 signed-by=/k] http://ftp.example.org/debian/ bookworm main\n"}, "http://ftp.example.org/debian/"},
		{"deb822 only", map[string]string{"sources.list.d/debian.sources": deb822}, "http://deb.example.org/debian"},
		{"security first, then the archive", map[string]string{"sources.list": "deb http://security.example.org/debian-security bookworm-security main\n", "sources.list.d/debian.sources": deb822}, "http://deb.example.org/debian"},
		{"a .list in sources.list.d", map[string]string{"sources.list.d/x.list": "deb mirror+file:///etc/apt/mirrors/debian.list/debian bookworm main\n"}, "mirror+file:///etc/apt/mirrors/debian.list/debian"},
		{"neither", map[string]string{"apt.conf.d/x": ""}, ""},
		{"Ubuntu", map[string]string{"sources.list.d/ubuntu.sources": "Types: deb\nURIs: http://archive.ubuntu.com/ubuntu/\nSuites: noble\n"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := writeFiles(t, c.files)
			cmd := exec.Command("bash", setup, "--print-mirror")
			cmd.Env = append(os.Environ(), "PACKTER_APT_ETC="+dir)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("exit %v: %s", err, out)
			}
			if got := strings.TrimSpace(string(out)); got != c.want {
				t.Errorf("mirror %q, want %q", got, c.want)
			}
		})
	}
}

// Every failure ends with one sentence naming what failed, never silence.
func TestSetupFailsSayingWhy(t *testing.T) {
	// dpkg-query that knows no package: everything is missing.
	missing := "#!/bin/sh\nexit 1\n"
	for _, c := range []struct {
		name  string
		tools map[string]string
		want  string
	}{
		{"no apt-get", map[string]string{"dpkg-query": missing}, "not a Debian-like system with apt-get"},
		{"apt-get update fails", map[string]string{"dpkg-query": missing, "apt-get": "#!/bin/sh\necho 'E: could not resolve deb.debian.org' >&2\nexit 100\n", "id": "#!/bin/sh\necho 0\n"}, "setup: apt-get update -qq failed"},
		{"apt-get install fails", map[string]string{"dpkg-query": missing, "apt-get": "#!/bin/sh\n[ \"$1\" = update ] && exit 0\necho 'E: Unable to locate package' >&2\nexit 100\n", "id": "#!/bin/sh\necho 0\n"}, "setup: apt-get install"},
		{"no root, no sudo", map[string]string{"dpkg-query": missing, "apt-get": "#!/bin/sh\nexit 0\n", "id": "#!/bin/sh\necho 1000\n"}, "need root or sudo"},
	} {
		t.Run(c.name, func(t *testing.T) {
			bin := writeFiles(t, c.tools)
			// Only the fakes and the basics a script needs, nothing else.
			for _, tool := range []string{"bash", "grep", "awk", "head", "mktemp", "rm", "cat", "tail", "tee", "dirname"} {
				if p, err := exec.LookPath(tool); err == nil {
					if _, err := os.Stat(filepath.Join(bin, tool)); os.IsNotExist(err) {
						os.Symlink(p, filepath.Join(bin, tool))
					}
				}
			}
			cmd := exec.Command(filepath.Join(bin, "bash"), setup)
			cmd.Env = []string{"PATH=" + bin, "PACKTER_APT_ETC=" + t.TempDir(), "HOME=" + t.TempDir()}
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("succeeded: %s", out)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			last := lines[len(lines)-1]
			if !strings.Contains(string(out), c.want) || !strings.HasPrefix(last, "setup: ") {
				t.Errorf("output %q: want %q and a last line from setup", out, c.want)
			}
		})
	}
}
