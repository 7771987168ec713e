#!/usr/bin/env bash
# GET throughput of `movierec serve` beside a no-work ceiling (README, "Serving speed").
#
# One `movierec serve` on a fresh embedded store bootstraps the bundled data (import, train,
# publish every user's list). Then users 1..305 each rate one movie of their list through
# POST /events: their lists are no longer current, and every GET of theirs folds them in from
# their ratings (the "just rated" path). Users 306..610 keep their published lists.
# The ceiling is handlers/app/examples/no_work_server.rs: axum on tokio, answering every GET
# with the bytes of a real movierec answer (user 400's plain GET) from memory.
# For each path, ROUNDS rounds, each round the ceiling then movierec (alternating), each run
# `wrk -t2 -cCONNECTIONS -dSECONDS` with random ids (bench/serve_ceiling.lua), both servers
# and wrk on this machine's cores. Prints the machine, the command, one line per run, and per
# path the medians: req/s, p99, and movierec's share of the ceiling (the median of each round's
# ratio, movierec's run over the ceiling's run just before it).
#
# Usage: bash bench/serve_ceiling.sh [ROUNDS]          (default 5)
#   CONNECTIONS (64), SECONDS_PER_RUN (5), MOVIEREC_BIN (default: cargo build --release),
#   CEILING_DIR where logs go (default bench/out/ceiling).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
CONNECTIONS=${CONNECTIONS:-64}
RUN_SECONDS=${SECONDS_PER_RUN:-5}
OUT=${CEILING_DIR:-bench/out/ceiling}
mkdir -p "$OUT"
COMMAND="bash bench/serve_ceiling.sh $*"

if ! command -v wrk >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
fi
cargo build --release -q -p movierec --bin movierec --example no_work_server
BIN=${MOVIEREC_BIN:-target/release/movierec}
CEILING=target/release/examples/no_work_server

store=$(mktemp -d)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$store"; }
trap cleanup EXIT

# start VAR NAME CMD...: starts CMD in the background (its output to NAME.log under $OUT, its
# pid kept for the exit trap) and sets VAR to the address from its "listening on http://ADDR"
# or "listening on ADDR" line. Not in a $(...) subshell: the pid must reach the trap.
start() {
  local var=$1 name=$2; shift 2
  "$@" >"$OUT/$name.log" 2>&1 &
  pids+=($!)
  local addr=""
  for _ in $(seq 1 600); do
    addr=$(grep -o 'listening on \(http://\)\?[0-9.:]*' "$OUT/$name.log" | head -1 | sed 's#.*listening on \(http://\)\?##') || true
    [ -n "$addr" ] && { printf -v "$var" '%s' "$addr"; return; }
    sleep 0.5
  done
  echo "$name did not start: $(tail -5 "$OUT/$name.log")" >&2; exit 1
}

MOVIEREC_STORE="$store" MOVIEREC_LOG=warn start APP movierec "$BIN" serve --port 0
for _ in $(seq 1 600); do
  curl -fs "http://$APP/recommendations/610" | grep -q '"source":"batch"' && break
  sleep 1
done
curl -fs "http://$APP/recommendations/610" | grep -q '"source":"batch"' || { echo "no published lists" >&2; exit 1; }

# users 1..305 rate their list's first movie: their next GETs fold in
events=$(for u in $(seq 1 305); do
  m=$(curl -fs "http://$APP/recommendations/$u?n=1" | grep -o '"movie_id":[0-9]*' | head -1 | cut -d: -f2)
  printf '{"UserId":%d,"MovieId":%d,"Rating":4.5,"Timestamp":%d},' "$u" "$m" "$(date +%s)"
done)
curl -fs -X POST "http://$APP/events" -H 'Content-Type: application/json' -d "[${events%,}]" >/dev/null
curl -fs "http://$APP/recommendations/1" | grep -q '"source":"fold-in"' || { echo "user 1 is not folded in" >&2; exit 1; }

seq 306 610 >"$OUT/published_users"
seq 1 305 >"$OUT/rated_users"
for u in $(seq 306 10 610); do curl -fs "http://$APP/recommendations/$u?n=50"; done \
  | grep -o '"movie_id":[0-9]*' | cut -d: -f2 | sort -un >"$OUT/movies"
