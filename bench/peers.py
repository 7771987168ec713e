"""Top-N peers for movierec: list quality and training speed of EASE, implicit's ALS,
LensKit's ImplicitMF and most-popular under movierec's evaluation protocol.

Setup (CPU only; lenskit pulls in torch):
  python3 -m venv .venv-bench && .venv-bench/bin/pip install -r bench/requirements-peers.txt

Commands (logs go to stderr; with --json one JSON object per run on stdout):
  peers.py weak   --train TRAIN.csv --test TEST.csv --model M [--tune] [--repeats N] [--json]
  peers.py strong --ratings ALL.csv --model M [--seed 42] [--write-split DIR] [--json]
  peers.py strong --split DIR --model M [--json]   (reuse train/foldin/target.csv from DIR)
Models: popular, ease, implicit, lenskit. Options: --factors 64 --iterations 15 --reg
--alpha (implicit) / --weight (lenskit) --lam 500 (EASE) --seed 42 --threads 2
--values binary|rating (what the ALS models get per pair; default binary).

Input: CSV with header user,item,rating[,timestamp] (int, int, float). A file whose header
names other columns (ml-1m's UserID,MovieID,Rating) is read by position; a file with no
header (ml-100k u.data, tab separated) too. Duplicate (user,item) pairs: the last row wins.

Threads: every peer runs on 2 threads (--threads). OMP/OPENBLAS/MKL_NUM_THREADS and
LensKit's LK_NUM_THREADS / LK_NUM_BACKEND_THREADS are set to 2 before numpy loads.
  ease     numpy/OpenBLAS, 2 BLAS threads.
  implicit num_threads=2 (OpenMP over users/items); BLAS is held at 1 thread during fit with
           threadpoolctl, as implicit asks (its per-row solves call BLAS; 2x2 would
           oversubscribe), so fit uses 2 threads in all.
  lenskit  lenskit.parallel.initialize(processes=1, threads=2, backend_threads=2): the Rust
           (rayon) ALS solver uses 2 threads, numpy/torch 2.

Weak generalisation (`weak`), the same as movierec's evaluate:
  * Items, users: the distinct ids of TRAIN, sorted ascending; internal index = rank.
  * Training interactions: every TRAIN (user,item) pair; ALS models get value 1.
  * Relevant set of a user: TEST rows with rating >= 4.0 whose user and item are in TRAIN.
    Test users: users with a non-empty relevant set.
  * List: score all training items, items the user has in TRAIN get -inf, top k=10 by score
    descending, ties by lower internal index (stable sort). Entries scored -inf (only when
    a user has < 10 unseen items) never count as hits nor for coverage.
  * Per user, averaged over test users: precision@10 = hits/10; recall@10 = hits/|rel|;
    NDCG@10 = DCG/IDCG, DCG = sum over hit positions p (0-based) of 1/log2(p+2),
    IDCG = sum_{p < min(|rel|,10)} 1/log2(p+2); MAP@10: AP = sum over hit positions of
    (hits so far)/(p+1), divided by min(|rel|,10).
  * coverage@10: distinct items in the top-10 lists of ALL training users / training items.
  * train_seconds: wall time of the fit only (CSV reading, matrix building and LensKit's
    Dataset construction excluded). --repeats N fits N times, reports the median and all
    times (train_seconds_runs); the metrics come from the last fit (fits are seeded).

Models:
  popular   score = number of TRAIN ratings >= 4.0 of the item.
  ease      Steck 2019, float64: X binary users x items, G = X'X + lam*I, P = inv(G),
            B = -P / diag(P) (column-wise), diag(B) = 0, scores = X @ B.
  implicit  implicit.cpu.als.AlternatingLeastSquares(factors, regularization, alpha,
            iterations, random_state=seed, num_threads=2), float32, CG solver (default),
            fit on the users x items CSR. In implicit 0.7 the confidence of an observed
            pair is alpha * value (c = alpha for binary input, NOT 1 + alpha as in Hu et
            al.; unobserved pairs have c = 1), preference 1. Scores = user_factors @ item_factors'.
  lenskit   lenskit.als.ImplicitMFScorer(features, epochs, regularization=reg, weight),
            float32, Cholesky solver. Confidence of an observed pair = 1 + weight * value.
            Weak: scores = user_embeddings @ item_embeddings' (what the scorer returns for a
            query without history items).

Tuning (--tune, implicit / lenskit / ease): a validation split is cut out of TRAIN: with
rng = numpy.random.default_rng(seed), perm = rng.permutation(len(TRAIN rows)) (rows in file
order after dedup), the first round(0.1 * n) rows of perm are validation, the rest fit-train.
Every grid point is fit on fit-train and scored by NDCG@10 on validation with the weak
protocol (ids and relevant sets re-derived from fit-train); the best (first in grid order on
ties) is refit on all of TRAIN and scored on TEST. Grids (GRIDS below):
  implicit  reg {0.1, 1, 10, 30, 100} x alpha {1, 2, 5, 20}   (c = alpha)
  lenskit   reg {0.1, 1, 10, 30, 100} x weight {1, 5, 40}    (c = 1 + weight; 40 = default)
  ease      lam {50, 100, 200, 500, 1000, 2000}
On ml-1m the best reg was inside the grid (30); reg 0.01 vs 0.1 changed nothing.

Strong generalisation (`strong`), after Liang et al. 2018 (VAE-CF), split procedure:
  1. Read ALL (dedup pairs, last wins). users = sorted distinct user ids, n = len(users).
     rng = numpy.random.default_rng(seed) (one generator, used in this order only).
  2. eligible = users (ascending) with >= 5 ratings. n_heldout = round(0.1 * n).
     heldout = sorted(rng.choice(eligible, size=n_heldout, replace=False)).
     Train users = all other users; train.csv = all their ratings.
  3. Train items = distinct items of train.csv. Held-out users' ratings of other items are
     dropped.
  4. For each held-out user in ascending id order who has ratings left (all of ml-1m's do):
     their remaining ratings sorted by item id
     ascending, m = count, t = floor(0.2 * m); idx = rng.choice(m, size=t, replace=False);
     those rows go to target.csv, the other m - t to foldin.csv (a user with t = 0 has no
     target rows).
  --write-split DIR writes train.csv, foldin.csv, target.csv (header user,item,rating, rows
  sorted by user then item); `strong --split DIR` reads them back, so another program can
  evaluate on exactly the same split.
  Evaluation: the model is fit on train.csv (weak rules for the matrix). For each held-out
  user with >= 1 relevant item (target rows with rating >= 4.0): scores from the fold-in
  rows only (binary): EASE x @ B; implicit recalculate_user (exact least squares of the
  user's row against the item factors, implicit's fold-in); lenskit: the scorer called with
  history_items = fold-in items (new_user_embedding, a Cholesky solve); popular: counts.
  Fold-in items get -inf. Recall@20 = hits@20 / min(20, |rel|); NDCG@100 binary,
  IDCG over min(|rel|, 100); means over those users.
"""
import os

