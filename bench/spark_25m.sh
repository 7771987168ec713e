#!/usr/bin/env bash
# The synthetic MovieLens-25M shape through `movierec export ratings` and the Spark job
# (tools/spark/train_models.py), each step timed with its peak memory:
#   1. synth   `movierec synth` (ml25m shape, seed 42: 162,541 users, 59,047 items, 25,000,095
#              ratings) to WORKDIR/synth.csv;
#   2. fill    the store: `movierec export ratings` on an empty WORKDIR/store creates it (the app's
#              own schema), then the sqlite3 CLI imports the CSV into a temp table and inserts it
#              into `ratings` with the app's upsert (newest timestamp wins); the count must equal
#              the CSV's rows;
#   3. export  `MOVIEREC_STORE=WORKDIR/store movierec export ratings --out WORKDIR/export`
#              (wall seconds, peak RSS, Parquet bytes);
#   4. spark   train_models.py --master MASTER --no-coverage under nice -n 19, with a copy of the
#              exported params.json (ranking rank/iterations, rating rank/iterations set below,
#              ranking_tune false) and the driver's memory set through PYSPARK_SUBMIT_ARGS (local
#              mode runs everything in the driver; the job itself asks for 4g, the later
#              --driver-memory wins). Stopped (its process group) after --timeout minutes; the
#              Spark UI's job list is saved first, so the log shows how far it got.
# Memory: every step runs in its own session (setsid), polled every --poll seconds with ps: the
# session's summed RSS and its largest process (the JVM for the Spark job); where /usr/bin/time
# exists its maximum RSS (the largest process waited for) is printed too.
#
# Usage: bash bench/spark_25m.sh [WORKDIR] [--synth "SYNTH OPTIONS"] [--master 'local[2]']
#          [--driver-memory 12g] [--ranking-rank 64] [--ranking-iterations 10] [--rating-rank 32]
#          [--rating-iterations 10] [--timeout MINUTES] [--poll S]
#   WORKDIR       where synth.csv, store/, export/, params.json, models/ and the logs go (default
#                 bench/out/spark-25m); those are replaced on every run, nothing else is touched
#   --synth "..." other `movierec synth` options, e.g. --synth "--shape small" for a quick check
#   --timeout     minutes the Spark job may run before it is stopped (default 75; 0.5 is 30 s)
#   MOVIEREC_BIN  the binary to use (default: cargo build --release, target/release/movierec);
#   MOVIEREC_PYSPARK_PYTHON  python with pyspark and numpy (default .venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
COMMAND="bash bench/spark_25m.sh$(printf " %q" "$@")"
PY=${MOVIEREC_PYSPARK_PYTHON:-.venv/bin/python}
WORK=bench/out/spark-25m SYNTH= MASTER='local[2]' DRIVER_MEMORY=12g
RANKING_RANK=64 RANKING_ITERATIONS=10 RATING_RANK=32 RATING_ITERATIONS=10 TIMEOUT=75 POLL=2
while [ $# -gt 0 ]; do
  case $1 in
    --synth) SYNTH=$2; shift ;;
    --master) MASTER=$2; shift ;;
    --driver-memory) DRIVER_MEMORY=$2; shift ;;
    --ranking-rank) RANKING_RANK=$2; shift ;;
    --ranking-iterations) RANKING_ITERATIONS=$2; shift ;;
    --rating-rank) RATING_RANK=$2; shift ;;
    --rating-iterations) RATING_ITERATIONS=$2; shift ;;
    --timeout) TIMEOUT=$2; shift ;;
    --poll) POLL=$2; shift ;;
    -*) echo "unknown argument $1" >&2; exit 2 ;;
    *) WORK=$1 ;;
  esac
  shift
done
for tool in sqlite3 jq curl setsid; do
  command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 1; }