curl -fs "http://$APP/recommendations/400" >"$OUT/answer.json"
start NOWORK no_work_server "$CEILING" 127.0.0.1:0 "$OUT/answer.json"
# the bootstrap's own work (dashboard warm-up, timers) is over before anything is timed
until [ "$(cpu_ticks "${pids[0]}")" = "$(sleep 2; cpu_ticks "${pids[0]}")" ]; do :; done

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/ {print $2}') GiB"
echo "command: $COMMAND (wrk -t2 -c$CONNECTIONS -d${RUN_SECONDS}s), $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo none)"
echo "answer body: $(wc -c <"$OUT/answer.json") bytes"

# run NAME ADDR PATH IDS: one wrk run; prints "req/s p99_ms errors"
run() {
  local line
  line=$(WRK_PATH=$3 WRK_IDS=$4 wrk -t2 -c"$CONNECTIONS" -d"${RUN_SECONDS}s" -s bench/serve_ceiling.lua "http://$2" | grep '^RESULT')
  local requests seconds p99 errors
  requests=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$line")
  seconds=$(sed 's/.*seconds=\([0-9.]*\).*/\1/' <<<"$line")
  p99=$(sed 's/.*p99_ms=\([0-9.]*\).*/\1/' <<<"$line")
  errors=$(sed 's/.*errors=\([0-9]*\).*/\1/' <<<"$line")
  awk -v r="$requests" -v s="$seconds" -v p="$p99" -v e="$errors" 'BEGIN { printf "%.0f %.2f %d\n", r / s, p, e }'
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

paths=(
  "plain|/recommendations/{id}|published_users"
  "page 2|/recommendations/{id}?offset=10|published_users"
  "genre=Comedy|/recommendations/{id}?genre=Comedy|published_users"
  "just rated (fold-in)|/recommendations/{id}|rated_users"
  "similar|/movies/{id}/similar?n=10|movies"
)
summary=()
for entry in "${paths[@]}"; do
  IFS='|' read -r name path ids <<<"$entry"
  : >"$OUT/app.runs"; : >"$OUT/ceiling.runs"; : >"$OUT/ratio.runs"
  for round in $(seq 1 "$ROUNDS"); do
    c=$(run ceiling "$NOWORK" "$path" "$OUT/$ids")
    a=$(run movierec "$APP" "$path" "$OUT/$ids")
    echo "$c" >>"$OUT/ceiling.runs"; echo "$a" >>"$OUT/app.runs"
    awk -v a="${a%% *}" -v c="${c%% *}" 'BEGIN { printf "%.4f\n", a / c }' >>"$OUT/ratio.runs"
    echo "$name round $round: ceiling $c | movierec $a   (req/s p99_ms errors)"
  done
  app_rps=$(cut -d' ' -f1 "$OUT/app.runs" | median)
  app_p99=$(cut -d' ' -f2 "$OUT/app.runs" | median)
  app_errors=$(cut -d' ' -f3 "$OUT/app.runs" | paste -sd+ | bc)
  ceiling_rps=$(cut -d' ' -f1 "$OUT/ceiling.runs" | median)
  ceiling_p99=$(cut -d' ' -f2 "$OUT/ceiling.runs" | median)
  # the median of each round's ratio: a round's two runs are seconds apart, so a drift of the
  # machine's speed over the whole run (seen here: the ceiling alone moving by a third between
  # paths) cancels within a round
  ratio=$(median <"$OUT/ratio.runs" | awk '{ printf "%.2f", $1 }')
  summary+=("| $name | $app_rps req/s, p99 $app_p99 ms | $ceiling_rps req/s, p99 $ceiling_p99 ms | $ratio | $app_errors |")
done
echo
echo "| path | movierec (median of $ROUNDS) | no-work ceiling (median of $ROUNDS) | ratio (median of the rounds' ratios) | errors |"
echo "|---|---|---|---|---|"
printf '%s\n' "${summary[@]}"
