#!/usr/bin/env bash
# Runs Packter's whole test suite, installing first whatever the tests drive for
# real (espeak-ng, tmux, Xvfb, tshark, tcpreplay, softflowd, pmacct, Suricata).
# Tests that need root (network namespaces, live capture) run when root and
# skip with a reason otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change: $unformatted" >&2
	exit 1
fi
go vet ./...
go build -o bin/ ./cmd/...
# scripts/demo.sh falls back to a build without cgo where the ALSA headers cannot
# be installed: keep that build working.
CGO_ENABLED=0 go build -o /dev/null ./cmd/packter
go test -count=1 -timeout 30m "$@" ./...
