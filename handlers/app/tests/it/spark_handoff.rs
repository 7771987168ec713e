//! Past one machine, end to end on ml-1m: the app ingests 90% of ml-1m
//! through IngestRatings (the host's Event Hub batches), `movierec export
//! ratings` writes Parquet, tools/spark/train_models.py trains both models
//! on Spark `local[2]`, `movierec model import` records them through the
//! gate, RecommendAllUsers publishes them through RecommendShard
//! invocations, and `GET /recommendations/{user}` serves Spark's lists. Their
//! NDCG@10 on the other 10% is compared with the in-process model's, trained
//! on the same store with the same parameters and served the same way.
//!
//! The issue asks for "within 5%"; measured here Spark's lists are 3.3% below
//! (0.2807 against 0.2903). The job feeds Spark `rating - 1.5` (a rating of 1
//! states "not liked"), the nearest Spark's ALS comes to movierec's graded
//! preference; fed raw ratings they were 7.1% below (0.2697).
//!
//! Needs ../shared (ml-1m) and a Python with pyspark (see spark_interop.rs).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::common::*;
use movierec_fakehost::{EventBatch, FakeHost, TimerPayload};

/// The parameters both trainers get: smaller than the defaults, so the test
/// stays inside CI's time (Spark at rank 128 takes minutes per fit here).
const PARAMS: &[(&str, &str)] = &[
    ("MOVIEREC_RANKING_RANK", "32"),
    ("MOVIEREC_RANKING_ITERATIONS", "10"),
    ("MOVIEREC_RANK", "16"),
    ("MOVIEREC_ITERATIONS", "10"),
    ("MOVIEREC_RANKING_TUNE", "false"),
    ("MOVIEREC_SHARD_USERS", "1000"),
];

fn cli(store: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_movierec"))
        .args(args)
        .env("MOVIEREC_STORE", store)
        .envs(PARAMS.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "movierec {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// NDCG@10 of the served lists (binary gains), over the test users with a
/// liked movie the training part knows.
async fn served_ndcg(host: &FakeHost, liked: &HashMap<i32, HashSet<i32>>) -> (f64, u64) {
    let mut total = 0.0;
    let mut version = 0;
    for (user, relevant) in liked {
        let got = host.get(&format!("/recommendations/{user}")).await.unwrap();
        assert_eq!(got.status, 200);
        let body: serde_json::Value = serde_json::from_slice(&got.body).unwrap();
        version = body["model_version"].as_u64().unwrap();
        let mut dcg = 0.0;
        for (pos, item) in body["items"]
            .as_array()
            .unwrap()
            .iter()
            .take(10)
            .enumerate()
        {
            if relevant.contains(&(item["movie_id"].as_i64().unwrap() as i32)) {
                dcg += 1.0 / ((pos + 2) as f64).log2();
            }
        }
        let ideal: f64 = (0..relevant.len().min(10))
            .map(|p| 1.0 / ((p + 2) as f64).log2())
            .sum();
        total += dcg / ideal;
    }
    (total / liked.len() as f64, version)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spark_trains_on_the_export_and_the_app_serves_its_lists() {
    let Some(python) = pyspark_python() else {
        return;
    };
    let Some(ml1m) = shared_data("ml-1m/derived/ratings_user_movie_rating.csv") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (train, test) = (dir.path().join("train.csv"), dir.path().join("test.csv"));
    movierec_ok(&[
        "split",
        "--ratings",
        s(&ml1m),
        "--train-out",
        s(&train),
        "--test-out",
        s(&test),
        "--seed",
        "42",
    ]);
    let store = dir.path().join("store");

    // Ingest: the generator's events, in the host's batches.
    let instance = hosted_instance(&store, PARAMS);
    let host = &instance.host;
    host.wait_until_ready(Duration::from_secs(20))
        .await
        .unwrap();
    let train_pairs = rated_pairs(&train);
    let mut sequence = 0;
    for chunk in train_pairs.chunks(2_000) {
        let events = chunk.iter().map(|(u, m, r)| {
            format!(r#"{{"UserId":{u},"MovieId":{m},"Rating":{r},"Timestamp":978300000}}"#)
        });
        let batch = EventBatch::new("0", sequence, events);
        sequence += chunk.len() as i64;
        let answer = host.deliver_events("IngestRatings", &batch).await.unwrap();
        assert_eq!(answer.status, 200, "{}", answer.text);
    }

    // Export, Spark, import.
    let export = dir.path().join("export");
    let said = cli(&store, &["export", "ratings", "--out", s(&export)]);
    assert!(
        said.contains(&format!("exported {} ratings", train_pairs.len())),
        "{said}"
    );
    let models = dir.path().join("models/1");
    let spark = Command::new(&python)
        .arg(root().join("tools/spark/train_models.py"))
        .args([
            "--input",
            s(&export),
            "--output",
            s(&models),
            "--master",
            "local[2]",
        ])
        .output()
        .unwrap();
    assert!(
        spark.status.success(),
        "the Spark job failed:\n{}",
        String::from_utf8_lossy(&spark.stderr)
    );
    let said = cli(&store, &["model", "import", s(&models)]);
    assert!(said.contains("model version 1 promoted"), "{said}");

    // What the test users liked, among the movies the training part knows.
    let known: HashSet<i32> = train_pairs.iter().map(|p| p.1).collect();
    let mut liked: HashMap<i32, HashSet<i32>> = HashMap::new();
    for (u, m, r) in rated_pairs(&test) {
        if r >= 4.0 && known.contains(&m) {
            liked.entry(u).or_default().insert(m);
        }
    }
    assert!(liked.len() > 5_000);

    assert!(
        publish_through_host(host).await > 1,
        "ml-1m's 6040 users take several shards of 1000"
    );
    let (spark_ndcg, version) = served_ndcg(host, &liked).await;
    assert_eq!(version, 1, "the lists served are Spark's");

    // The in-process model on the same store, same parameters, served the same way.
    let retrained = host
        .fire_timer("RetrainModel", &TimerPayload::new(false, false))
        .await
        .unwrap();
    assert_eq!(retrained.status, 200, "{}", retrained.text);
    assert!(retrained.text.contains("promoted"), "{}", retrained.text);
    publish_through_host(host).await;
    let (app_ndcg, version) = served_ndcg(host, &liked).await;
    assert_eq!(version, 2);
    eprintln!(
        "served NDCG@10 on the ml-1m holdout: Spark {spark_ndcg:.4}, in-process {app_ndcg:.4}"
    );
    assert!(
        spark_ndcg >= 0.95 * app_ndcg,
        "Spark's lists NDCG@10 {spark_ndcg:.4} is not within 5% of the in-process model's {app_ndcg:.4}"
    );
}
