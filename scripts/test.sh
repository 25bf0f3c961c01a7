#!/usr/bin/env bash
# Runs Packter's whole test suite, installing first whatever the tests drive for
# real (espeak-ng, speech-dispatcher, tmux, Xvfb, tshark, tcpreplay, softflowd,
# pmacct, Suricata). Tests that need root (network namespaces, live capture)
# run when root and skip with a reason otherwise. Extra arguments go to
# `go test` (for example -short for the quick loop, or -run NAME).
set -euo pipefail
trap 'rc=$?; echo "test: failed (exit $rc) at line $LINENO: $BASH_COMMAND" >&2' ERR
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "test: gofmt would change: $unformatted" >&2
	exit 1
fi
# go.mod says which modules the code imports directly; keep it exact.
if ! tidy=$(go mod tidy -diff 2>&1); then
	echo "$tidy" >&2
	echo "test: go.mod/go.sum are not tidy: run 'go mod tidy'" >&2
	exit 1
fi
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# ELF files (test binaries, builds) have no place in the repository.
	binaries=$(git ls-files -z | xargs -0 -r sh -c 'for f; do [ -f "$f" ] && [ "$(head -c 4 "$f" | od -An -c | tr -d " ")" = "177ELF" ] && echo "$f"; done' _ || true)
	if [ -n "$binaries" ]; then
		echo "test: compiled binaries are committed: $binaries" >&2
		exit 1
	fi
fi
go vet ./...
go build -o bin/ ./cmd/...
# scripts/demo.sh falls back to a build without cgo where the ALSA headers cannot
# be installed: keep that build working.
CGO_ENABLED=0 go build -o /dev/null ./cmd/packter
go test -count=1 -timeout 30m "$@" ./...
