#!/usr/bin/env bash
# Recommend-for-all through N shard workers (README, "Past one machine" and the capacity model).
#
# One store is built once: `movierec serve` bootstraps it from the data set (import, train,
# publish version 1), then one POST /RetrainModel promotes version 2 and the server is stopped
# before anything publishes it. That store (version 1 served, version 2 promoted and not yet
# published: the state a retrain leaves) is copied afresh for every run, so each run publishes
# version 2 from nothing: plan, popular list, every shard written, the switch. No training is
# timed. Then for ROUNDS rounds, each round every N of --workers in turn (alternating):
#   standalone  one `movierec serve` (standalone, MOVIEREC_BOOTSTRAP=false, timers never fire)
#               with MOVIEREC_SHARD_WORKERS=N: POST /RecommendAllUsers plans and answers, the
#               shards run on its in-process queue, N at once;
#   instances   N `movierec serve` processes under the host contract (FUNCTIONS_CUSTOMHANDLER_PORT,
#               as tests/it/shards.rs runs them) on the same store: RecommendAllUsers is invoked on
#               the first with a timer payload, and this script plays the Storage queue with
#               batchSize 1: the answer's Outputs.shards messages are dealt round-robin to the
#               instances, each invoking RecommendShard with its messages one after another
#               (Data.shard the message's JSON text, as the host sends it; a failed delivery is
#               redelivered, up to 5 in all, maxDequeueCount). The in-process queue of a
#               standalone server is in memory, so separate processes cannot share it; this is
#               the way several processes work one store's shards (tests/it/shards.rs does the same).
# Timed: from just before the POST /RecommendAllUsers to the first poll that finds the store's
# meta.serving_version switched to version 2 (sqlite3, every --poll seconds; for instances,
# once every delivery is answered: the last shard publishes before it answers). Each server is
# started and left until its CPU time stops moving (the standalone dashboard warm-up) first.
# After each run the published lists are counted (every model user once, under version 2).
# Prints the machine, the command, the load, one line per run, and the medians per N with the
# speed-up against N=1.
#
# Usage: bash bench/shards.sh [ROUNDS] [--data ml-1m|small|DIR] [--synth "SYNTH OPTIONS"]
#          [--workers "1 2 4"] [--shard-users N] [--rank R] [--iterations I]
#          [--variants "standalone instances"] [--poll S] [--fresh]      (ROUNDS default 3)
#   --data ml-1m   (default) ../shared ml-1m derived/ratings_user_movie_rating.csv, 6,040 users,
#                  with the titles of movies.dat; shards of 500 users (13 shards)
#   --data small   the bundled data/ml-latest-small, 610 users; shards of 50 (13 shards)
#   --data DIR     a folder with ratings.csv and movies.csv (what MOVIEREC_BOOTSTRAP_DATA takes)
#   --synth "..."  `movierec synth ...` ratings instead, e.g. --synth "--users 50000 --items 20000
#                  --ratings 5000000"; shards of users/16. Only where the model beats most-popular on
#                  the holdout: the promotion gate always rejects it otherwise (--shape small: rejected)
#   --rank R       the ranking model's rank (default 64, the capacity model's); its tuning is off
#                  and the rating model keeps its defaults (the lists carry its predictions)
#   --fresh        build the store again even if one for the same data and settings exists
#   MOVIEREC_BIN   the binary to use (default: cargo build --release, target/release/movierec);
#   SHARDBENCH_DIR where the data, stores, logs and results go (default bench/out/shards).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
COMMAND="bash bench/shards.sh$(printf " %q" "$@")"
SHARED=${MOVIEREC_SHARED_DATA:-../shared/data/movielens}
OUT=${SHARDBENCH_DIR:-bench/out/shards}
ROUNDS=3 DATA=ml-1m SYNTH= WORKERS="1 2 4" SHARD_USERS= RANK=64 ITERATIONS=15
VARIANTS="standalone instances" POLL=0.05 FRESH=
while [ $# -gt 0 ]; do
  case $1 in
    --data) DATA=$2; shift ;;
    --synth) SYNTH=$2; DATA=synth; shift ;;
    --workers) WORKERS=$2; shift ;;
    --shard-users) SHARD_USERS=$2; shift ;;
    --rank) RANK=$2; shift ;;
    --iterations) ITERATIONS=$2; shift ;;
    --variants) VARIANTS=$2; shift ;;
    --poll) POLL=$2; shift ;;
    --fresh) FRESH=1 ;;
    [0-9]*) ROUNDS=$1 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
