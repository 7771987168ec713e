"""Explicit (rating-prediction) peers for movierec: LensKit BiasedMF, and the report of
bench/explicit.sh.

Setup: python3 -m venv .venv-bench && .venv-bench/bin/pip install -r bench/requirements-peers.txt

Commands:
  explicit_peers.py lenskit --train TRAIN.csv --test TEST.csv --features R --epochs N
                    [--seed 42] [--mem-limit-gib G]   one fit, one JSON object on stdout
  explicit_peers.py report DIR                        Markdown tables of bench/explicit.sh's
                                                      JSON lines in DIR (plain python3 is enough)

Input: movierec split's CSVs (header user,item,rating[,timestamp]).

lenskit: lenskit.als.BiasedMFScorer(features=R, epochs=N), every other option LensKit's
default (recorded in the JSON's "params"): regularization 0.1 for users and items, scaled by
the row's rating count (reg * n on the diagonal, as Spark's ALS-WR); damping 5.0 for the bias
model. The biases are not learned by ALS: before the epochs LensKit computes the global mean,
item biases sum(r - mean) / (n_i + 5), then user biases sum(r - mean - b_i) / (n_u + 5), and
factorises the residuals; float32, Cholesky per row (Rust/rayon). Before fitting:
lenskit.parallel.initialize(processes=1, threads=2, backend_threads=2), as bench/peers.py.
  train_seconds: wall time of scorer.train(dataset) only (bias model, matrix preparation and
  the epochs); CSV reading and Dataset building excluded.
  Predictions for the TEST pairs whose user and item are both in TRAIN (the others are dropped
  and counted in n_dropped), vectorised: global + b_i + b_u + p_u . q_i, which is what the
  scorer's __call__ computes for RecQuery(user_id=u) (user embedding from training, no history
  re-fit); "check_max_abs_diff" compares the two on the first 20 test users. No clipping.
  peak_rss_mib: ru_maxrss of the whole process (importing torch + lenskit alone is ~0.6 GiB:
  rss_mib_after_import); peak_rss_mib_before_fit is the peak after loading and Dataset building.
  --mem-limit-gib sets RLIMIT_AS (for the 25M run); a MemoryError is reported as
  {"fit": false, "error": ...} and exit status 3.
"""
import os

THREADS = os.environ.get("PEERS_THREADS", "2")
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "LK_NUM_THREADS", "LK_NUM_BACKEND_THREADS"):
    os.environ.setdefault(_var, THREADS)
os.environ["LK_NUM_PROCS"] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402


def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def read(path):
    import numpy as np
    import pandas as pd
    return pd.read_csv(path, usecols=["user", "item", "rating"],
                       dtype={"user": np.int32, "item": np.int32, "rating": np.float32})