done
if [ -z "${MOVIEREC_BIN:-}" ]; then cargo build --release -q -p movierec; fi
B=$(realpath "${MOVIEREC_BIN:-target/release/movierec}")
[ -x "$B" ] || { echo "no movierec binary at $B" >&2; exit 1; }
PY=$(realpath -s "$PY")  # -s: a venv's python is a symlink to the base one
[ -x "$PY" ] || { echo "no python at $PY (MOVIEREC_PYSPARK_PYTHON)" >&2; exit 1; }
JOB="$ROOT/tools/spark/train_models.py"
mkdir -p "$WORK"
WORK=$(realpath "$WORK")
LOGS="$WORK/logs"
rm -rf "$WORK/synth.csv" "$WORK/store" "$WORK/empty-export" "$WORK/export" "$WORK/params.json" \
  "$WORK/models" "$LOGS"
mkdir -p "$LOGS"
TIME=; [ -x /usr/bin/time ] && TIME=/usr/bin/time

# ---- processes: the running step's session, stopped on exit
STEP_PID=
stop_session() {  # SIGTERM to the session's process group, SIGKILL after 30 s
  local pid=$1 i
  kill -TERM -- "-$pid" 2>/dev/null || return 0
  for i in $(seq 300); do  # until only zombies are left (they wait for this shell's wait)
    ps -s "$pid" -o stat= 2>/dev/null | grep -qv '^Z' || break
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
}
cleanup() { [ -z "$STEP_PID" ] || stop_session "$STEP_PID"; }
trap cleanup EXIT

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

