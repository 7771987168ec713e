#!/usr/bin/env bash
# RSS of `movierec serve` across retrains of the bundled set (README, "Memory across retrains").
#
# Starts BIN (default target/release/movierec) on a fresh embedded store, which bootstraps from
# the bundled data, then RETRAINS times: POST /RetrainModel, POST /RecommendAllUsers, one GET,
# then SETTLE seconds (default 12: past tokio's 10 s keep-alive, so the blocking threads the jobs
# started have exited with their stacks). After each it prints VmRSS, RssAnon, the transparent
# huge pages in use and the thread count, from /proc. Extra arguments are NAME=VALUE settings for the server, such as
# MIMALLOC_PURGE_DELAY=0 or MOVIEREC_RANKING_TUNE=false.
#
# The heap behind it: build with glibc's allocator, which heaptrack follows, and run the server
# under heaptrack (`heaptrack -o OUT target/release/movierec serve ...`), then kill -9 it after the
# retrains: heaptrack_print's "leaked" is then the live heap at that moment.
#   cargo build --release -p movierec --no-default-features --features cosmos,blob
#
# Usage: bash bench/rss_retrains.sh [RETRAINS] [NAME=VALUE ...]   (RETRAINS default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
RETRAINS=${1:-5}; shift || true
BIN=${BIN:-target/release/movierec}
STORE=$(mktemp -d)
env "$@" MOVIEREC_STORE="$STORE" MOVIEREC_LOG=warn "$BIN" serve --port 0 >"$STORE/out" 2>"$STORE/log" &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$STORE"' EXIT
until grep -q "listening on" "$STORE/log"; do
  kill -0 $PID 2>/dev/null || { cat "$STORE/log"; exit 1; }
  sleep 0.3
done
URL=$(grep -o 'listening on http://[0-9.:]*' "$STORE/log" | head -1 | sed 's/listening on //')
memory() {
  awk '/VmRSS|RssAnon/ {printf "%s %.0f MiB  ", $1, $2 / 1024} /Threads/ {printf "threads %s  ", $2}' /proc/$PID/status
  awk '/AnonHugePages/ {s += $2} END {printf "THP %.0f MiB\n", s / 1024}' /proc/$PID/smaps
}
echo "after the bootstrap: $(memory)"
for i in $(seq 1 "$RETRAINS"); do
  for job in RetrainModel RecommendAllUsers; do
    curl -fs -X POST -H 'Content-Type: application/json' -d '{}' "$URL/$job" >/dev/null
  done
  curl -fs "$URL/recommendations/1" >/dev/null
  sleep "${SETTLE:-12}"
  echo "after retrain $i: $(memory)"
done