THREADS = os.environ.get("PEERS_THREADS", "2")
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "LK_NUM_THREADS", "LK_NUM_BACKEND_THREADS"):
    os.environ[_var] = THREADS
os.environ["LK_NUM_PROCS"] = "1"

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

log = logging.getLogger("peers")
RELEVANT = 4.0
GRIDS = {
    "implicit": {"reg": [0.1, 1.0, 10.0, 30.0, 100.0], "alpha": [1.0, 2.0, 5.0, 20.0]},
    "lenskit": {"reg": [0.1, 1.0, 10.0, 30.0, 100.0], "weight": [1.0, 5.0, 40.0]},
    "ease": {"lam": [50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0]},
}


# ---------------------------------------------------------------- data

def read_ratings(path):
    """user, item, rating (and timestamp if present) from a CSV or MovieLens u.data."""
    with open(path) as f:
        first = f.readline()
    sep = "\t" if "\t" in first else ","
    has_header = not first.split(sep)[0].strip().lstrip("-").isdigit()
    df = pd.read_csv(path, sep=sep, header=0 if has_header else None)
    if not {"user", "item", "rating"} <= set(df.columns):
        names = ["user", "item", "rating", "timestamp"][: min(4, len(df.columns))]
        df = df.iloc[:, : len(names)]
        df.columns = names
    df = df[[c for c in ("user", "item", "rating", "timestamp") if c in df.columns]]
    df = df.astype({"user": np.int64, "item": np.int64, "rating": np.float64})
    return df.drop_duplicates(["user", "item"], keep="last").reset_index(drop=True)