# measure NAME TIMEOUT_S CMD...: runs CMD in its own session (stdout NAME.out, stderr NAME.err in
# $LOGS), polls its memory into NAME.mem (elapsed s, session RSS KiB, largest process RSS KiB, its
# command, the newest Spark stage in NAME.err); stops it after TIMEOUT_S (0: never). Sets
# M_RC (124 when stopped), M_WALL (s), M_TREE and M_LARGEST (peak KiB), M_TIME (KiB, /usr/bin/time),
# M_XMX (the -Xmx of a JVM in the session, if any).
measure() {
  local name=$1 limit=$2 t0 now next rss largest stage line stopped=; shift 2
  local out="$LOGS/$name.out" err="$LOGS/$name.err" mem="$LOGS/$name.mem" tv="$LOGS/$name.time"
  printf 'elapsed_s\tsession_rss_kib\tlargest_rss_kib\tlargest\tstage\n' >"$mem"
  t0=$EPOCHREALTIME
  if [ -n "$TIME" ]; then
    setsid "$TIME" -v -o "$tv" "$@" >"$out" 2>"$err" &
  else
    setsid "$@" >"$out" 2>"$err" &
  fi
  STEP_PID=$!
  M_RC=0 M_TREE=0 M_LARGEST=0 M_TIME= M_XMX=
  while kill -0 "$STEP_PID" 2>/dev/null; do
    # the session's processes (setsid: session id = the step's pid), but /usr/bin/time itself
    line=$(ps -s "$STEP_PID" -o rss=,comm= 2>/dev/null | awk '$2 != "time" { s += $1; if ($1 > m) { m = $1; c = $2 } }
      END { printf "%d\t%d\t%s", s, m, c }') || true
    [ -n "$M_XMX" ] || M_XMX=$(ps -s "$STEP_PID" -o args= 2>/dev/null | grep -o -- '-Xmx[^ ]*' | head -1 || true)
    rss=${line%%$'\t'*}
    largest=$(cut -f2 <<<"$line")
    stage=$(tail -c 2000 "$err" 2>/dev/null | tr '\r' '\n' | grep -a '\[Stage' | tail -1 | tr -d '\t' || true)
    now=$EPOCHREALTIME
    printf '%s\t%s\t%s\n' "$(secs "$t0" "$now")" "$line" "$stage" >>"$mem"
    [ "${rss:-0}" -gt "$M_TREE" ] && M_TREE=$rss
    [ "${largest:-0}" -gt "$M_LARGEST" ] && M_LARGEST=$largest
    if [ "$limit" -gt 0 ] && awk -v a="$t0" -v b="$now" -v l="$limit" 'BEGIN { exit !(b - a > l) }'; then
      echo "   $name: still running after $limit s: stopping it" >&2
      [ -n "${ON_TIMEOUT:-}" ] && "$ON_TIMEOUT"
      stop_session "$STEP_PID"
      M_RC=124 stopped=$(secs "$t0" "$now")
      break
    fi
    next=$(awk -v a="$now" -v p="$POLL" 'BEGIN { printf "%.3f", a + p }')
    while kill -0 "$STEP_PID" 2>/dev/null && awk -v a="$EPOCHREALTIME" -v b="$next" 'BEGIN { exit !(a < b) }'; do
      sleep 0.1  # the exit is seen within 0.1 s, the memory sampled every POLL s
    done
  done
  wait "$STEP_PID" || { [ "$M_RC" = 124 ] || M_RC=$?; }
  STEP_PID=
  M_WALL=${stopped:-$(secs "$t0" "$EPOCHREALTIME")}  # a stopped step: the seconds until it was stopped
  [ -f "$tv" ] && M_TIME=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tv")
  return 0
}
# One line per step: wall, peaks; fails the script when the step failed (but a stopped Spark job).
report() {
  local name=$1
  printf '   %-7s %8s s wall, peak RSS: session %s MiB, largest process %s MiB%s (exit %s)\n' "$name" "$M_WALL" \
    "$(mib "$M_TREE")" "$(mib "$M_LARGEST")" "${M_TIME:+, /usr/bin/time $(mib "$M_TIME") MiB}" "$M_RC"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$M_WALL" "$M_TREE" "$M_LARGEST" "${M_TIME:-}" "$M_RC" >>"$WORK/results.tsv"
  if [ "$M_RC" != 0 ] && [ "$M_RC" != 124 ]; then
    echo "$name failed (exit $M_RC); its output:" >&2; tail -n 30 "$LOGS/$name.err" "$LOGS/$name.out" >&2; exit 1
  fi
}

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "== command: $COMMAND"
echo "== binary: $B ($(date -r "$B" '+%Y-%m-%d %H:%M')); python: $PY (pyspark $("$PY" -c 'import pyspark; print(pyspark.__version__)'))"
echo "== work: $WORK; disk free: $(df -h "$WORK" | awk 'NR == 2 { print $4 }')"
echo "== load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'step\twall_s\tsession_rss_kib\tlargest_rss_kib\ttime_maxrss_kib\texit\n' >"$WORK/results.tsv"

# ---- 1. synth
# shellcheck disable=SC2086
measure synth 0 "$B" synth $SYNTH --out "$WORK/synth.csv"
report synth
ROWS=$(($(wc -l <"$WORK/synth.csv") - 1))
echo "           $(cat "$LOGS/synth.out")"

# ---- 2. the store: created by the app, filled by sqlite3
MOVIEREC_STORE="$WORK/store" "$B" export ratings --out "$WORK/empty-export" >/dev/null
DB="$WORK/store/movierec.db"
[ -f "$DB" ] || { echo "the app made no $DB" >&2; exit 1; }
# The app's UPSERT_RATING (handlers/store/src/sqlite/ratings.rs) from a temp table, in key order;
# WHERE true: the ON CONFLICT of an INSERT ... SELECT needs it. The app opens the store in WAL
# mode; the fill runs with a rollback journal and gives WAL back at the end.
cat >"$WORK/fill.sql" <<EOF
PRAGMA journal_mode = DELETE;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -1048576;
CREATE TEMP TABLE staging (user_id INTEGER, movie_id INTEGER, rating REAL, ts INTEGER);
.import --csv --skip 1 --schema temp "$WORK/synth.csv" staging
BEGIN;
INSERT INTO ratings (user_id, movie_id, rating, ts)
  SELECT user_id, movie_id, rating, ts FROM temp.staging WHERE true ORDER BY user_id, movie_id
  ON CONFLICT (user_id, movie_id) DO UPDATE SET rating = excluded.rating, ts = excluded.ts
  WHERE excluded.ts > ratings.ts;
COMMIT;
DROP TABLE temp.staging;
PRAGMA journal_mode = WAL;
EOF
measure fill 0 sqlite3 -bail "$DB" ".read $WORK/fill.sql"
report fill
STORED=$(sqlite3 "$DB" "SELECT COUNT(*) FROM ratings")
echo "           $STORED ratings stored ($ROWS rows in synth.csv), database $(stat -c %s "$DB") bytes"
[ "$STORED" = "$ROWS" ] || { echo "the store holds $STORED ratings, synth.csv $ROWS rows" >&2; exit 1; }

# ---- 3. export
measure export 0 env MOVIEREC_STORE="$WORK/store" "$B" export ratings --out "$WORK/export"
report export
PARQUET=$(du -sb "$WORK/export/ratings" | cut -f1)
echo "           $(cat "$LOGS/export.out"); ratings Parquet $PARQUET bytes ($(ls "$WORK/export/ratings" | wc -l) files)"

# ---- 4. the Spark job
jq --argjson rr "$RANKING_RANK" --argjson ri "$RANKING_ITERATIONS" --argjson tr "$RATING_RANK" \
  --argjson ti "$RATING_ITERATIONS" \
  '.ranking.rank = $rr | .ranking.iterations = $ri | .rating.rank = $tr | .rating.iterations = $ti | .ranking_tune = false' \
  "$WORK/export/params.json" >"$WORK/params.json"
UI_PORT=$((20000 + RANDOM % 20000))
echo "== spark: $MASTER, driver memory $DRIVER_MEMORY, UI port $UI_PORT, timeout $TIMEOUT min; params:" \
  "$(jq -c '{ranking: (.ranking | {rank, iterations, reg, alpha}), rating: (.rating | {rank, iterations, reg}), ranking_tune, holdout_fraction, k, relevant}' "$WORK/params.json")"
save_spark_jobs() {  # how far a stopped job got, from its UI
  curl -s -m 10 "http://127.0.0.1:$UI_PORT/api/v1/applications" >"$LOGS/spark-apps.json" || true
  local app; app=$(jq -r '.[0].id // empty' "$LOGS/spark-apps.json" 2>/dev/null || true)
  [ -z "$app" ] || curl -s -m 10 "http://127.0.0.1:$UI_PORT/api/v1/applications/$app/jobs" >"$LOGS/spark-jobs.json" || true
}
ON_TIMEOUT=save_spark_jobs
measure spark "$(awk -v m="$TIMEOUT" 'BEGIN { printf "%d", m * 60 }')" env PYSPARK_SUBMIT_ARGS="--driver-memory $DRIVER_MEMORY --conf spark.ui.port=$UI_PORT pyspark-shell" \
  nice -n 19 "$PY" "$JOB" --input "$WORK/export" --output "$WORK/models" --params "$WORK/params.json" \
  --master "$MASTER" --no-coverage
report spark
echo "           the JVM ran with ${M_XMX:-no -Xmx seen}"
RESULT=$(grep '^{' "$LOGS/spark.out" | tail -1 || true)
if [ -n "$RESULT" ]; then
  printf '%s\n' "$RESULT" >"$WORK/spark-result.json"
  echo "           seconds per phase: $(jq -c '.seconds | map_values(. * 10 | round / 10)' <<<"$RESULT")"
  echo "           metrics: $(jq -c '.metrics | {ndcg_at_k, precision_at_k, recall_at_k, map_at_k, rmse, mae,
    popular_ndcg: .popular.ndcg_at_k, n_ratings, n_train, n_holdout, n_list_users, trainer}' <<<"$RESULT")"
  echo "           spark params: $(jq -c '.metrics.spark_params | {ranking: (.ranking | {rank, maxIter, regParam}), rating: (.rating | {rank, maxIter, regParam})}' <<<"$RESULT")"
else
  echo "           no result line; the newest stage: $(tail -1 "$LOGS/spark.mem" | cut -f5)"
  [ -s "$LOGS/spark-jobs.json" ] && echo "           Spark jobs done/running: $(jq -r '[.[] | .status] | group_by(.) | map("\(.[0]) \(length)") | join(", ")' "$LOGS/spark-jobs.json")" \
    "(the list: $LOGS/spark-jobs.json); running:" \
    "$(jq -r '[.[] | select(.status == "RUNNING") | "job \(.jobId) \(.name) since \(.submissionTime)"] | join("; ")' "$LOGS/spark-jobs.json")"
fi
echo "== load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "Steps: $WORK/results.tsv; logs and memory samples: $LOGS/ (NAME.err, NAME.mem); result: $WORK/spark-result.json"
