"""Prints the side-by-side table of bench/als_vs_spark.sh from its JSON outputs."""
import json
import os
import statistics
import sys

out = sys.argv[1]


def load(name):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


ours = load("movierec-ml1m.jsonl")
tuned = (load("movierec-ml1m-tuned.json") or [None])[0]
spark = (load("spark-ml1m.json") or [None])[0]

print("\n== MovieLens 1M, 90/10 split (seed 42), rank 10, 10 iterations, regParam 0.1; seeds 1,2,3")
print(f"{'':28}{'RMSE':>8}{'MAE':>8}{'train s':>10}{'rec-all s':>11}")
mean = statistics.mean
median = statistics.median
if ours:
    print(f"{'movierec':28}{mean(r['rmse'] for r in ours):8.4f}{mean(r['mae'] for r in ours):8.4f}"
          f"{median(r['train_seconds'] for r in ours):10.2f}{median(r['recommend_all_seconds'] for r in ours):11.3f}")
if spark:
    runs = spark["runs"]
    rec = [r["recommend_all_seconds"] for r in runs if "recommend_all_seconds" in r]
    print(f"{'Spark ' + spark['spark_version'] + ' local[*]':28}{mean(r['rmse'] for r in runs):8.4f}"
          f"{mean(r['mae'] for r in runs):8.4f}{median(r['train_seconds'] for r in runs):10.2f}"
          f"{(rec[0] if rec else float('nan')):11.3f}")
if ours and spark:
    runs = spark["runs"]
    print(f"speed-up: training {median(r['train_seconds'] for r in runs) / median(r['train_seconds'] for r in ours):.1f}x, "
          f"recommend-for-all {runs[0]['recommend_all_seconds'] / median(r['recommend_all_seconds'] for r in ours):.0f}x; "
          f"RMSE difference {mean(r['rmse'] for r in ours) - mean(r['rmse'] for r in runs):+.4f}")
if tuned:
    p = tuned["params"]
    print(f"{'movierec tuned (biases)':28}{tuned['rmse']:8.4f}{tuned['mae']:8.4f}{tuned['train_seconds']:10.2f}"
          f"{tuned['recommend_all_seconds']:11.3f}   rank {p['rank']}, reg {p['reg']:.3g}, "
          f"reg_exponent {p['reg_exponent']:.3g}, bias_reg {p['bias_reg']:.3g}, NDCG@10 {tuned['ndcg_at_k']:.4f}")

big = (load("movierec-synth25m.json") or [None])[0]
if big:
    print("\n== synthetic MovieLens-25M shape, rank 64, 10 iterations (movierec alone)")
    print(f"ratings {big['n_train']:,} train / {big['n_test']:,} test; users {big['n_users']:,}, items {big['n_items']:,}")
    print(f"train {big['train_seconds']:.1f} s, recommend top-10 for all users {big['recommend_all_seconds']:.1f} s, "
          f"peak memory {big['peak_rss_mib']:.0f} MiB, RMSE {big['rmse']:.4f}")