@dataclass
class Train:
    """Training ratings with dense, id-sorted user and item indices."""
    df: pd.DataFrame           # user, item, rating, u, i
    user_ids: np.ndarray
    item_ids: np.ndarray
    X: sp.csr_matrix           # binary float32, users x items
    R: sp.csr_matrix           # ratings float32, users x items

    @classmethod
    def build(cls, df):
        user_ids, item_ids = np.unique(df.user.values), np.unique(df.item.values)
        df = df.assign(u=np.searchsorted(user_ids, df.user.values),
                       i=np.searchsorted(item_ids, df.item.values))
        shape = (len(user_ids), len(item_ids))
        R = sp.csr_matrix((df.rating.values.astype(np.float32), (df.u.values, df.i.values)), shape)
        X = R.copy()
        X.data[:] = 1.0
        return cls(df, user_ids, item_ids, X, R)

    def index(self, ids, table):
        """Dense indices of ids in table (-1 where absent)."""
        pos = np.searchsorted(table, ids)
        pos = np.minimum(pos, len(table) - 1)
        return np.where(table[pos] == ids, pos, -1)

    def sparse_rows(self, df, n_rows, row_col):
        """Binary CSR (n_rows x items) of df's known items, rows given by df[row_col]."""
        i = self.index(df.item.values, self.item_ids)
        keep = i >= 0
        data = np.ones(keep.sum(), dtype=np.float32)
        return sp.csr_matrix((data, (df[row_col].values[keep], i[keep])), (n_rows, len(self.item_ids)))


def relevant_sets(train, test):
    """{user index: set of item indices} of test rows rated >= 4 with known user and item."""
    test = test[test.rating >= RELEVANT]
    u, i = train.index(test.user.values, train.user_ids), train.index(test.item.values, train.item_ids)
    keep = (u >= 0) & (i >= 0)
    rel = {}
    for uu, ii in zip(u[keep], i[keep]):
        rel.setdefault(int(uu), set()).add(int(ii))
    return rel


def random_split(df, fraction, seed):
    """Bernoulli split like movierec split: row to test when rng.random() < fraction."""
    to_test = np.random.default_rng(seed).random(len(df)) < fraction
    return df[~to_test].reset_index(drop=True), df[to_test].reset_index(drop=True)


def validation_split(df, seed):
    """The tuning split of TRAIN: first round(0.1 n) rows of a seeded permutation."""
    perm = np.random.default_rng(seed).permutation(len(df))
    n_val = int(round(0.1 * len(df)))
    return df.iloc[np.sort(perm[n_val:])].reset_index(drop=True), df.iloc[np.sort(perm[:n_val])].reset_index(drop=True)


# ---------------------------------------------------------------- models

class Popular:
    def __init__(self, args):
        self.params = {}

    def fit(self, train):
        self.counts = np.asarray((train.R >= RELEVANT).sum(axis=0)).ravel().astype(np.float64)

    def score_users(self, rows):
        return np.broadcast_to(self.counts, (len(rows), len(self.counts))).copy()

    def score_foldin(self, Xf):
        return self.score_users(np.arange(Xf.shape[0]))


class Ease:
    def __init__(self, args):
        self.params = {"lam": args.lam, "dtype": "float64"}

    def fit(self, train):
        self.X = train.X.astype(np.float64)
        G = (self.X.T @ self.X).toarray()
        G[np.diag_indices_from(G)] += self.params["lam"]
        P = np.linalg.inv(G)
        B = P / -np.diag(P)
        B[np.diag_indices_from(B)] = 0.0
        self.B = B

    def score_users(self, rows):
        return self.X[rows] @ self.B

    def score_foldin(self, Xf):
        return Xf.astype(np.float64) @ self.B


class ImplicitALS:
    def __init__(self, args):
        self.threads = args.threads
        self.values = args.values
        self.params = {"factors": args.factors, "iterations": args.iterations, "reg": args.reg,
                       "alpha": args.alpha, "seed": args.seed, "values": args.values}

    def fit(self, train):
        from implicit.cpu.als import AlternatingLeastSquares
        p = self.params
        with threadpool_limits(1, "blas"):
            self.model = AlternatingLeastSquares(
                factors=p["factors"], regularization=p["reg"], alpha=p["alpha"], iterations=p["iterations"],
                random_state=p["seed"], num_threads=self.threads)
            self.model.fit(train.R if self.values == "rating" else train.X, show_progress=False)

    def score_users(self, rows):
        return self.model.user_factors[rows] @ self.model.item_factors.T

    def score_foldin(self, Xf):
        with threadpool_limits(1, "blas"):
            U = self.model.recalculate_user(np.arange(Xf.shape[0]), Xf.tocsr())
        return U @ self.model.item_factors.T