for tool in curl jq sqlite3 iconv; do
  command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 1; }
done
if [ -z "${MOVIEREC_BIN:-}" ]; then cargo build --release -q -p movierec; fi
B=$(realpath "${MOVIEREC_BIN:-target/release/movierec}")
[ -x "$B" ] || { echo "no movierec binary at $B" >&2; exit 1; }
mkdir -p "$OUT/logs"
OUT=$(realpath "$OUT")
NEVER="0 0 0 1 1 *"

# ---- processes: every one this script starts and has not yet reaped, stopped by its pid on exit
PIDS=()
forget_pid() { local p keep=(); for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done; PIDS=("${keep[@]}"); }
stop_pid() {  # SIGTERM, then wait (SIGKILL after 15 s)
  local pid=$1 i
  if kill -TERM "$pid" 2>/dev/null; then
    for i in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  forget_pid "$pid"
}
cleanup() { local p; for p in "${PIDS[@]}"; do stop_pid "$p"; done; }
trap cleanup EXIT

# Replaces the (background) shell it runs in by a server with the settings every server gets
# (no timer fires, the same model parameters and top-N) and the VAR=value ones given; so $! is
# the server's pid. Only ever run with &.
exec_server() {
  exec env -u FUNCTIONS_CUSTOMHANDLER_PORT -u MOVIEREC_BOOTSTRAP -u MOVIEREC_BOOTSTRAP_DATA \
    MOVIEREC_FUNCTIONS_DIR="$ROOT/functions" \
    MOVIEREC_RETRAIN_SCHEDULE="$NEVER" MOVIEREC_RECOMMEND_SCHEDULE="$NEVER" \
    MOVIEREC_RANKING_RANK="$RANK" MOVIEREC_RANKING_ITERATIONS="$ITERATIONS" MOVIEREC_RANKING_TUNE=false \
    MOVIEREC_PROMOTION_MARGIN=1 MOVIEREC_SHARD_USERS="$SHARD_USERS" "$@"
}

# A standalone server on STORE with extra VAR=value settings; sets SERVER_PID and SERVER_URL.
start_standalone() {
  local store=$1 log=$2 i; shift 2
  exec_server MOVIEREC_STORE="$store" "$@" "$B" serve --port 0 2>"$log" >/dev/null &
  SERVER_PID=$!; PIDS+=("$SERVER_PID")
  SERVER_URL=
  for i in $(seq 36000); do  # up to an hour: the first start imports and trains
    SERVER_URL=$(sed -n 's/^movierec listening on \(http:[^ ]*\).*/\1/p' "$log")
    [ -n "$SERVER_URL" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "movierec serve exited:" >&2; tail -20 "$log" >&2; exit 1; }
    sleep 0.1
  done
  echo "movierec serve did not listen within an hour" >&2; exit 1
}

