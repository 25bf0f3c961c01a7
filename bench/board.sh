#!/usr/bin/env bash
# The board under real traffic: about 20,000 records/s from `packter agent -r`
# (the bundled sample at 187× its pace, bulked) into `packter-board --listen`
# under Xvfb at 1280×800, for SECONDS (default 60). Prints the readout's frames
# per second, one figure a second, and the last readout line.
#   bash bench/board.sh [SECONDS]
set -u
cd "$(dirname "$0")/.."
go build -o bin/ ./cmd/...
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
Xvfb -displayfd 5 -screen 0 1280x800x24 -nolisten tcp 5>"$tmp/xvfb.num" &
XPID=$!
for i in $(seq 50); do [ -s $tmp/xvfb.num ] && break; sleep 0.1; done
export DISPLAY=:$(cat $tmp/xvfb.num)
bin/packter-board --listen 127.0.0.1:0 --size 1280x800 --vsync=false --readout 2>$tmp/board.err &
BPID=$!
for i in $(seq 100); do grep -q 'listening on' $tmp/board.err && break; sleep 0.1; done
ADDR=$(sed -nE 's/.*listening on (\S+).*/\1/p' $tmp/board.err | head -1)
end=$((SECONDS+${1:-40}))
while [ $SECONDS -lt $end ]; do
  bin/packter agent -r samples/sample.pcapng --speed 187 -B 10 -v "$ADDR" 2>/dev/null
done
kill $BPID; wait $BPID 2>/dev/null; kill $XPID
echo "frames per second, one a second:"
sed -nE 's/.*fps=([0-9.]+) .*/\1/p' "$tmp/board.err" | tr '\n' ' '
echo
grep fps= "$tmp/board.err" | tail -n 1
