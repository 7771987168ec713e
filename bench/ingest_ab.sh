#!/usr/bin/env bash
# Ingest throughput of two movierec binaries, alternating (a regression check of a change).
#
# Each binary serves a fresh embedded store bootstrapped from the bundled data; once its
# bootstrap's work is over, `wrk -t2 -c4 -dSECONDS` posts batches of 100 new ratings to
# POST /events, every rating of another new user (bench/ingest.lua): each event is a real
# write, and each batch gives 100 users a rating mark. ROUNDS rounds, A then B in each;
# prints each run and the medians in events/s.
#
# Usage: bash bench/ingest_ab.sh BIN_A BIN_B [ROUNDS]      (ROUNDS default 3; SECONDS 8)
set -euo pipefail
cd "$(dirname "$0")/.."
A=$1; B=$2; ROUNDS=${3:-3}; RUN_SECONDS=${SECONDS_PER_RUN:-8}
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
OUT=${INGEST_AB_DIR:-bench/out/ingest_ab}; mkdir -p "$OUT"
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
pid=""; store=""
stop() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; [ -n "$store" ] && rm -rf "$store"; pid=""; store=""; }
trap stop EXIT

# run BIN: one bootstrapped server, one wrk run; prints events/s
run() {
  store=$(mktemp -d)
  MOVIEREC_STORE="$store" MOVIEREC_LOG=warn "$1" serve --port 0 >"$OUT/server.log" 2>&1 &
  pid=$!
  local addr=""
  until [ -n "$addr" ]; do sleep 0.5; addr=$(grep -o 'listening on http://[0-9.:]*' "$OUT/server.log" | head -1 | sed 's#.*http://##') || true; done
  until curl -fs "http://$addr/recommendations/610" | grep -q '"source":"batch"'; do sleep 1; done
  until [ "$(cpu_ticks "$pid")" = "$(sleep 2; cpu_ticks "$pid")" ]; do :; done
  local line requests seconds
  line=$(wrk -t2 -c4 -d"${RUN_SECONDS}s" -s bench/ingest.lua "http://$addr" | grep '^RESULT')
  requests=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$line")
  seconds=$(sed 's/.*seconds=\([0-9.]*\).*/\1/' <<<"$line")
  stop
  awk -v r="$requests" -v s="$seconds" 'BEGIN { printf "%.0f\n", r * 100 / s }'
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); command: bash bench/ingest_ab.sh $*"
: >"$OUT/a"; : >"$OUT/b"
for round in $(seq 1 "$ROUNDS"); do
  a=$(run "$A"); b=$(run "$B")
  echo "$a" >>"$OUT/a"; echo "$b" >>"$OUT/b"
  echo "round $round: A $a events/s | B $b events/s"
done
echo "median: A $(median <"$OUT/a") events/s | B $(median <"$OUT/b") events/s"
