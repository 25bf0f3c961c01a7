#!/usr/bin/env bash
# The monitor under a 10 s hostile flood (single records with half garbage,
# 200-record bulk datagrams and 60 KB junk at once) and after a kill -9:
# runs the hostile tests N times (default 1) and prints their measured
# figures — peak RSS, how soon a message sent after the flood was printed,
# the monitor's closing counts, the events a kill -9 left in the journal.
#   bash scripts/bench-hostile.sh [runs]
# Each run takes about 25 s and both cores; don't loop it on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1}
for i in $(seq "$runs"); do
	echo "run $i:"
	go test -count=1 -v -run 'TestFloodMemoryBounded|TestJournalSurvivesKill' ./cmd/packter/ 2>&1 |
		grep -E 'hostile_test.go:[0-9]+: |^--- ' | sed -E 's/^ *hostile_test.go:[0-9]+: /  /'
done
