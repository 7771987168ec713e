"""Spark ALS, the reference peer for movierec's interoperability test and benchmark.

Commands (each starts one local Spark session):
  interop   train Spark ALS on a ratings CSV, save it, write its predictions for
            given pairs; then load a model directory written by movierec with
            ALSModel.load and write its predictions for given pairs.
  bench     train Spark ALS on a train CSV once per seed, evaluate RMSE/MAE on a
            test CSV (coldStartStrategy=drop), time the fit and (first seed)
            recommendForAllUsers, print one JSON object.
  save      train Spark ALS on a ratings CSV, keeping its column names as userCol
            and itemCol, save it with Spark's own writer (model.write().save),
            and write its predictions for the given users and every item it
            knows. --model, --predictions and --implicit (true or false:
            implicitPrefs) repeat, once per model.

Ratings CSVs are user,item,rating[,timestamp] with a header (movierec split's output).
"""
import argparse
import json
import math
import os
import sys
import time


def session(threads):
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master(f"local[{threads}]")
        .appName("movierec-spark-peer")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", os.environ.get("SPARK_DRIVER_MEMORY", "4g"))
        .config("spark.sql.shuffle.partitions", "8")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def read_ratings(spark, path):
    from pyspark.sql.types import FloatType, IntegerType, StructField, StructType, LongType

    df = spark.read.csv(path, header=True, inferSchema=False)
    cols = df.columns
    return df.select(
        df[cols[0]].cast(IntegerType()).alias("user"),
        df[cols[1]].cast(IntegerType()).alias("item"),
        df[cols[2]].cast(FloatType()).alias("rating"),
    )


def read_pairs(spark, path):
    from pyspark.sql.types import IntegerType

    df = spark.read.csv(path, header=True)
    return df.select(df["user"].cast(IntegerType()).alias("user"), df["item"].cast(IntegerType()).alias("item"))


def write_predictions(df, path):
    rows = df.select("user", "item", "prediction").collect()
    with open(path, "w") as f:
        f.write("user,item,prediction\n")
        for r in rows:
            p = r["prediction"]
            f.write(f"{r['user']},{r['item']},{'nan' if p is None or math.isnan(p) else repr(float(p))}\n")


def cmd_interop(a):
    from pyspark.ml.recommendation import ALS, ALSModel

    spark = session(a.threads)
    ratings = read_ratings(spark, a.ratings).repartition(4)
    als = ALS(rank=a.rank, maxIter=a.iterations, regParam=a.reg, seed=a.seed, userCol="user", itemCol="item", ratingCol="rating")
    model = als.fit(ratings)
    model.write().overwrite().save(a.spark_model)
    write_predictions(model.transform(read_pairs(spark, a.spark_pairs)), a.spark_predictions)

    # --our-model and --our-predictions may repeat (one predictions file per model)
    for model_dir, predictions in zip(a.our_model, a.our_predictions, strict=True):
        ours = ALSModel.load(model_dir)
        write_predictions(ours.transform(read_pairs(spark, a.our_pairs)), predictions)
    spark.stop()


def cmd_bench(a):
    from pyspark.ml.evaluation import RegressionEvaluator
    from pyspark.ml.recommendation import ALS

    spark = session(a.threads)
    train = read_ratings(spark, a.train).cache()
    test = read_ratings(spark, a.test).cache()
    n_train, n_test = train.count(), test.count()
    runs = []
    for i, seed in enumerate(int(s) for s in a.seeds.split(",")):
        als = ALS(rank=a.rank, maxIter=a.iterations, regParam=a.reg, seed=seed, userCol="user", itemCol="item",
                  ratingCol="rating", coldStartStrategy="drop")
        t0 = time.perf_counter()
        model = als.fit(train)
        model.userFactors.count()
        model.itemFactors.count()
        run = {"seed": seed, "train_seconds": time.perf_counter() - t0}
        predictions = model.transform(test).cache()
        run["rmse"] = RegressionEvaluator(metricName="rmse", labelCol="rating").evaluate(predictions)
        run["mae"] = RegressionEvaluator(metricName="mae", labelCol="rating").evaluate(predictions)
        run["n_test_scored"] = predictions.count()
        if i == 0 and not a.no_recommend:
            t0 = time.perf_counter()
            run["n_lists"] = model.recommendForAllUsers(a.k).count()
            run["recommend_all_seconds"] = time.perf_counter() - t0
        runs.append(run)
    print(json.dumps({"n_train": n_train, "n_test": n_test, "spark_version": spark.version,
                      "threads": a.threads, "rank": a.rank, "iterations": a.iterations, "reg": a.reg, "runs": runs}))
    spark.stop()


def cmd_save(a):
    from pyspark.ml.recommendation import ALS
    from pyspark.sql.types import FloatType, IntegerType

    spark = session(a.threads)
    df = spark.read.csv(a.ratings, header=True)
    user_col, item_col, rating_col = df.columns[:3]
    ratings = df.select(
        df[user_col].cast(IntegerType()).alias(user_col),
        df[item_col].cast(IntegerType()).alias(item_col),
        df[rating_col].cast(FloatType()).alias(rating_col),
    ).repartition(4)
    users = spark.createDataFrame([(int(u),) for u in a.users.split(",")], [user_col])
    for model_dir, predictions, implicit in zip(a.model, a.predictions, a.implicit, strict=True):
        als = ALS(rank=a.rank, maxIter=a.iterations, regParam=a.reg, seed=a.seed, implicitPrefs=implicit,
                  alpha=a.alpha, userCol=user_col, itemCol=item_col, ratingCol=rating_col)
        model = als.fit(ratings)
        model.write().overwrite().save(model_dir)
        pairs = users.crossJoin(model.itemFactors.select(model.itemFactors["id"].alias(item_col)))
        write_predictions(model.transform(pairs).withColumnRenamed(user_col, "user")
                          .withColumnRenamed(item_col, "item"), predictions)
    spark.stop()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("interop", "bench", "save"):
        s = sub.add_parser(name)
        s.add_argument("--rank", type=int, default=10)
        s.add_argument("--iterations", type=int, default=10)
        s.add_argument("--reg", type=float, default=0.1)
        s.add_argument("--seed", type=int, default=42)
        s.add_argument("--threads", default="*")
    i = sub.choices["interop"]
    for arg in ("--ratings", "--spark-model", "--spark-pairs", "--spark-predictions", "--our-pairs"):
        i.add_argument(arg, required=True)
    for arg in ("--our-model", "--our-predictions"):
        i.add_argument(arg, required=True, action="append")
    b = sub.choices["bench"]
    b.add_argument("--train", required=True)
    b.add_argument("--test", required=True)
    b.add_argument("--k", type=int, default=10)
    b.add_argument("--seeds", default="42", help="comma-separated seeds, one fit each")
    b.add_argument("--no-recommend", action="store_true", help="skip timing recommendForAllUsers")
    v = sub.choices["save"]
    v.add_argument("--ratings", required=True)
    v.add_argument("--users", required=True, help="comma-separated user ids to predict for")
    v.add_argument("--alpha", type=float, default=1.0)
    for arg in ("--model", "--predictions"):
        v.add_argument(arg, required=True, action="append")
    v.add_argument("--implicit", action="append", type=lambda x: x == "true", required=True,
                   help="true or false, once per --model")
    a = p.parse_args()
    {"interop": cmd_interop, "bench": cmd_bench, "save": cmd_save}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