def run_lenskit(a):
    if a.mem_limit_gib:
        limit = int(a.mem_limit_gib * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    out = {"peer": "lenskit", "features": a.features, "epochs": a.epochs, "threads": int(THREADS)}
    try:
        import numpy as np
        import lenskit
        import lenskit.parallel
        from lenskit.als import BiasedMFScorer
        from lenskit.data import ItemList, RecQuery, from_interactions_df
        from lenskit.training import TrainingOptions
        lenskit.parallel.initialize(processes=1, threads=int(THREADS), backend_threads=int(THREADS))
        out.update(lenskit_version=lenskit.__version__, rss_mib_after_import=peak_mib())

        train, test = read(a.train), read(a.test)
        data = from_interactions_df(train, user_col="user", item_col="item", rating_col="rating")
        out.update(n_train=len(train), n_test=len(test), n_users=data.user_count, n_items=data.item_count,
                   peak_rss_mib_before_fit=peak_mib())
        del train

        scorer = BiasedMFScorer(features=a.features, epochs=a.epochs)
        out["params"] = scorer.config.model_dump(mode="json")
        t0 = time.perf_counter()
        scorer.train(data, TrainingOptions(rng=a.seed))
        out["train_seconds"] = time.perf_counter() - t0
    except MemoryError as e:
        out.update(fit=False, error=f"MemoryError {e}", peak_rss_mib=peak_mib())
        print(json.dumps(out), flush=True)
        sys.exit(3)

    u = scorer.users.numbers(test.user.values, missing="negative")
    i = scorer.items.numbers(test.item.values, missing="negative")
    keep = (u >= 0) & (i >= 0)
    u, i, r = u[keep], i[keep], test.rating.values[keep].astype(np.float64)
    bias = scorer.bias
    pred = (bias.global_bias + bias.item_biases[i] + bias.user_biases[u]
            + np.einsum("nk,nk->n", scorer.user_embeddings[u], scorer.item_embeddings[i])).astype(np.float64)
    err = pred - r
    out.update(fit=True, rmse=float(np.sqrt(np.mean(err**2))), mae=float(np.mean(np.abs(err))),
               n_test_scored=int(keep.sum()), n_dropped=int((~keep).sum()))

    # the same predictions through LensKit's own scoring call, for a few users
    seen, diff = test[keep].assign(pred=pred), 0.0
    seen = seen[seen.user.isin(seen.user.unique()[:20])]
    for uid, rows in seen.groupby("user", sort=False):
        s = scorer(RecQuery(user_id=uid), ItemList(item_ids=rows.item.values)).scores()
        diff = max(diff, float(np.max(np.abs(s - rows.pred.values))))
    out["check_max_abs_diff"] = diff
    out["peak_rss_mib"] = peak_mib()
    print(json.dumps(out), flush=True)


# ---------------------------------------------------------------- report

def lines(d, name):
    path = os.path.join(d, name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def runs(d, name, peer):
    """(peer, rank) -> list of runs in one shape: train_seconds, rmse, mae, peak_rss_mib."""
    out = {}
    for r in lines(d, name):
        if peer == "spark":
            for run in r["runs"]:
                out.setdefault(r["rank"], []).append({**run, "version": r["spark_version"]})
        elif r.get("fit", True):
            out.setdefault(r["params"]["rank"] if peer == "movierec" else r["features"], []).append(r)
    return out


def med(rs, key):
    vals = [r[key] for r in rs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def fmt(v, digits):
    return "" if v is None else f"{v:,.{digits}f}"


def table(title, peers, base="movierec"):
    """peers: [(label, name, {rank: runs})]; ratios against the first peer."""
    if not any(by for _, _, by in peers):
        return
    print(f"\n### {title}\n")
    print("| rank | trainer | train s, median (min–max) | RMSE | MAE | peak MiB | × movierec time | runs |")
    print("|---|---|---|---|---|---|---|---|")
    ranks = sorted({k for _, _, by in peers for k in by})
    for rank in ranks:
        ours = med(peers[0][2].get(rank, []), "train_seconds")
        for label, _, by in peers:
            rs = by.get(rank, [])
            if not rs:
                continue
            t = [r["train_seconds"] for r in rs]
            s = med(rs, "train_seconds")
            ratio = "1" if label == peers[0][0] else (fmt(s / ours, 1) if ours else "")
            print(f"| {rank} | {label} | {s:.2f} ({min(t):.2f}–{max(t):.2f}) | {fmt(med(rs, 'rmse'), 4)} "
                  f"| {fmt(med(rs, 'mae'), 4)} | {fmt(med(rs, 'peak_rss_mib'), 0)} | {ratio} | {len(rs)} |")


def time_v_peak(path):
    """Maximum resident set size from /usr/bin/time -v output, MiB."""
    if not os.path.exists(path):
        return None
    for line in open(path):
        if "Maximum resident set size" in line:
            return int(line.split(":")[1]) / 1024
    return None


def report(a):
    d = a.dir
    mach = os.path.join(d, "machine.txt")
    if os.path.exists(mach):
        print("Machine: " + "; ".join(open(mach).read().strip().removeprefix("== machine: ").splitlines()))
    lk = runs(d, "a-lenskit.jsonl", "lenskit")
    lk_version = next((r[0]["lenskit_version"] for r in lk.values() if r), "")
    table("ml-1m 90/10 (seed 42): movierec --biases vs LensKit BiasedMF, 2 threads, alternating fresh processes",
          [("movierec --biases", "", runs(d, "a-movierec.jsonl", "movierec")),
           (f"LensKit {lk_version} BiasedMF", "", lk)])
    sp = runs(d, "b-spark.jsonl", "spark")
    sp_version = next((r[0]["version"] for r in sp.values() if r), "")
    table("ml-1m 90/10 (seed 42): movierec plain ALS vs Spark ALS, reg 0.1, 2 threads",
          [("movierec", "", runs(d, "b-movierec.jsonl", "movierec")),
           (f"Spark {sp_version} local[2]", "", sp)])

    ours = (lines(d, "c-movierec.json") or [None])[0]
    theirs = (lines(d, "c-lenskit.json") or [None])[0]
    if ours or theirs:
        shape = ours or theirs
        print("\n### synthetic MovieLens-25M shape, split 99/1, one run each (kept from the last run"
              " without --skip-25m)\n")
        print(f"{shape.get('n_train', 0):,} train / {shape.get('n_test', 0):,} test ratings, "
              f"{shape.get('n_users', 0):,} users, {shape.get('n_items', 0):,} items\n")
        print("| trainer | rank | iterations | train s | s per iteration | top-10 for all s | RMSE "
              "| peak MiB (own) | peak MiB (time -v) |")
        print("|---|---|---|---|---|---|---|---|---|")
    if ours:
        p = ours["params"]
        print(f"| movierec (reg {p['reg']:.3g}) | {p['rank']} | {p['iterations']} | {ours['train_seconds']:.1f} "
              f"| {ours['train_seconds'] / p['iterations']:.2f} | {fmt(ours.get('recommend_all_seconds'), 1)} "
              f"| {ours['rmse']:.4f} | {fmt(ours['peak_rss_mib'], 0)} "
              f"| {fmt(time_v_peak(os.path.join(d, 'c-movierec-time.txt')), 0)} |")
    if theirs and theirs.get("fit"):
        print(f"| LensKit BiasedMF (reg 0.1, damping 5) | {theirs['features']} | {theirs['epochs']} "
              f"| {theirs['train_seconds']:.1f} | {theirs['train_seconds'] / theirs['epochs']:.2f} | "
              f"| {theirs['rmse']:.4f} | {theirs['peak_rss_mib']:,.0f} (before fit {theirs['peak_rss_mib_before_fit']:,.0f}) | |")
    elif theirs:
        print(f"| LensKit BiasedMF | {theirs.get('features')} | {theirs.get('epochs')} | did not fit: "
              f"{theirs.get('error')} | | | | {fmt(theirs.get('peak_rss_mib'), 0)} | |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    lk = sub.add_parser("lenskit")
    lk.add_argument("--train", required=True)
    lk.add_argument("--test", required=True)
    lk.add_argument("--features", type=int, required=True)
    lk.add_argument("--epochs", type=int, default=15)
    lk.add_argument("--seed", type=int, default=42)
    lk.add_argument("--mem-limit-gib", type=float, default=None)
    rep = sub.add_parser("report")
    rep.add_argument("dir")
    a = ap.parse_args()
    if a.cmd == "lenskit":
        import logging
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        run_lenskit(a)
    else:
        report(a)


if __name__ == "__main__":
    main()