class LensKitMF:
    def __init__(self, args):
        self.params = {"features": args.factors, "epochs": args.iterations, "reg": args.reg,
                       "weight": args.weight, "seed": args.seed, "values": args.values}
        self.threads = args.threads

    def prepare(self, train):
        """Dataset construction, outside the timed fit."""
        import lenskit.parallel
        from lenskit.data import from_interactions_df
        if not lenskit.parallel.config._config:
            lenskit.parallel.initialize(processes=1, threads=self.threads, backend_threads=self.threads)
        cols = ["user", "item"] + (["rating"] if self.params["values"] == "rating" else [])
        self.data = from_interactions_df(train.df[cols].copy(), user_col="user", item_col="item",
                                         rating_col="rating" if "rating" in cols else None)
        self.train = train

    def fit(self, train):
        from lenskit.als import ImplicitMFScorer
        from lenskit.training import TrainingOptions
        p = self.params
        self.scorer = ImplicitMFScorer(features=p["features"], epochs=p["epochs"], regularization=p["reg"],
                                       weight=p["weight"], use_ratings=p["values"] == "rating")
        self.scorer.train(self.data, TrainingOptions(rng=p["seed"]))

    def _item_embeddings(self):
        return self.scorer.item_embeddings[self.scorer.items.numbers(self.train.item_ids)]

    def score_users(self, rows):
        unums = self.scorer.users.numbers(self.train.user_ids[rows])
        return self.scorer.user_embeddings[unums] @ self._item_embeddings().T

    def score_foldin(self, Xf):
        from lenskit.data import ItemList, RecQuery
        candidates = ItemList(item_ids=self.train.item_ids)
        out = np.empty(Xf.shape, dtype=np.float32)
        for r in range(Xf.shape[0]):
            hist = ItemList(item_ids=self.train.item_ids[Xf.indices[Xf.indptr[r]:Xf.indptr[r + 1]]])
            out[r] = self.scorer(RecQuery(history_items=hist), candidates).scores()
        return out


MODELS = {"popular": Popular, "ease": Ease, "implicit": ImplicitALS, "lenskit": LensKitMF}


def timed_fit(model, train):
    if hasattr(model, "prepare"):
        model.prepare(train)
    start = time.perf_counter()
    model.fit(train)
    return time.perf_counter() - start


# ---------------------------------------------------------------- lists and metrics

def top_k(scores, seen_rows, k):
    """Top-k indices per row, seen items -inf, ties by lower index; -1 marks -inf entries."""
    scores = np.asarray(scores, dtype=np.float64)
    for r, seen in enumerate(seen_rows):
        scores[r, seen] = -np.inf
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    top = np.take_along_axis(scores, order, axis=1)
    return np.where(np.isneginf(top), -1, order)


def list_metrics(lst, rel, k):
    """precision, recall, NDCG, AP at k (binary gains) of one list."""
    hits, dcg, ap = 0, 0.0, 0.0
    for p, item in enumerate(lst[:k]):
        if item in rel:
            hits += 1
            dcg += 1.0 / np.log2(p + 2)
            ap += hits / (p + 1)
    idcg = sum(1.0 / np.log2(p + 2) for p in range(min(len(rel), k)))
    return hits / k, hits / len(rel), dcg / idcg, ap / min(len(rel), k)


def recommend(model, train, users, k, batch=1024):
    """{user index: top-k list} for the given user indices."""
    out = {}
    X = train.X
    for start in range(0, len(users), batch):
        rows = users[start:start + batch]
        seen = [X.indices[X.indptr[u]:X.indptr[u + 1]] for u in rows]
        for u, lst in zip(rows, top_k(model.score_users(rows), seen, k)):
            out[int(u)] = lst
    return out


def weak_metrics(model, train, rel, k=10, coverage=True):
    users = np.arange(len(train.user_ids)) if coverage else np.array(sorted(rel))
    lists = recommend(model, train, users, k)
    m = np.array([list_metrics(lists[u].tolist(), rel[u], k) for u in sorted(rel)])
    res = dict(zip(["precision_at_10", "recall_at_10", "ndcg_at_10", "map_at_10"], m.mean(axis=0).tolist()))
    if coverage:
        items = np.unique(np.concatenate(list(lists.values())))
        res["coverage_at_10"] = float((items >= 0).sum() / len(train.item_ids))
    res["n_users"] = len(rel)
    return res