# A server under the host contract on PORT; appends its pid to INSTANCE_PIDS.
start_instance() {
  local store=$1 log=$2 port=$3 i; shift 3
  exec_server MOVIEREC_STORE="$store" FUNCTIONS_CUSTOMHANDLER_PORT="$port" MOVIEREC_BOOTSTRAP=false "$@" \
    "$B" serve >"$log" 2>&1 &
  local pid=$!; PIDS+=("$pid"); INSTANCE_PIDS+=("$pid")
  for i in $(seq 600); do  # the host's ping: GET / with no invocation id answers "ok"
    [ "$(curl -s -m 1 "http://127.0.0.1:$port/" 2>/dev/null || true)" = ok ] && return 0
    kill -0 "$pid" 2>/dev/null || { echo "movierec serve (host mode) exited:" >&2; tail -20 "$log" >&2; exit 1; }
    sleep 0.05
  done
  echo "movierec serve (host mode) on port $port did not answer the ping" >&2; exit 1
}

free_port() {  # a port nothing listens on
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

cpu_ticks() {  # user + system ticks of the pids
  local t=0 pid f
  for pid in "$@"; do
    f=$(cut -d' ' -f14,15 "/proc/$pid/stat" 2>/dev/null || echo "0 0")
    t=$((t + ${f% *} + ${f#* }))
  done
  echo "$t"
}

wait_idle() {  # until the pids' CPU time has not moved for 0.6 s (at most 2 minutes)
  local last now still=0 i
  last=$(cpu_ticks "$@")
  for i in $(seq 600); do
    sleep 0.2
    now=$(cpu_ticks "$@")
    if [ "$now" = "$last" ]; then still=$((still + 1)); [ $still -ge 3 ] && return 0; else still=0; fi
    last=$now
  done
}

q() { sqlite3 -cmd ".timeout 5000" "$1/movierec.db" "$2" 2>/dev/null || true; }
serving_version() { q "$1" "SELECT value FROM meta WHERE key = 'serving_version'"; }
promoted_version() { q "$1" "SELECT version FROM models WHERE status = 'promoted' ORDER BY version DESC LIMIT 1"; }

# Polls until STORE serves VERSION (or a watched process exits); prints the seconds since T0.
wait_published() {
  local store=$1 version=$2 t0=$3 pid; shift 3
  while [ "$(serving_version "$store")" != "$version" ]; do
    for pid in "$@"; do
      kill -0 "$pid" 2>/dev/null || { echo "a server exited before version $version was published" >&2; exit 1; }
    done
    sleep "$POLL"
  done
  awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'
}

# ---- the data set
DATA_DIR="$OUT/data-$DATA"
case $DATA in
  ml-1m)
    ML1M="$SHARED/ml-1m"
    [ -f "$ML1M/derived/ratings_user_movie_rating.csv" ] || {
      echo "missing $ML1M/derived/ratings_user_movie_rating.csv: the shared MovieLens data must sit beside the project" >&2; exit 1; }
    if [ ! -f "$DATA_DIR/movies.csv" ]; then
      mkdir -p "$DATA_DIR"
      cp "$ML1M/derived/ratings_user_movie_rating.csv" "$DATA_DIR/ratings.csv"
      # movies.dat: id::title::genres in Latin-1; movies.csv quotes the titles (some hold commas)
      iconv -f latin1 -t utf-8 "$ML1M/movies.dat" | awk -F'::' 'BEGIN { print "movieId,title,genres" }
        { gsub(/"/, "\"\"", $2); printf "%s,\"%s\",%s\n", $1, $2, $3 }' > "$DATA_DIR/movies.csv.part"
      mv "$DATA_DIR/movies.csv.part" "$DATA_DIR/movies.csv"
    fi
    : "${SHARD_USERS:=500}" ;;
  small)
    DATA_DIR="$ROOT/data/ml-latest-small"
    : "${SHARD_USERS:=50}" ;;
  synth)
    users=$(sed -n 's/.*--users[ =]\([0-9]*\).*/\1/p' <<<"$SYNTH")
    : "${users:=162541}"
    if [ ! -f "$DATA_DIR/movies.csv" ] || [ "$(cat "$DATA_DIR/synth-args" 2>/dev/null)" != "$SYNTH" ]; then
      mkdir -p "$DATA_DIR"
      # shellcheck disable=SC2086
      "$B" synth $SYNTH --out "$DATA_DIR/ratings.csv"
      awk -F, 'NR > 1 && $2 > m { m = $2 } END { print "movieId,title,genres"
        for (i = 1; i <= m; i++) printf "%d,Movie %d,Drama\n", i, i }' "$DATA_DIR/ratings.csv" > "$DATA_DIR/movies.csv"
      printf '%s' "$SYNTH" > "$DATA_DIR/synth-args"
    fi
    : "${SHARD_USERS:=$(( (users + 15) / 16 ))}" ;;
  *)
    [ -f "$DATA/ratings.csv" ] && [ -f "$DATA/movies.csv" ] || { echo "$DATA has no ratings.csv and movies.csv" >&2; exit 2; }
    DATA_DIR=$(realpath "$DATA")
    : "${SHARD_USERS:=500}" ;;
