#!/usr/bin/env bash
# Explicit (rating-prediction) ALS against its peers, one invocation. MovieLens 1M (../shared),
# one seeded 90/10 split by `movierec split` (bench/out/explicit/, reused if present):
#   A. movierec --biases vs LensKit BiasedMF (its defaults: reg 0.1, damping 5) at ranks
#      16 32 64 128 256, 15 epochs, 2 threads; per rank ROUNDS rounds of fresh processes,
#      movierec, lenskit, movierec, lenskit, ...: fit seconds, RMSE, MAE, peak memory;
#   B. movierec plain ALS vs Spark ALS (tools/spark_peer.py bench, local[2], seed 1, no
#      recommendForAllUsers), ranks 32 64 128, 15 iterations, reg 0.1, ROUNDS alternating rounds;
#   C. (not with --skip-25m) the synthetic MovieLens-25M shape of bench/als_vs_spark.sh, split
#      99/1: movierec at rank 64, 10 iterations, reg 0.05, with recommend-for-all, under
#      /usr/bin/time -v; then LensKit BiasedMF at rank 64, 10 epochs, under a 20 GiB
#      address-space limit ("did not fit" if it runs out). One run each.
# Then prints the Markdown tables of medians (bench/explicit_peers.py report).
# Usage: bash bench/explicit.sh [ROUNDS] [--skip-25m] [--ranks "16 32 64 128 256"]
#          [--spark-ranks "32 64 128"] [--epochs N]     (ROUNDS default 3)
#   --epochs N replaces 15 (A, B) and 10 (C): for smoke tests only.
#   MOVIEREC_BIN: the binary to use (default: cargo build --release, target/release/movierec).
#   EXPLICIT_25M_TRAIN / EXPLICIT_25M_TEST: other files for C (smoke tests);
#   EXPLICIT_25M_MEM_GIB: LensKit's address-space limit in C (default 20).
# Needs .venv-bench (see bench/explicit_peers.py) or MOVIEREC_PEERS_PYTHON, and .venv with
# pyspark or MOVIEREC_PYSPARK_PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${MOVIEREC_SHARED_DATA:-../shared/data/movielens}
OUT=bench/out/explicit
PY=${MOVIEREC_PEERS_PYTHON:-.venv-bench/bin/python}
SPARK_PY=${MOVIEREC_PYSPARK_PYTHON:-.venv/bin/python}
ROUNDS=3 SKIP_25M= RANKS="16 32 64 128 256" SPARK_RANKS="32 64 128" EPOCHS=
while [ $# -gt 0 ]; do
  case $1 in
    --skip-25m) SKIP_25M=1 ;;
    --ranks) RANKS=$2; shift ;;
    --spark-ranks) SPARK_RANKS=$2; shift ;;
    --epochs) EPOCHS=$2; shift ;;
    [0-9]*) ROUNDS=$1 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "${MOVIEREC_BIN:-}" ]; then cargo build --release -q -p movierec; fi
B=${MOVIEREC_BIN:-target/release/movierec}
export RAYON_NUM_THREADS=2 PEERS_THREADS=2
mkdir -p "$OUT"
ML1M="$SHARED/ml-1m/derived/ratings_user_movie_rating.csv"
[ -f "$ML1M" ] || { echo "missing $ML1M: the shared MovieLens data must sit beside the project" >&2; exit 1; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB" | tee "$OUT/machine.txt"
"$PY" -c "import lenskit, numpy; print('lenskit', lenskit.__version__, 'numpy', numpy.__version__)" | tee -a "$OUT/machine.txt"
"$SPARK_PY" -c "import pyspark; print('pyspark', pyspark.__version__)" | tee -a "$OUT/machine.txt"

: > "$OUT/peers.log"; : > "$OUT/spark.log"
TRAIN="$OUT/ml1m-train.csv" TEST="$OUT/ml1m-test.csv"
[ -f "$TRAIN" ] && [ -f "$TEST" ] || $B split --ratings "$ML1M" --train-out "$TRAIN" --test-out "$TEST" --test-fraction 0.1 --seed 42
lenskit() { "$PY" bench/explicit_peers.py lenskit "$@" 2>>"$OUT/peers.log"; }

IT=${EPOCHS:-15}
echo "== A: movierec --biases vs LensKit BiasedMF, ranks $RANKS, $IT epochs, $ROUNDS alternating rounds"
: > "$OUT/a-movierec.jsonl"; : > "$OUT/a-lenskit.jsonl"
for rank in $RANKS; do
  for round in $(seq "$ROUNDS"); do
    $B evaluate --train "$TRAIN" --test "$TEST" --biases --rank "$rank" --iterations "$IT" --json >> "$OUT/a-movierec.jsonl"
    lenskit --train "$TRAIN" --test "$TEST" --features "$rank" --epochs "$IT" >> "$OUT/a-lenskit.jsonl"
  done
done

echo "== B: movierec vs Spark ALS, ranks $SPARK_RANKS, $IT iterations, reg 0.1, $ROUNDS alternating rounds"
: > "$OUT/b-movierec.jsonl"; : > "$OUT/b-spark.jsonl"
for rank in $SPARK_RANKS; do
  for round in $(seq "$ROUNDS"); do
    $B evaluate --train "$TRAIN" --test "$TEST" --rank "$rank" --iterations "$IT" --reg 0.1 --json >> "$OUT/b-movierec.jsonl"
    "$SPARK_PY" tools/spark_peer.py bench --train "$TRAIN" --test "$TEST" --rank "$rank" --iterations "$IT" --reg 0.1 \
      --seeds 1 --threads 2 --no-recommend 2>>"$OUT/spark.log" >> "$OUT/b-spark.jsonl"
  done
done

if [ -z "$SKIP_25M" ]; then
  rm -f "$OUT/c-movierec.json" "$OUT/c-movierec-time.txt" "$OUT/c-lenskit.json"
  C_TRAIN=${EXPLICIT_25M_TRAIN:-bench/out/synth25m-train.csv} C_TEST=${EXPLICIT_25M_TEST:-bench/out/synth25m-test.csv}
  [ -f "$C_TRAIN" ] || {
    $B synth --shape ml25m --seed 42 --out bench/out/synth25m.csv
    $B split --ratings bench/out/synth25m.csv --train-out "$C_TRAIN" --test-out "$C_TEST" --test-fraction 0.01 --seed 42
    rm -f bench/out/synth25m.csv
  }
  IT=${EPOCHS:-10}
  echo "== C: $C_TRAIN, rank 64, $IT iterations: movierec, then LensKit"
  /usr/bin/time -v -o "$OUT/c-movierec-time.txt" $B evaluate --train "$C_TRAIN" --test "$C_TEST" --rank 64 \
    --iterations "$IT" --reg 0.05 --recommend-all --json > "$OUT/c-movierec.json"
  rc=0
  lenskit --train "$C_TRAIN" --test "$C_TEST" --features 64 --epochs "$IT" --mem-limit-gib "${EXPLICIT_25M_MEM_GIB:-20}" > "$OUT/c-lenskit.json" || rc=$?
  if [ "$rc" != 0 ] && ! grep -q '"fit": false' "$OUT/c-lenskit.json"; then
    # killed or aborted (a failed allocation in LensKit's Rust code aborts instead of raising)
    echo "{\"peer\": \"lenskit\", \"features\": 64, \"epochs\": $IT, \"fit\": false, \"error\": \"exit status $rc, see peers.log\"}" > "$OUT/c-lenskit.json"
  fi
fi

"$PY" bench/explicit_peers.py report "$OUT" | tee "$OUT/report.md"