# ---------------------------------------------------------------- weak

def grid_points(name):
    grid = GRIDS[name]
    return [dict(zip(grid, vals)) for vals in itertools.product(*grid.values())]


def tune(args, train_df):
    """Best grid point by validation NDCG@10; returns (params, table)."""
    fit_df, val_df = validation_split(train_df, args.seed)
    fit_train = Train.build(fit_df)
    rel = relevant_sets(fit_train, val_df)
    log.info("tuning %s: %d fit rows, %d validation rows, %d validation users",
             args.model, len(fit_df), len(val_df), len(rel))
    table = []
    for point in grid_points(args.model):
        model = MODELS[args.model](argparse.Namespace(**{**vars(args), **point}))
        secs = timed_fit(model, fit_train)
        ndcg = weak_metrics(model, fit_train, rel, coverage=False)["ndcg_at_10"]
        log.info("  %s: val NDCG@10 %.4f (fit %.1fs)", point, ndcg, secs)
        table.append({**point, "val_ndcg_at_10": round(ndcg, 5)})
    best = max(table, key=lambda row: row["val_ndcg_at_10"])  # first on ties
    return {key: best[key] for key in GRIDS[args.model]}, table


def run_weak(args):
    t0 = time.perf_counter()
    train_df, test_df = read_ratings(args.train), read_ratings(args.test)
    train = Train.build(train_df)
    rel = relevant_sets(train, test_df)
    log.info("train %d rows, %d users, %d items; test %d rows, %d test users (%.1fs)", len(train_df),
             len(train.user_ids), len(train.item_ids), len(test_df), len(rel), time.perf_counter() - t0)
    tuned = None
    if args.tune:
        if args.model not in GRIDS:
            sys.exit(f"--tune: no grid for {args.model}")
        best, table = tune(args, train_df)
        log.info("tuned %s: %s", args.model, best)
        vars(args).update(best)
        tuned = {"chosen": best, "grid": table}
    times = []
    for _ in range(args.repeats):
        model = MODELS[args.model](args)
        times.append(timed_fit(model, train))
        log.info("%s fit %.2fs", args.model, times[-1])
    t1 = time.perf_counter()
    res = weak_metrics(model, train, rel)
    log.info("evaluated in %.1fs", time.perf_counter() - t1)
    params = dict(model.params, threads=args.threads)
    if tuned:
        params["tuned"] = tuned
    out = {"model": args.model, "params": params, **res, "train_seconds": statistics.median(times)}
    if args.repeats > 1:
        out["train_seconds_runs"] = times
    emit(out, args)


# ---------------------------------------------------------------- strong

def make_strong_split(ratings, seed):
    """(train, foldin, target) data frames; the procedure is in the module docstring."""
    rng = np.random.default_rng(seed)
    users = np.unique(ratings.user.values)
    counts = ratings.groupby("user").size()
    eligible = counts.index.values[counts.values >= 5]
    heldout = np.sort(rng.choice(eligible, size=int(round(0.1 * len(users))), replace=False))
    is_held = ratings.user.isin(heldout)
    train = ratings[~is_held]
    held = ratings[is_held & ratings.item.isin(np.unique(train.item.values))]
    held = held.sort_values(["user", "item"], kind="stable")
    foldin, target = [], []
    for _, rows in held.groupby("user", sort=True):
        m = len(rows)
        idx = rng.choice(m, size=int(np.floor(0.2 * m)), replace=False)
        mask = np.zeros(m, dtype=bool)
        mask[idx] = True
        target.append(rows[mask])
        foldin.append(rows[~mask])
    cols = ["user", "item", "rating"]
    sort = lambda df: df[cols].sort_values(["user", "item"]).reset_index(drop=True)  # noqa: E731
    return sort(train), sort(pd.concat(foldin)), sort(pd.concat(target))


def strong_metrics(scores, foldin_rows, rel_rows):
    """Recall@20 and NDCG@100 for each row with a non-empty relevant set."""
    top = top_k(scores, foldin_rows, 100)
    recall, ndcg = [], []
    for lst, rel in zip(top, rel_rows):
        hit = np.isin(lst, list(rel)) & (lst >= 0)
        recall.append(hit[:20].sum() / min(20, len(rel)))
        disc = 1.0 / np.log2(np.arange(100) + 2)
        ndcg.append(disc[hit].sum() / disc[: min(len(rel), 100)].sum())
    return float(np.mean(recall)), float(np.mean(ndcg))