esac

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "== command: $COMMAND"
echo "== binary: $B ($(date -r "$B" '+%Y-%m-%d %H:%M'))"
echo "== load at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- the store: version 1 published, version 2 promoted, not published
BASE="$OUT/store-$DATA-r$RANK-i$ITERATIONS"
STAMP="data=$DATA_DIR synth=$SYNTH rank=$RANK iterations=$ITERATIONS"
if [ -n "$FRESH" ] || [ "$(cat "$BASE/bench-stamp" 2>/dev/null)" != "$STAMP" ]; then
  rm -rf "$BASE"; mkdir -p "$BASE"
  echo "== building the store: bootstrap from $DATA_DIR (import, train, publish v1), then POST /RetrainModel"
  t0=$EPOCHREALTIME
  start_standalone "$BASE" "$OUT/logs/build.log" MOVIEREC_BOOTSTRAP_DATA="$DATA_DIR"
  echo "   bootstrapped in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
  t0=$EPOCHREALTIME
  retrain=$(curl -s -m 7200 -X POST -H 'Content-Type: application/json' -d '{}' "$SERVER_URL/RetrainModel")
  echo "   RetrainModel in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s:" \
    "$(jq -c '.ReturnValue | {outcome, version, status}' <<<"$retrain" 2>/dev/null || echo "$retrain")"
  stop_pid "$SERVER_PID"
  serving=$(serving_version "$BASE") promoted=$(promoted_version "$BASE")
  [ -n "$serving" ] && [ -n "$promoted" ] && [ "$promoted" != "$serving" ] || {
    # The promotion gate cannot be switched off (a version whose lists are not above the
    # most-popular list's is always rejected, and a rejected version keeps no model files).
    echo "the store is not as planned: serving v${serving:-none}, promoted v${promoted:-none}; the registry says:" >&2
    q "$BASE" "SELECT 'v' || version || ' ' || status || ': ' || decision FROM models ORDER BY version" >&2
    echo "(see $OUT/logs/build.log)" >&2; exit 1; }
  printf '%s' "$STAMP" > "$BASE/bench-stamp"
else
  echo "== reusing the store $BASE (--fresh builds it again)"
fi
V=$(promoted_version "$BASE")
USERS=$(q "$BASE" "SELECT COUNT(DISTINCT user_id) FROM ratings")
RATINGS=$(q "$BASE" "SELECT COUNT(*) FROM ratings")
SHARDS=$(( (USERS + SHARD_USERS - 1) / SHARD_USERS ))
echo "== store: $RATINGS ratings, $USERS users, serving v$(serving_version "$BASE"), v$V promoted; ranking rank $RANK;" \
  "shards of $SHARD_USERS users (about $SHARDS shards)"
echo "== $ROUNDS rounds; each round: $(for v in $VARIANTS; do for n in $WORKERS; do printf '%s ' "$v:$n"; done; done)"

RUN="$OUT/run"
RESULTS="$OUT/results.tsv"
printf 'variant\tN\tround\tseconds\tplan_seconds\tshards\tlists\n' > "$RESULTS"

fresh_copy() { rm -rf "$RUN"; cp -a "$BASE" "$RUN"; }

check_lists() {  # lists published under v$V (the primary key makes each user's one)
  q "$RUN" "SELECT COUNT(*) FROM recommendations WHERE version = $V"
}

planned() {  # the coordinator's answer must be a plan of v$V; fails the script otherwise
  local answer=$1
  [ "$(jq -r '.ReturnValue.outcome + ":" + (.ReturnValue.version | tostring)' <<<"$answer" 2>/dev/null)" = "done:$V" ] || {
    echo "RecommendAllUsers did not plan version $V: $answer" >&2; exit 1; }
}
field() { jq -r ".ReturnValue.$1 // \"?\"" <<<"$2"; }

