#!/usr/bin/env bash
# List quality and ranking-model training speed against the peers, one invocation.
#
# For ml-100k and ml-1m (../shared), one seeded 90/10 split by `movierec split`:
#   1. quality of the lists as served (rated movies left out; relevant = held-out
#      ratings >= 4; k = 10): movierec's ranking model as RetrainModel trains it
#      (defaults, regularisation chosen on a validation split of the training
#      part), EASE (lambda 500, and tuned), benfred/implicit ALS and LensKit
#      ImplicitMF (each tuned on a validation split cut from the training part,
#      see bench/peers.py), and most-popular;
#   2. training seconds at equal settings (64 factors, 15 iterations, 2 threads):
#      movierec, implicit and LensKit alternate, ROUNDS rounds, medians;
#   3. ml-1m only: strong generalisation (Liang et al. 2018): 10% of users held
#      out, folded in on 80% of their ratings, ranked on the other 20%
#      (Recall@20, NDCG@100); the split is written once by peers.py and read by all;
#      each peer with the parameters its tuning chose on ml-1m in step 1.
# Usage: bash bench/quality.sh [ROUNDS]   (default 5)
# Needs .venv-bench (see bench/peers.py for how to create it) or MOVIEREC_PEERS_PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${MOVIEREC_SHARED_DATA:-../shared/data/movielens}
OUT=bench/out/quality
PY=${MOVIEREC_PEERS_PYTHON:-.venv-bench/bin/python}
ROUNDS=${1:-5}
mkdir -p "$OUT"
cargo build --release -q -p movierec
B=target/release/movierec
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB" | tee "$OUT/machine.txt"
"$PY" -c "import implicit, lenskit, numpy; print('implicit', implicit.__version__, 'lenskit', lenskit.__version__, 'numpy', numpy.__version__)" | tee -a "$OUT/machine.txt"

peer() { "$PY" bench/peers.py "$@" --json 2>>"$OUT/peers.log"; }

for ds in ml-100k ml-1m; do
  case $ds in
    ml-100k) RAW="$SHARED/ml-100k/u.data" ;;
    ml-1m) RAW="$SHARED/ml-1m/derived/ratings_user_movie_rating.csv" ;;
  esac
  [ -f "$RAW" ] || { echo "missing $RAW: the shared MovieLens data must sit beside the project" >&2; exit 1; }
  TRAIN="$OUT/$ds-train.csv" TEST="$OUT/$ds-test.csv"
  $B split --ratings "$RAW" --train-out "$TRAIN" --test-out "$TEST" --test-fraction 0.1 --seed 42
  Q="$OUT/$ds-peers.jsonl"
  : > "$Q"
  echo "== $ds: quality"
  # What RetrainModel does: the regularisation chosen on a validation split of the training part.
  $B evaluate --train "$TRAIN" --test "$TEST" --ranking --tune-reg --json > "$OUT/$ds-movierec.json"
  $B evaluate --train "$TRAIN" --test "$TEST" --ranking --tune-reg --rank 64 --json > "$OUT/$ds-movierec-64.json"
  peer weak --train "$TRAIN" --test "$TEST" --model popular >> "$Q"
  peer weak --train "$TRAIN" --test "$TEST" --model ease --lam 500 >> "$Q"
  peer weak --train "$TRAIN" --test "$TEST" --model ease --tune >> "$Q"
  peer weak --train "$TRAIN" --test "$TEST" --model implicit --tune >> "$Q"
  peer weak --train "$TRAIN" --test "$TEST" --model lenskit --tune >> "$Q"

  echo "== $ds: training seconds, 64 factors, 15 iterations, $ROUNDS alternating rounds"
  S="$OUT/$ds-speed-peers.jsonl"
  : > "$S"
  : > "$OUT/$ds-speed-movierec.jsonl"
  for round in $(seq "$ROUNDS"); do
    $B evaluate --train "$TRAIN" --test "$TEST" --ranking --rank 64 --iterations 15 --json >> "$OUT/$ds-speed-movierec.jsonl"
    peer weak --train "$TRAIN" --test "$TEST" --model implicit --factors 64 --iterations 15 >> "$S"
    peer weak --train "$TRAIN" --test "$TEST" --model lenskit --factors 64 --iterations 15 >> "$S"
  done
done

echo "== ml-1m: strong generalisation"
SPLIT="$OUT/ml-1m-strong"
G="$OUT/ml-1m-strong.jsonl"
: > "$G"
peer strong --ratings "$SHARED/ml-1m/derived/ratings_user_movie_rating.csv" --seed 42 --write-split "$SPLIT" --model popular >> "$G"
$B evaluate --train "$SPLIT/train.csv" --foldin "$SPLIT/foldin.csv" --test "$SPLIT/target.csv" --ranking --tune-reg --json > "$OUT/ml-1m-strong-movierec.json"
for m in ease implicit lenskit; do
  # the parameters this peer's tuning chose on ml-1m (weak), as command-line options
  mapfile -t tuned < <(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["model"] == sys.argv[2] and "tuned" in r["params"]:
        for k, v in r["params"]["tuned"]["chosen"].items():
            print(f"--{k}"); print(v)
        break' "$OUT/ml-1m-peers.jsonl" "$m")
  peer strong --split "$SPLIT" --model "$m" "${tuned[@]}" >> "$G"
done

python3 bench/quality_report.py "$OUT"
