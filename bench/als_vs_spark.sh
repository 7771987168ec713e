#!/usr/bin/env bash
# ALS benchmark, one invocation:
#   1. MovieLens 1M (../shared), one seeded 90/10 split: movierec and Spark ALS
#      (local[*], same rank / iterations / regParam, seeds 1,2,3) side by side:
#      RMSE, MAE, training seconds, recommend-for-all seconds; plus movierec's
#      tuned biased model.
#   2. Synthetic ratings shaped like MovieLens 25M (162,541 users, 59,047 items,
#      25,000,095 ratings) for movierec alone at rank 64: training seconds,
#      recommend-for-all seconds, peak memory.
# Usage: bash bench/als_vs_spark.sh [--skip-25m]
# Needs .venv with pyspark (bash .ci/run creates it) or MOVIEREC_PYSPARK_PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${MOVIEREC_SHARED_DATA:-../shared/data/movielens}
OUT=bench/out
PY=${MOVIEREC_PYSPARK_PYTHON:-.venv/bin/python}
mkdir -p "$OUT"
cargo build --release -q -p movierec
B=target/release/movierec
ML1M="$SHARED/ml-1m/derived/ratings_user_movie_rating.csv"
[ -f "$ML1M" ] || { echo "missing $ML1M: the shared MovieLens data must sit beside the project" >&2; exit 1; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
$B split --ratings "$ML1M" --train-out "$OUT/ml1m-train.csv" --test-out "$OUT/ml1m-test.csv" --test-fraction 0.1 --seed 42
SPARK_PARAMS=(--rank 10 --iterations 10 --reg 0.1)
for seed in 1 2 3; do
  $B evaluate --train "$OUT/ml1m-train.csv" --test "$OUT/ml1m-test.csv" "${SPARK_PARAMS[@]}" --seed "$seed" --recommend-all --json
done > "$OUT/movierec-ml1m.jsonl"
$B evaluate --train "$OUT/ml1m-train.csv" --test "$OUT/ml1m-test.csv" --biases --recommend-all --json > "$OUT/movierec-ml1m-tuned.json"
"$PY" tools/spark_peer.py bench --train "$OUT/ml1m-train.csv" --test "$OUT/ml1m-test.csv" "${SPARK_PARAMS[@]}" --seeds 1,2,3 \
  2> "$OUT/spark-ml1m.log" > "$OUT/spark-ml1m.json"

if [ "${1:-}" != "--skip-25m" ]; then
  [ -f "$OUT/synth25m-train.csv" ] || {
    $B synth --shape ml25m --seed 42 --out "$OUT/synth25m.csv"
    $B split --ratings "$OUT/synth25m.csv" --train-out "$OUT/synth25m-train.csv" --test-out "$OUT/synth25m-test.csv" --test-fraction 0.01 --seed 42
    rm -f "$OUT/synth25m.csv"
  }
  $B evaluate --train "$OUT/synth25m-train.csv" --test "$OUT/synth25m-test.csv" --rank 64 --iterations 10 --reg 0.05 \
    --recommend-all --json > "$OUT/movierec-synth25m.json"
fi
python3 bench/report.py "$OUT"
