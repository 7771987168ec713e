"""Prints the Markdown tables of bench/quality.sh from its JSON outputs (argument: its out dir)."""
import json
import os
import statistics
import sys

out = sys.argv[1]


def lines(name):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def ours(row, label):
    """movierec's evaluate --json in the peers' shape."""
    p = row["params"]
    return {
        "model": label,
        "ndcg_at_10": row["ndcg_at_k"],
        "precision_at_10": row["precision_at_k"],
        "recall_at_10": row["recall_at_k"],
        "map_at_10": row["map_at_k"],
        "coverage_at_10": row["coverage_at_k"],
        "train_seconds": row["train_seconds"],
        "params": {k: p[k] for k in ("rank", "iterations", "reg", "alpha", "unobserved_weight", "preference_scale")},
    }


def f(v, digits=4):
    return "" if v is None else f"{v:.{digits}f}"


for ds in ("ml-100k", "ml-1m"):
    rows = [ours(r, label) for label, name in (("movierec (served, defaults)", f"{ds}-movierec.json"),
                                                ("movierec, rank 64", f"{ds}-movierec-64.json"))
            for r in lines(name)]
    rows += lines(f"{ds}-peers.jsonl")
    if not rows:
        continue
    print(f"\n### {ds}: lists as served (90/10 split, seed 42; relevant = held-out rating >= 4; rated movies left out)\n")
    print("| list | NDCG@10 | P@10 | R@10 | MAP@10 | coverage@10 | train s | parameters |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        shown = {k: v for k, v in (r.get("params") or {}).items() if k not in ("tuned", "threads", "dtype", "values", "seed")}
        params = ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in shown.items())
        name = r["model"] + (" (tuned on validation)" if "tuned" in (r.get("params") or {}) else "")
        print(f"| {name} | {f(r['ndcg_at_10'])} | {f(r['precision_at_10'])} | {f(r['recall_at_10'])} "
              f"| {f(r['map_at_10'])} | {f(r['coverage_at_10'], 3)} | {f(r['train_seconds'], 2)} | {params} |")

    speed = {"movierec": [r["train_seconds"] for r in lines(f"{ds}-speed-movierec.jsonl")]}
    for r in lines(f"{ds}-speed-peers.jsonl"):
        speed.setdefault(r["model"], []).append(r["train_seconds"])
    if speed["movierec"]:
        print(f"\n{ds}: training seconds, 64 factors, 15 iterations, 2 threads, alternating runs\n")
        print("| trainer | median s | runs |")
        print("|---|---|---|")
        for name, runs in speed.items():
            print(f"| {name} | {statistics.median(runs):.2f} | {', '.join(f'{t:.2f}' for t in runs)} |")

strong = [{"model": "movierec", **r["fold_in"], "train_seconds": r["train_seconds"]}
          for r in lines("ml-1m-strong-movierec.json")]
strong += lines("ml-1m-strong.jsonl")
if strong:
    print("\n### ml-1m, strong generalisation (new users folded in on 80% of their ratings)\n")
    print("| model | Recall@20 | NDCG@100 | users | train s |")
    print("|---|---|---|---|---|")
    for r in strong:
        print(f"| {r['model']} | {f(r.get('recall_at_20'))} | {f(r.get('ndcg_at_100'))} | {r.get('n_users')} "
              f"| {f(r.get('train_seconds'), 2)} |")