def run_strong(args):
    if args.split:
        train_df, foldin, target = (read_ratings(os.path.join(args.split, f"{n}.csv"))
                                    for n in ("train", "foldin", "target"))
    else:
        train_df, foldin, target = make_strong_split(read_ratings(args.ratings), args.seed)
    if args.write_split:
        os.makedirs(args.write_split, exist_ok=True)
        for name, df in (("train", train_df), ("foldin", foldin), ("target", target)):
            df[["user", "item", "rating"]].to_csv(os.path.join(args.write_split, f"{name}.csv"), index=False)
        log.info("split written to %s", args.write_split)
    train = Train.build(train_df)
    relevant = target[(target.rating >= RELEVANT) & target.item.isin(train.item_ids)]
    eval_users = np.unique(relevant.user.values)
    log.info("strong: %d train users, %d items; %d held-out users, %d with relevant items",
             len(train.user_ids), len(train.item_ids), foldin.user.nunique(), len(eval_users))
    foldin = foldin[foldin.user.isin(eval_users)].assign(row=lambda d: np.searchsorted(eval_users, d.user.values))
    Xf = train.sparse_rows(foldin, len(eval_users), "row")
    rel_rows = [set(train.index(g.item.values, train.item_ids).tolist())
                for _, g in relevant.groupby("user", sort=True)]
    model = MODELS[args.model](args)
    secs = timed_fit(model, train)
    log.info("%s fit %.2fs", args.model, secs)
    scores = np.vstack([model.score_foldin(Xf[s:s + 1024]) for s in range(0, Xf.shape[0], 1024)])
    seen = [Xf.indices[Xf.indptr[r]:Xf.indptr[r + 1]] for r in range(Xf.shape[0])]
    recall, ndcg = strong_metrics(scores, seen, rel_rows)
    emit({"model": args.model, "params": dict(model.params, threads=args.threads), "recall_at_20": recall,
          "ndcg_at_100": ndcg, "train_seconds": secs, "n_users": len(eval_users)}, args)


# ---------------------------------------------------------------- cli

def emit(out, args):
    if args.json:
        print(json.dumps(out), flush=True)
    else:
        for key, val in out.items():
            print(f"{key:16} {val:.4f}" if isinstance(val, float) else f"{key:16} {val}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    weak = sub.add_parser("weak", help="TRAIN/TEST split, precision/recall/NDCG/MAP@10, coverage")
    weak.add_argument("--train", required=True)
    weak.add_argument("--test", required=True)
    weak.add_argument("--tune", action="store_true", help="choose params on a validation split of TRAIN")
    weak.add_argument("--repeats", type=int, default=1, help="fit N times, report the median seconds")
    strong = sub.add_parser("strong", help="held-out users, fold-in, Recall@20 and NDCG@100")
    src = strong.add_mutually_exclusive_group(required=True)
    src.add_argument("--ratings", help="all ratings; split here (see docstring)")
    src.add_argument("--split", help="directory with train.csv, foldin.csv, target.csv")
    strong.add_argument("--write-split", help="write train.csv, foldin.csv, target.csv here")
    for p in (weak, strong):
        p.add_argument("--model", required=True, choices=sorted(MODELS))
        p.add_argument("--factors", type=int, default=64)
        p.add_argument("--iterations", type=int, default=15)
        p.add_argument("--reg", type=float, default=None, help="implicit 0.01, lenskit 0.1")
        p.add_argument("--alpha", type=float, default=1.0, help="implicit: confidence = alpha * value")
        p.add_argument("--weight", type=float, default=40.0, help="lenskit: confidence = 1 + weight * value")
        p.add_argument("--lam", type=float, default=500.0, help="EASE L2")
        p.add_argument("--values", choices=["binary", "rating"], default="binary")
        p.add_argument("--seed", type=int, default=42)
        p.add_argument("--threads", type=int, default=int(THREADS))
        p.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.threads != int(THREADS):
        sys.exit("set PEERS_THREADS (read before numpy loads) instead of --threads")
    if args.reg is None:
        args.reg = 0.1 if args.model == "lenskit" else 0.01
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(message)s")
    for noisy in ("lenskit", "implicit"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    (run_weak if args.cmd == "weak" else run_strong)(args)


if __name__ == "__main__":
    main()