run_standalone() {
  local n=$1 round=$2 t0 answer seconds
  fresh_copy
  start_standalone "$RUN" "$OUT/logs/standalone-$n-$round.log" MOVIEREC_BOOTSTRAP=false MOVIEREC_SHARD_WORKERS="$n"
  wait_idle "$SERVER_PID"
  t0=$EPOCHREALTIME
  answer=$(curl -s -m 3600 -X POST -H 'Content-Type: application/json' -d '{}' "$SERVER_URL/RecommendAllUsers")
  planned "$answer"
  seconds=$(wait_published "$RUN" "$V" "$t0" "$SERVER_PID")
  stop_pid "$SERVER_PID"
  report standalone "$n" "$round" "$seconds" "$(field seconds "$answer")" "$(field shards "$answer")" \
    "$(field users "$answer")" "$(check_lists)"
}

# The queue, played with batchSize 1 per instance: the messages dealt round-robin (the shards
# are of equal size, but the last), each instance's in order over one keep-alive connection
# (one curl for them all: a process per message cost more than a shard of ml-latest-small).
# Prints "shard status" per delivery.
deliver() {
  local url=$1 dir=$2 total=$3 n=$4 i=$5 k cfg="$dir/consumer-$5.curl"
  : >"$cfg"
  for ((k = i; k < total; k += n)); do
    [ -s "$cfg" ] && echo next >>"$cfg"
    printf '%s\n' silent "max-time = 3600" "url = \"$url/RecommendShard\"" \
      "header = \"X-Azure-Functions-InvocationId: shard-$k-1\"" \
      "header = \"Content-Type: application/json; charset=utf-8\"" \
      "data-binary = \"@$dir/$k.json\"" "output = \"$dir/$k.answer\"" \
      "write-out = \"$k %{http_code}\\n\"" >>"$cfg"
  done
  [ -s "$cfg" ] && curl --config "$cfg" || true
}
# A failed delivery again, up to maxDequeueCount (5) in all.
redeliver() {
  local url=$1 dir=$2 k=$3 delivery code
  for delivery in 2 3 4 5; do
    echo "RecommendShard $k failed ($(head -c 300 "$dir/$k.answer" 2>/dev/null)); delivery $delivery" >&2
    sleep 0.5
    jq -c --arg d "$delivery" '.Metadata.DequeueCount = $d' "$dir/$k.json" >"$dir/$k.again"
    code=$(curl -s -m 3600 -o "$dir/$k.answer" -w '%{http_code}' -X POST \
      -H "X-Azure-Functions-InvocationId: shard-$k-$delivery" -H 'Content-Type: application/json; charset=utf-8' \
      --data-binary "@$dir/$k.again" "$url/RecommendShard" || echo 000)
    [ "$code" = 200 ] && return 0
  done
  echo "RecommendShard $k failed 5 times" >&2; exit 1
}

run_instances() {
  local n=$1 round=$2 i port t0 answer seconds shards dir
  local ports=()
  fresh_copy
  INSTANCE_PIDS=()
  for i in $(seq "$n"); do
    port=$(free_port); ports+=("$port")
    start_instance "$RUN" "$OUT/logs/instances-$n-$round-$i.log" "$port"
  done
  wait_idle "${INSTANCE_PIDS[@]}"
  dir="$OUT/queue"; rm -rf "$dir"; mkdir -p "$dir"
  local timer='{"Data":{"timer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":false}},
    "Metadata":{"sys":{"MethodName":"RecommendAllUsers","UtcNow":"'"$(date -u +%Y-%m-%dT%H:%M:%S)"'","RandGuid":"bench"}}}'
  t0=$EPOCHREALTIME
  answer=$(curl -s -m 3600 -X POST -H "X-Azure-Functions-InvocationId: plan-$round" \
    -H 'Content-Type: application/json; charset=utf-8' -d "$timer" "http://127.0.0.1:${ports[0]}/RecommendAllUsers")
  # one invocation per message, as the host delivers a queue message: Data.shard the message's JSON text
  shards=$(jq -c '.Outputs.shards // [] | to_entries[] | {Data: {shard: (.value | tojson)}, Metadata: {DequeueCount: "1", Id: "m-\(.key)"}}' \
    <<<"$answer" 2>/dev/null | awk -v d="$dir" '{ f = d "/" (NR - 1) ".json"; print > f; close(f) } END { print NR + 0 }')
  [ "$shards" -gt 0 ] || { echo "RecommendAllUsers sent no shards: $answer" >&2; exit 1; }
  local consumers=() k code
  for i in $(seq 0 $((n - 1))); do
    deliver "http://127.0.0.1:${ports[$i]}" "$dir" "$shards" "$n" "$i" >"$dir/consumer-$i.codes" &
    consumers+=($!); PIDS+=($!)
  done
  for i in "${consumers[@]}"; do wait "$i"; forget_pid "$i"; done
  while read -r k code; do
    [ "$code" = 200 ] || redeliver "http://127.0.0.1:${ports[$((k % n))]}" "$dir" "$k"
  done < <(cat "$dir"/consumer-*.codes)
  seconds=$(wait_published "$RUN" "$V" "$t0" "${INSTANCE_PIDS[@]}")
  planned "$answer"
  for i in "${INSTANCE_PIDS[@]}"; do stop_pid "$i"; done
  report instances "$n" "$round" "$seconds" "$(field seconds "$answer")" "$shards" "$(field users "$answer")" "$(check_lists)"
}

