#!/usr/bin/env bash
# GET throughput of two movierec binaries, alternating (a regression or gain check of a change).
#
# Each binary serves its own fresh embedded store bootstrapped from the bundled data; both run
# at once, and only one is loaded at a time. Then ROUNDS rounds of `wrk -t2 -c64 -dSECONDS`
# on PATH (default the plain GET) with random published users (306..610, bench/serve_ceiling.lua),
# A then B in each round. Prints each round and B/A of that round; the median of those is the
# figure (a round's two runs are seconds apart, so a drift of the machine's speed cancels).
#
# With PIN=1 the servers run on core 0 and wrk on core 1 (taskset), so that the two never take
# each other's core: the ratio is then the server's own cost per request, with far less spread
# (a server pinned to one core runs one tokio worker).
#
# Usage: bash bench/serve_ab.sh BIN_A BIN_B [ROUNDS] [PATH]   (ROUNDS default 7; SECONDS 5; PIN 0)
set -euo pipefail
cd "$(dirname "$0")/.."
A=$1; B=$2; ROUNDS=${3:-7}; TARGET=${4:-/recommendations/{id}}; RUN_SECONDS=${SECONDS_PER_RUN:-5}
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
OUT=${SERVE_AB_DIR:-bench/out/serve_ab}; mkdir -p "$OUT"
SERVER_CPU=(); WRK_CPU=()
if [ "${PIN:-0}" = 1 ]; then SERVER_CPU=(taskset -c 0); WRK_CPU=(taskset -c 1); fi
pids=(); stores=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; for s in "${stores[@]}"; do rm -rf "$s"; done; }
trap cleanup EXIT

# start BIN NAME: prints the address once its lists are published
start() {
  local store; store=$(mktemp -d); stores+=("$store")
  MOVIEREC_STORE="$store" MOVIEREC_LOG=warn "${SERVER_CPU[@]}" "$1" serve --port 0 >"$OUT/$2.log" 2>&1 &
  pids+=($!)
}
start "$A" a; start "$B" b
address() {
  local addr=""
  until [ -n "$addr" ]; do sleep 0.5; addr=$(grep -o 'listening on http://[0-9.:]*' "$OUT/$1.log" | head -1 | sed 's#.*http://##') || true; done
  until curl -fs "http://$addr/recommendations/610" | grep -q '"source":"batch"'; do sleep 1; done
  echo "$addr"
}
A_ADDR=$(address a); B_ADDR=$(address b)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
for p in "${pids[@]}"; do until [ "$(cpu_ticks "$p")" = "$(sleep 2; cpu_ticks "$p")" ]; do :; done; done
seq 306 610 >"$OUT/ids"

rps() {
  local line
  line=$(WRK_PATH=$TARGET WRK_IDS="$OUT/ids" "${WRK_CPU[@]}" wrk -t2 -c64 -d"${RUN_SECONDS}s" -s bench/serve_ceiling.lua "http://$1" | grep '^RESULT')
  awk -v r="$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$line")" -v s="$(sed 's/.*seconds=\([0-9.]*\).*/\1/' <<<"$line")" 'BEGIN { printf "%.0f\n", r / s }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); command: PIN=${PIN:-0} bash bench/serve_ab.sh $*"
: >"$OUT/ratios"
for round in $(seq 1 "$ROUNDS"); do
  a=$(rps "$A_ADDR"); b=$(rps "$B_ADDR")
  ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }')
  echo "$ratio" >>"$OUT/ratios"
  echo "round $round: A $a req/s | B $b req/s | B/A $ratio"
done
echo "median B/A: $(median <"$OUT/ratios")"
