#!/usr/bin/env bash
# Loss-free ingest on loopback: runs `packter monitor` and `packter send` at
# rising rates and reports, per rate, what the monitor handled and dropped.
#   bash scripts/bench-ingest.sh [records-per-datagram] [rates...]
# e.g. bash scripts/bench-ingest.sh 1 200000 300000 400000
#      bash scripts/bench-ingest.sh 40 2000000 3000000 4000000
set -euo pipefail
cd "$(dirname "$0")/.."
per=${1:-1}
shift || true
rates=("$@")
[ ${#rates[@]} -gt 0 ] || rates=(100000 200000 300000 400000)
go build -o bin/packter ./cmd/packter
printf '%-12s %-10s %-12s %-12s %-10s %s\n' "records/s" "per dgram" "datagrams" "handled" "dropped" "loss"
for rate in "${rates[@]}"; do
	err=$(mktemp)
	bin/packter monitor --accessible --no-audio --voice none --listen 127.0.0.1:0 --timeline 2000000 >/dev/null 2>"$err" </dev/null &
	mon=$!
	# The monitor picks a free port and says which.
	port=
	for _ in $(seq 200); do
		port=$(sed -nE 's/.*listening on UDP 127\.0\.0\.1:([0-9]+).*/\1/p' "$err")
		[ -n "$port" ] && break
		sleep 0.05
	done
	[ -n "$port" ] || { echo "bench-ingest: the monitor did not start: $(cat "$err")" >&2; exit 1; }
	out=$(bin/packter send -v 127.0.0.1:$port --bulk "$per" --pps "$rate" --duration 5s)
	# wait for the socket queue to drain
	hex=$(printf ':%04X' $port)
	for _ in $(seq 100); do
		q=$(awk -v p="$hex" '$2 ~ p"$" {split($5,a,":"); print a[2]}' /proc/net/udp)
		[ "${q:-0}" = "00000000" ] && break
		sleep 0.05
	done
	kill -TERM $mon
	wait $mon || true
	line=$(grep 'packter monitor: .* datagrams,' "$err")
	dgs=$(echo "$out" | sed -E 's/.* in ([0-9]+) datagrams.*/\1/')
	handled=$(echo "$line" | sed -E 's/.*: ([0-9]+) datagrams.*/\1/')
	dropped=$(echo "$line" | sed -E 's/.* ([0-9]+) dropped.*/\1/')
	achieved=$(echo "$out" | sed -E 's/.*s: ([0-9]+) records\/s.*/\1/')
	printf '%-12s %-10s %-12s %-12s %-10s %s\n' "$achieved" "$per" "$dgs" "$handled" "$dropped" \
		"$(awk -v d="$dropped" -v s="$dgs" 'BEGIN { printf "%.3f%%", s ? 100*d/s : 0 }')"
	rm -f "$err"
done