report() {  # one run: to the results file and as a line
  local variant=$1 n=$2 round=$3 seconds=$4 plan=$5 shards=$6 users=$7 lists=$8 note=
  [ "$lists" = "$users" ] || note="  (!) $lists lists published for the plan's $users users"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$variant" "$n" "$round" "$seconds" "$plan" "$shards" "$lists" >>"$RESULTS"
  awk -v r="$round" -v v="$variant" -v n="$n" -v s="$seconds" -v p="$plan" -v k="$shards" -v l="$lists" -v note="$note" \
    'BEGIN { printf "   round %s  %-10s N=%s  %8.3f s to the switch (coordinator %.3f s), %s shards, %s lists%s\n", r, v, n, s, p, k, l, note }'
}

for round in $(seq "$ROUNDS"); do
  for variant in $VARIANTS; do
    for n in $WORKERS; do
      case $variant in
        standalone) run_standalone "$n" "$round" ;;
        instances) run_instances "$n" "$round" ;;
        *) echo "unknown variant $variant" >&2; exit 2 ;;
      esac
    done
  done
done
rm -rf "$RUN" "$OUT/queue"

echo "== load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "recommend-for-all, POST /RecommendAllUsers to the switch: $USERS users, $RATINGS ratings, ranking rank $RANK," \
  "shards of $SHARD_USERS users; median of $ROUNDS (min–max); $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo
echo "| variant | N | seconds | plan (coordinator) s | speed-up against N=1 |"
echo "|---|---|---|---|---|"
awk -F'\t' -v variants="$VARIANTS" -v workers="$WORKERS" '
  function sorted(list, a,   n, i, j, x) {  # a[1..n] ascending (mawk has no asort)
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { x = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
    return n
  }
  function median(list,   a, n) { n = sorted(list, a); return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  function lo(list,   a) { sorted(list, a); return a[1] }
  function hi(list,   a, n) { n = sorted(list, a); return a[n] }
  NR > 1 { t[$1, $2] = t[$1, $2] " " $4; p[$1, $2] = p[$1, $2] " " $5 }
  END {
    nv = split(variants, V, " "); nw = split(workers, W, " ")
    for (i = 1; i <= nv; i++) {
      base = ((V[i], 1) in t) ? median(t[V[i], 1]) : 0
      for (j = 1; j <= nw; j++) {
        k = V[i] SUBSEP W[j]
        if (!(k in t)) continue
        m = median(t[k])
        printf "| %s | %s | %.2f (%.2f–%.2f) | %.2f | %s |\n", V[i], W[j], m, lo(t[k]), hi(t[k]), median(p[k]),
          base ? sprintf("%.2f×", base / m) : "n/a"
      }
    }
  }' "$RESULTS"
echo
echo "Each run: $RESULTS; server logs: $OUT/logs/"
