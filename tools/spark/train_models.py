"""movierec's training job on Spark: the two models RetrainModel trains, for
ratings that have outgrown one Function instance.

Input (what `movierec export ratings --out DIR` writes, or Cosmos DB):
    DIR/ratings/*.parquet   user int32, item int32, rating float, timestamp int64
    DIR/params.json         the app's parameters and holdout protocol
Output (what `movierec model import OUT` and MOVIEREC_TRAINER=external read):
    OUT/ranking/            Spark ALSModel (implicitPrefs), + movierec/model.json
    OUT/rating/             Spark ALSModel layout, biased, + movierec/model.json
    OUT/_SUCCESS            written last

Steps, as the app's RetrainModel does them:
 1. Split: each rating is held out with probability holdout_fraction, by a
    hash of (user, item, holdout_seed): deterministic on any cluster.
 2. Ranking model: ALS(implicitPrefs=True) with the app's rank, iterations,
    alpha and seed, fed r - RATING_OFFSET (1.5): Spark's confidence is
    c = 1 + alpha*|r - 1.5| and a rating <= 1.5 states "not liked" (Spark's
    preference is 0 for a value <= 0). Spark cannot state movierec's graded
    preference (preference_scale: Spark's preference is 1 for every positive
    value); the offset is the nearest it comes (ml-1m, rank 32: +2.7% holdout
    NDCG@10 over raw ratings). Nor can it state the frequency-scaled
    regularisation (reg * (n + w*N)); Spark regularises by reg * n, so the
    app's reg is mapped to regParam = reg * (mean_n + w*N) / mean_n, averaged
    over users and items (ml-1m: 0.01 -> 0.23), times the mean confidence of
    the offset values over that of the raw ones (ml-1m: 0.68), so data and
    regularisation keep their balance, and at most a tenth of the mean
    confidence of the positive entries (ranking_reg_cap: past that Spark's
    factors shrink to zero; at the 25M shape the mapping alone gives 2.89).
    The offset goes into model.json's
    params (rating_offset), so the app's fold-in solves the loss Spark
    fitted. With ranking_tune it then chooses among
    0.5x, 1x and 2x that value by NDCG@k on a validation split cut from the
    training part, as the app does; the holdout plays no part.
 3. Rating model: global mean and user/item biases (regularised means with
    bias_reg, two passes), then explicit ALS on the residuals; written in
    movierec's "biased" layout: user [p, b_u, 1], item [q, 1, mean + b_i], so
    a plain dot product (Spark's too) is mean + b_u + b_i + p.q. regParam is
    reg * mean_n^(reg_exponent - 1): Spark scales by n, the app by n^exponent.
 4. Evaluation on the holdout with the app's protocol: relevant = held-out
    ratings >= relevant of training movies; the users measured have one; lists
    are the top k of the training movies with the user's training movies left
    out; NDCG with binary gains (ideal over min(relevant, k)), P = hits/k,
    R = hits/relevant, MAP normalised by min(relevant, k); the most-popular
    list (training ratings >= relevant per movie, ties to the lower id) the
    same way; RMSE/MAE of the rating model where user and movie are known.
    Scoring runs on the executors (item factors broadcast, users in blocks).
 5. Both models refitted on all ratings with the chosen parameters, written.
    model.json's "params" describe the loss Spark fitted (reg = the regParam
    used, scaled by n: reg_with_unobserved false, preference_scale 0, rating
    reg_exponent 1); the app's values and the mapping are in spark_params.
    coverage_at_k scores every training user once more (--no-coverage: null).

Measured end to end (handlers/app/tests/it/spark_handoff.rs: 90% of ml-1m
ingested, exported, trained here with local[2] at rank 32, 10 iterations,
no tuning, imported and served): NDCG@10 of the served lists on the other
10% 0.2807, the app's own model 0.2903 (-3.3%); with raw ratings (no
offset) 0.2697 (-7.1%). pyspark 4.0.1, 133 s for the whole test.

Usage:
    python tools/spark/train_models.py --input DIR --output OUT [--master local[2]]
        [--params FILE] [--no-coverage]
    python tools/spark/train_models.py --params FILE --output OUT --cosmos-endpoint URL
        --cosmos-database DB --cosmos-container ratings
    (Cosmos: the azure-cosmos-spark connector; auth from spark conf, e.g.
    spark.cosmos.auth.type ServicePrincipal/ManagedIdentity or spark.cosmos.accountKey;
    documents user, movie, rating, ts -> user, item, rating, timestamp)
    (on Databricks: a spark_python_task with the same arguments; see README.md)
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np
from pyspark.ml.recommendation import ALS, ALSModel
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, FloatType, IntegerType, StructField, StructType

BLOCK_USERS = 256  # users scored per numpy product (256 x 59k items x 4 B = 60 MB)


def session(master):
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.appName("movierec-train")
    if master:
        # Local workers run this interpreter (its numpy), not the system one.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = builder.master(master).config("spark.sql.shuffle.partitions", "8")
        builder = builder.config("spark.driver.memory", "4g")
    return builder.getOrCreate()


# ---- files through Hadoop's FileSystem (local, DBFS, abfss alike) ----

def _fs_path(spark, path):
    jvm = spark.sparkContext._jvm
    p = jvm.org.apache.hadoop.fs.Path(path)
    return p.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), p


def read_text(spark, path):
    fs, p = _fs_path(spark, path)
    stream = fs.open(p)
    reader = spark.sparkContext._jvm.java.io.BufferedReader(
        spark.sparkContext._jvm.java.io.InputStreamReader(stream, "UTF-8"))
    lines = []
    line = reader.readLine()
    while line is not None:
        lines.append(line)
        line = reader.readLine()
    reader.close()
    return "\n".join(lines)


def write_text(spark, path, text):
    fs, p = _fs_path(spark, path)
    out = fs.create(p, True)
    out.write(bytearray(text.encode("utf-8")))
    out.close()


def metadata_file(spark, model_dir):
    fs, p = _fs_path(spark, model_dir + "/metadata")
    parts = [s.getPath().toString() for s in fs.listStatus(p) if s.getPath().getName().startswith("part-")]
    return parts[0]


# ---- input ----

def read_ratings(spark, args):
    if args.cosmos_endpoint:
        # The Azure Cosmos DB Spark connector (azure-cosmos-spark_3-5_2-12):
        # auth from spark conf (spark.cosmos.auth.*), as on the cluster.
        # Auth (spark.cosmos.auth.type, spark.cosmos.accountKey, tenant/client
        # ids, ...) is passed on from the session's conf, where the cluster sets it.
        conf = {k: v for k, v in spark.sparkContext.getConf().getAll() if k.startswith("spark.cosmos.")}
        df = (spark.read.format("cosmos.oltp").options(**conf)
              .option("spark.cosmos.read.inferSchema.enabled", "true")
              .option("spark.cosmos.accountEndpoint", args.cosmos_endpoint)
              .option("spark.cosmos.database", args.cosmos_database)
              .option("spark.cosmos.container", args.cosmos_container)
              .load())
        df = df.select(F.col("user").alias("user"), F.col("movie").alias("item"),
                       F.col("rating").alias("rating"), F.col("ts").alias("timestamp"))
    else:
        df = spark.read.parquet(args.input.rstrip("/") + "/ratings")
    return df.select(F.col("user").cast("int"), F.col("item").cast("int"),
                     F.col("rating").cast("float"))


def split(df, fraction, seed, salt):
    bucket = F.pmod(F.xxhash64("user", "item", F.lit(seed), F.lit(salt)), F.lit(1_000_000)) / 1_000_000.0
    marked = df.withColumn("_held", bucket < fraction)
    return marked.filter(~F.col("_held")).drop("_held"), marked.filter(F.col("_held")).drop("_held")


# ---- parameters ----

# Subtracted from every rating fed to the ranking model (docstring, step 2).
RATING_OFFSET = 1.5


# The mapped regParam is kept at or below this fraction of the mean confidence
# of the positive entries (ranking_reg_cap).
REG_CAP_FRACTION = 0.1


def ranking_reg_cap(stats):
    """The largest regParam the ranking model is given (docstring, step 2).

    Spark regularises a row by regParam * n (n its positive entries). While the
    factors are small, one update makes a row (1/regParam) times the mean of
    c * factor over its positives, so a round trip scales the factors by about
    (mean positive confidence / regParam)^2 times an eigenvalue of the
    row-normalised co-occurrence (1 for the popularity direction, well below 1
    for the personal ones). As regParam nears the mean positive confidence
    every direction shrinks each iteration and the model goes to zero: at the
    25M shape the mapping gave 2.89 against a mean positive confidence near 3.2,
    and Spark's lists scored NDCG@10 0.0006 (a tenth of its users, same items:
    the fit stopped with "A is not positive definite"). A tenth of the mean
    positive confidence keeps the personal directions growing; on ml-1m the
    mapped value (0.16) is below it and unchanged."""
    return REG_CAP_FRACTION * stats["mean_positive_confidence"]


def ranking_reg(app, stats):
    confidence = stats["mean_offset_confidence"] / stats["mean_confidence"]
    scale = 1.0
    if app.get("reg_with_unobserved"):
        w = app.get("unobserved_weight", 1.0)
        user_side = (stats["mean_user_n"] + w * stats["n_items"]) / stats["mean_user_n"]
        item_side = (stats["mean_item_n"] + w * stats["n_users"]) / stats["mean_item_n"]
        scale = (user_side + item_side) / 2.0
    return min(app["reg"] * scale * confidence, ranking_reg_cap(stats))


def fit_ranking(train, app, reg):
    train = train.withColumn("rating", (F.col("rating") - RATING_OFFSET).cast("float"))
    als = ALS(rank=app["rank"], maxIter=app["iterations"], regParam=reg, alpha=app["alpha"],
              implicitPrefs=True, seed=app["seed"], nonnegative=app.get("nonnegative", False),
              userCol="user", itemCol="item", ratingCol="rating", coldStartStrategy="drop")
    return als.fit(train)


class BiasedModel:
    """Explicit ALS on the residuals of mean + biases."""

    def __init__(self, mean, user_bias, item_bias, als_model):
        self.mean, self.user_bias, self.item_bias, self.als = mean, user_bias, item_bias, als_model


def fit_rating(train, app, stats):
    lam = app.get("bias_reg", 0.1)
    mean = train.agg(F.avg("rating")).first()[0]
    user_bias = train.select("user").distinct().withColumn("b_u", F.lit(0.0))
    item_bias = None
    for _ in range(2):
        item_bias = (train.join(user_bias, "user")
                     .groupBy("item").agg((F.sum(F.col("rating") - mean - F.col("b_u")) / (F.count("*") + lam)).alias("b_i")))
        user_bias = (train.join(item_bias, "item")
                     .groupBy("user").agg((F.sum(F.col("rating") - mean - F.col("b_i")) / (F.count("*") + lam)).alias("b_u")))
    user_bias, item_bias = user_bias.cache(), item_bias.cache()
    residual = (train.join(user_bias, "user").join(item_bias, "item")
                .select("user", "item", (F.col("rating") - mean - F.col("b_u") - F.col("b_i")).cast("float").alias("rating")))
    reg = app["reg"] * stats["mean_user_n"] ** (app.get("reg_exponent", 1.0) - 1.0)
    als = ALS(rank=app["rank"], maxIter=app["iterations"], regParam=reg, implicitPrefs=False,
              seed=app["seed"], nonnegative=app.get("nonnegative", False),
              userCol="user", itemCol="item", ratingCol="rating", coldStartStrategy="drop")
    return BiasedModel(mean, user_bias, item_bias, als.fit(residual)), reg


def predict_rating(model, pairs):
    pred = model.als.transform(pairs.select("user", "item", "rating"))
    return (pred.join(model.user_bias, "user").join(model.item_bias, "item")
            .withColumn("prediction", F.col("prediction") + model.mean + F.col("b_u") + F.col("b_i")))


# ---- evaluation ----

def stats_of(df, alpha=1.0):
    users = df.groupBy("user").count()
    items = df.groupBy("item").count()
    u = users.agg(F.count("*"), F.avg("count")).first()
    i = items.agg(F.count("*"), F.avg("count")).first()
    shifted = F.col("rating") - RATING_OFFSET
    c = df.agg(F.avg(1.0 + alpha * F.abs("rating")),
               F.avg(1.0 + alpha * F.abs(shifted)),
               F.avg(F.when(shifted > 0, 1.0 + alpha * shifted))).first()
    return {"n_users": u[0], "mean_user_n": float(u[1]), "n_items": i[0], "mean_item_n": float(i[1]),
            "mean_confidence": float(c[0]), "mean_offset_confidence": float(c[1]),
            "mean_positive_confidence": float(c[2] or 1.0)}


def list_metrics(spark, model, train, holdout, k, relevant, coverage=False):
    """Served lists and the most-popular list, measured on `holdout`."""
    items = model.itemFactors.collect()
    item_ids = np.array([r["id"] for r in items], dtype=np.int64)
    item_matrix = np.array([r["features"] for r in items], dtype=np.float32)
    train_items = set(train.select("item").distinct().rdd.map(lambda r: r[0]).collect())
    liked_counts = (train.filter(F.col("rating") >= relevant).groupBy("item").count().collect())
    popularity = sorted(((-r["count"], r["item"]) for r in liked_counts))
    popular_order = np.array([i for _, i in popularity], dtype=np.int64)
    b_ids, b_matrix, b_pop = (spark.sparkContext.broadcast(item_ids), spark.sparkContext.broadcast(item_matrix),
                              spark.sparkContext.broadcast(popular_order))
    b_train_items = spark.sparkContext.broadcast(train_items)

    liked = (holdout.filter(F.col("rating") >= relevant)
             .groupBy("user").agg(F.collect_list("item").alias("liked")))
    seen = train.groupBy("user").agg(F.collect_list("item").alias("seen"))
    # coverage: every training user gets a list (users without a liked
    # held-out movie are scored but not measured); without it only the measured.
    how = "left" if coverage else "inner"
    users = (seen.join(liked, "user", how).join(model.userFactors.withColumnRenamed("id", "user"), "user"))

    def measure(rows):
        ids, matrix, pop = b_ids.value, b_matrix.value, b_pop.value
        known = b_train_items.value
        index = {int(i): n for n, i in enumerate(ids)}
        shown = np.zeros(len(ids), dtype=bool)
        block = []

        def score(block):
            factors = np.array([r["features"] for r in block], dtype=np.float32)
            scores = factors @ matrix.T
            out = []
            for row, s in zip(block, scores):
                seen_set = set(row["seen"])
                for i in row["seen"]:
                    j = index.get(i)
                    if j is not None:
                        s[j] = -np.inf
                top = np.argpartition(-s, k - 1)[:k] if len(s) > k else np.arange(len(s))
                top = [j for j in sorted(top, key=lambda j: (-s[j], ids[j])) if np.isfinite(s[j])]
                shown[top] = True
                relevant_items = {i for i in (row["liked"] or ()) if i in known}
                if not relevant_items:
                    continue
                lists = [int(ids[j]) for j in top]
                popular = []
                for i in pop:
                    if i not in seen_set:
                        popular.append(int(i))
                        if len(popular) == k:
                            break
                out.append((quality(lists, relevant_items, k), quality(popular, relevant_items, k)))
            return out

        for row in rows:
            block.append(row)
            if len(block) == BLOCK_USERS:
                yield from (("q", q) for q in score(block))
                block = []
        if block:
            yield from (("q", q) for q in score(block))
        yield ("shown", np.flatnonzero(shown).tolist())

    results = users.rdd.mapPartitions(measure).collect()
    measured = [v for t, v in results if t == "q"]
    shown = set()
    for t, v in results:
        if t == "shown":
            shown.update(v)
    cov = len(shown) / len(item_ids) if coverage and len(item_ids) else None
    n = len(measured)
    if n == 0:
        return None, None, 0, cov
    mean = lambda which, m: sum(q[which][m] for q in measured) / n
    names = ["ndcg_at_k", "precision_at_k", "recall_at_k", "map_at_k"]
    return ({m: mean(0, j) for j, m in enumerate(names)}, {m: mean(1, j) for j, m in enumerate(names)}, n, cov)


def quality(ranked, relevant, k):
    hits, dcg, ap = 0, 0.0, 0.0
    for pos, item in enumerate(ranked[:k]):
        if item in relevant:
            hits += 1
            dcg += 1.0 / math.log2(pos + 2)
            ap += hits / (pos + 1)
    ideal = sum(1.0 / math.log2(p + 2) for p in range(min(len(relevant), k)))
    denom = min(len(relevant), k)
    return (dcg / ideal, hits / k, hits / len(relevant), ap / denom)


# ---- output ----

def write_ranking(spark, model, path, extras):
    model.write().overwrite().save(path)
    write_text(spark, path + "/movierec/model.json", json.dumps(extras, indent=2))


def write_rating(spark, model, path, extras):
    model.als.write().overwrite().save(path)
    schema = StructType([StructField("id", IntegerType(), False),
                         StructField("features", ArrayType(FloatType(), False), True)])
    mean = float(model.mean)
    users = (model.als.userFactors.join(model.user_bias.withColumnRenamed("user", "id"), "id")
             .rdd.map(lambda r: (int(r["id"]), [float(x) for x in r["features"]] + [float(r["b_u"]), 1.0])))
    items = (model.als.itemFactors.join(model.item_bias.withColumnRenamed("item", "id"), "id")
             .rdd.map(lambda r: (int(r["id"]), [float(x) for x in r["features"]] + [1.0, mean + float(r["b_i"])])))
    # Written beside, then moved over Spark's own factor folders.
    for name, rdd in (("userFactors", users), ("itemFactors", items)):
        spark.createDataFrame(rdd, schema).write.mode("overwrite").parquet(path + "/_" + name)
        fs, p = _fs_path(spark, path + "/" + name)
        fs.delete(p, True)
        fs.rename(_fs_path(spark, path + "/_" + name)[1], p)
    meta_path = metadata_file(spark, path)
    meta = json.loads(read_text(spark, meta_path))
    meta["rank"] = meta["rank"] + 2
    write_text(spark, meta_path, json.dumps(meta))
    write_text(spark, path + "/movierec/model.json", json.dumps(extras, indent=2))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--input", help="the export folder (ratings/, params.json)")
    p.add_argument("--output", required=True, help="the folder to write (ranking/, rating/, _SUCCESS)")
    p.add_argument("--params", help="params.json (default: INPUT/params.json)")
    p.add_argument("--master", help="local[2] and the like; leave out on a cluster")
    p.add_argument("--no-coverage", action="store_true",
                   help="skip coverage_at_k (scores every training user once more; null in the metrics)")
    p.add_argument("--cosmos-endpoint")
    p.add_argument("--cosmos-database", default="movierec")
    p.add_argument("--cosmos-container", default="ratings")
    args = p.parse_args()
    if not args.params and not args.input:
        p.error("give --input (an export folder) or --params with --cosmos-endpoint")
    spark = session(args.master)
    params = json.loads(read_text(spark, args.params or args.input.rstrip("/") + "/params.json"))
    rank_app, rate_app = params["ranking"], params["rating"]
    k, relevant = params["k"], params["relevant"]
    out = args.output.rstrip("/")
    seconds = {}

    started = time.time()
    ratings = read_ratings(spark, args).cache()
    n_ratings = ratings.count()
    train, holdout = split(ratings, params["holdout_fraction"], params["holdout_seed"], 0)
    train, holdout = train.cache(), holdout.cache()
    stats = stats_of(train, rank_app["alpha"])
    seconds["read_split"] = time.time() - started

    started = time.time()
    base_reg = ranking_reg(rank_app, stats)
    candidates = []
    chosen = base_reg
    if params.get("ranking_tune"):
        fit_part, validation = split(train, params["holdout_fraction"], params["holdout_seed"], 1)
        fit_part, validation = fit_part.cache(), validation.cache()
        for reg in (0.5 * base_reg, base_reg, 2.0 * base_reg):
            quality_, _, _, _ = list_metrics(spark, fit_ranking(fit_part, rank_app, reg), fit_part, validation, k, relevant)
            candidates.append({"reg": reg, "validation_ndcg": quality_ and quality_["ndcg_at_k"]})
        chosen = max(candidates, key=lambda c: c["validation_ndcg"] or -1)["reg"]
    tuning_seconds = time.time() - started

    started = time.time()
    ranking = fit_ranking(train, rank_app, chosen)
    ranking_seconds = time.time() - started
    started = time.time()
    rating, rating_reg = fit_rating(train, rate_app, stats)
    rating_seconds = time.time() - started

    started = time.time()
    lists, popular, n_list_users, coverage = list_metrics(spark, ranking, train, holdout, k, relevant,
                                                         coverage=not args.no_coverage)
    errors = predict_rating(rating, holdout).select(
        F.sqrt(F.avg((F.col("prediction") - F.col("rating")) ** 2)).alias("rmse"),
        F.avg(F.abs(F.col("prediction") - F.col("rating"))).alias("mae"),
        F.count("*").alias("n")).first()
    seconds["evaluate"] = time.time() - started
    n_holdout = holdout.count()
    metrics = {
        "k": k, **(lists or {}), "coverage_at_k": coverage, "popular": popular or {},
        "rmse": errors["rmse"], "mae": errors["mae"],
        "n_ratings": n_ratings, "n_train": n_ratings - n_holdout, "n_holdout": n_holdout,
        "n_holdout_scored": errors["n"], "n_list_users": n_list_users,
        "ranking_train_seconds": ranking_seconds, "rating_train_seconds": rating_seconds,
        "tuning_seconds": tuning_seconds, "reg_candidates": candidates,
        "trainer": f"spark {spark.version}",
        "spark_params": {
            "ranking": {"rank": rank_app["rank"], "maxIter": rank_app["iterations"], "regParam": chosen,
                        "alpha": rank_app["alpha"], "implicitPrefs": True, "seed": rank_app["seed"],
                        "nonnegative": rank_app.get("nonnegative", False), "mapped_regParam": base_reg,
                        "regParam_cap": ranking_reg_cap(stats),
                        "rating_offset": RATING_OFFSET,
                        "app_reg": rank_app["reg"], "app_reg_chosen": rank_app["reg"] * chosen / base_reg},
            "rating": {"rank": rate_app["rank"], "maxIter": rate_app["iterations"], "regParam": rating_reg,
                       "implicitPrefs": False, "seed": rate_app["seed"], "bias_reg": rate_app.get("bias_reg", 0.1),
                       "bias_passes": 2, "nonnegative": rate_app.get("nonnegative", False)},
            "mapping": "see the docstring of tools/spark/train_models.py"},
    }

    started = time.time()
    full_stats = stats_of(ratings, rank_app["alpha"])
    final_ranking = fit_ranking(ratings, rank_app, chosen)
    final_rating, final_rating_reg = fit_rating(ratings, rate_app, full_stats)
    seconds["refit"] = time.time() - started
    started = time.time()
    # The params describe the loss Spark fitted (fold-in solves one row of it):
    # regParam scaled by n, preference 1 above the offset; the app's values are
    # in spark_params.
    ranking_params = dict(rank_app, reg=chosen, reg_with_unobserved=False, preference_scale=0.0,
                          rating_offset=RATING_OFFSET)
    rating_params = dict(rate_app, reg=final_rating_reg, reg_exponent=1.0)
    write_ranking(spark, final_ranking, out + "/ranking",
                  {"format": 1, "layout": "plain", "latent_rank": rank_app["rank"],
                   "params": ranking_params, "metrics": metrics})
    write_rating(spark, final_rating, out + "/rating",
                 {"format": 1, "layout": "biased", "latent_rank": rate_app["rank"],
                  "params": rating_params, "metrics": metrics})
    write_text(spark, out + "/_SUCCESS", "")
    seconds["write"] = time.time() - started
    seconds.update(ranking_train=ranking_seconds, rating_train=rating_seconds, tuning=tuning_seconds)
    print(json.dumps({"metrics": metrics, "seconds": seconds}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
