#!/usr/bin/env bash
# Runs Packter's main job: the bundled sample through agent, monitor, sound,
# speech, console and traceback. Extra arguments go to `packter demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! bash scripts/setup.sh; then
	echo "packter: the ALSA headers could not be installed; building without sound-card support (--wav still works)" >&2
	export CGO_ENABLED=0
fi
go build -o bin/packter ./cmd/packter
if [ "${CGO_ENABLED:-1}" != 0 ] && dpkg-query -W -f='${Status}' libx11-dev 2>/dev/null | grep -q "ok installed"; then
	go build -o bin/packter-board ./cmd/packter-board || echo "packter: the visual board did not build; everything else works" >&2
fi
exec bin/packter demo "$@"
