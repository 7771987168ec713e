//! Any Spark ALSModel enters: Spark trains ALS on the bundled ratings
//! (columns userId, movieId, rating) and saves it with its own writer,
//! `model.write().overwrite().save(DIR)` (tools/spark_peer.py `save`), once
//! explicit and once with implicitPrefs. `movierec model import DIR`, with
//! no flag, records each on a store holding those ratings, inferring
//! implicit or explicit from them (Spark's metadata does not record it) and
//! saying so; RecommendAllUsers publishes it through RecommendShard
//! invocations, and `GET /recommendations/{user}` serves its lists under the
//! imported version: the scores and (explicit) predicted ratings are Spark's
//! own predictions, an implicit model serves no predicted rating, and each
//! list is Spark's best unrated movies. The external mode takes the same
//! directory from under MOVIEREC_EXTERNAL_MODELS (RetrainModel with
//! MOVIEREC_TRAINER=external), once, passing over one still being written,
//! and the version it records is published and served the same way. Also:
//! the clear errors (implicit or explicit neither stated nor inferable, by
//! the command and by the external mode, which then records nothing; a
//! folder that is neither layout).
//!
//! Needs a Python with pyspark (see spark_interop.rs): skips without one,
//! unless `MOVIEREC_REQUIRE_SPARK=1`.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use crate::common::*;
use movierec::jobs::runtime;
use movierec::settings::{ExternalModels, Settings, Trainer};
use movierec::standalone::bootstrap::import_movielens;
use movierec::state::AppState;
use movierec_fakehost::{FakeHost, TimerPayload};
use movierec_store::{ModelStatus, SqliteStore, Store};

/// The users whose lists are checked against Spark's predictions.
const USERS: [i32; 3] = [1, 2, 610];

fn import(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_movierec"))
        .args(["model", "import"])
        .args(args)
        .env("MOVIEREC_STORE", store)
        .output()
        .unwrap()
}

fn import_ok(store: &Path, args: &[&str]) -> String {
    let out = import(store, args);
    assert!(
        out.status.success(),
        "movierec model import {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn import_err(store: &Path, args: &[&str]) -> String {
    let out = import(store, args);
    assert!(
        !out.status.success(),
        "movierec model import {args:?} worked"
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Copies the directory `from` to `to` (files and folders, recursively).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// Checks `user`'s served list against Spark's predictions: served under
/// `version`, each score Spark's prediction, the predicted rating Spark's
/// (explicit) or absent (implicit), and no unrated movie Spark ranks above
/// the list's last. Returns how many items were checked.
async fn check_list(
    host: &FakeHost,
    user: i32,
    version: u64,
    spark: &HashMap<(i32, i32), Option<f32>>,
    rated: &HashSet<(i32, i32)>,
    explicit: bool,
) -> usize {
    let got = host.get(&format!("/recommendations/{user}")).await.unwrap();
    assert_eq!(got.status, 200, "{}", String::from_utf8_lossy(&got.body));
    let body: serde_json::Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(body["model_version"], version, "{body}");
    assert_eq!(body["source"], "batch", "{body}");
    let items = body["items"].as_array().unwrap();
    assert!(items.len() >= 10, "{body}");
    let close = |a: f32, b: f32| (a - b).abs() <= 1e-4 * b.abs().max(1.0);
    let mut last = f32::INFINITY;
    for item in items {
        let movie = item["movie_id"].as_i64().unwrap() as i32;
        assert!(!rated.contains(&(user, movie)), "{user} rated {movie}");
        let want =
            spark[&(user, movie)].unwrap_or_else(|| panic!("{user}/{movie}: Spark predicts NaN"));
        let score = item["score"].as_f64().unwrap() as f32;
        assert!(
            close(score, want),
            "{user}/{movie}: score {score}, Spark {want}"
        );
        let predicted = item["predicted_rating"].as_f64().map(|p| p as f32);
        if explicit {
            let p = predicted.unwrap_or_else(|| panic!("{user}/{movie}: no predicted rating"));
            assert!(
                close(p, want),
                "{user}/{movie}: predicted {p}, Spark {want}"
            );
        } else {
            assert_eq!(predicted, None, "an implicit model predicts no rating");
        }
        last = last.min(score);
    }
    let listed: HashSet<i32> = items
        .iter()
        .map(|i| i["movie_id"].as_i64().unwrap() as i32)
        .collect();
    let better = spark
        .iter()
        .filter(|(&(u, m), &p)| {
            u == user
                && !rated.contains(&(u, m))
                && !listed.contains(&m)
                && p.is_some_and(|p| p > last + 1e-4)
        })
        .count();
    assert_eq!(
        better, 0,
        "{user}: Spark ranks {better} unlisted movies above the list"
    );
    items.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_spark_als_model_is_imported_published_and_served() {
    let Some(python) = pyspark_python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name);
    let ratings = bundled_ratings();

    // Spark: both models, saved by Spark's own writer, and their predictions.
    let users = USERS.map(|u| u.to_string()).join(",");
    let spark = Command::new(&python)
        .arg(root().join("tools/spark_peer.py"))
        .args(["save", "--threads", "2", "--rank", "8", "--iterations", "8"])
        .args(["--ratings", s(&ratings), "--users", &users])
        .args(["--model", s(&d("explicit")), "--predictions"])
        .args([s(&d("explicit.csv")), "--implicit", "false"])
        .args(["--model", s(&d("implicit")), "--predictions"])
        .args([s(&d("implicit.csv")), "--implicit", "true"])
        .output()
        .unwrap();
    assert!(
        spark.status.success(),
        "spark_peer.py save failed:\n{}",
        String::from_utf8_lossy(&spark.stderr)
    );
    // What Spark wrote: no _SUCCESS at the top, one in each folder.
    assert!(!d("explicit/_SUCCESS").exists());
    assert!(d("explicit/itemFactors/_SUCCESS").is_file());

    // A fresh store holding the ratings Spark trained on.
    let store_dir = d("store");
    {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&store_dir).unwrap());
        let state = AppState::new(Settings::for_tests(store_dir.clone()), store);
        import_movielens(&state, &root().join("data/ml-latest-small"))
            .await
            .unwrap();
    }
    let rated: HashSet<(i32, i32)> = rated_pairs(&ratings)
        .into_iter()
        .map(|(u, m, _)| (u, m))
        .collect();

    // The errors: implicit or explicit neither stated nor inferable (an
    // empty store has no rating to infer from); neither layout.
    let empty = d("empty");
    let err = import_err(&empty, &[s(&d("explicit"))]);
    assert!(
        err.contains("does not record whether it was trained with implicitPrefs")
            && err.contains("the stored ratings do not settle it")
            && err.contains("no stored rating is of a user and a movie it knows")
            && err.contains("--explicit")
            && err.contains("--implicit")
            && err.contains("rank 8, Spark "),
        "{err}"
    );
    std::fs::create_dir_all(d("neither/userFactors")).unwrap();
    let err = import_err(&store_dir, &[s(&d("neither"))]);
    assert!(
        err.contains("neither a training job's folder")
            && err.contains("it lacks ranking/, rating/, _SUCCESS")
            && err.contains("nor a Spark ALSModel directory")
            && err.contains("it lacks metadata/, itemFactors/"),
        "{err}"
    );

    // The external mode cannot infer it either on the empty store: the run
    // fails with the same words, records nothing and marks nothing imported.
    let root = d("external");
    copy_dir(&d("explicit"), &root.join("20260101T0000"));
    {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&empty).unwrap());
        let mut settings = Settings::for_tests(empty.clone());
        settings.trainer = Trainer::External(ExternalModels::Folder(root.clone()));
        let state = AppState::new(settings, store.clone());
        let err = runtime::retrain(&state).await.unwrap_err();
        let err = format!("{:#}", anyhow::Error::from(err));
        assert!(
            err.contains("MOVIEREC_TRAINER=external")
                && err.contains("20260101T0000 was not imported and nothing was recorded")
                && err.contains("no stored rating is of a user and a movie it knows")
                && err.contains("the external mode takes no --explicit or --implicit")
                && err.contains("--explicit` (or `--implicit`) and move it out of"),
            "{err}"
        );
        assert!(store.models().await.unwrap().is_empty());
        assert_eq!(
            store.marker("external-models:imported").await.unwrap(),
            None
        );
    }

    // Explicit, no flag: inferred from the stored ratings, said so with the
    // figures, and recorded as promoted at the operator's word.
    let said = import_ok(&store_dir, &[s(&d("explicit"))]);
    eprintln!("{said}");
    assert!(
        said.contains("model version 1 promoted")
            && said.contains("Spark ALSModel (rank 8, explicit, Spark ")
            && said.contains("explicit inferred from the stored ratings")
            && said.contains("its mean prediction on the 100836 stored ratings it knows is")
            && said.contains("within 25% of the mean rating")
            && said.contains("not a holdout")
            && said.contains("it knows 610 of the 610 users")
            && said.contains("a training error")
            && said.contains("regParam 0.1"),
        "{said}"
    );
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&store_dir).unwrap());
    let record = store.promoted_model().await.unwrap().unwrap();
    assert_eq!((record.version, record.status), (1, ModelStatus::Promoted));
    assert_eq!(record.params["spark"]["userCol"], "userId");
    assert_eq!(record.params["spark"]["itemCol"], "movieId");
    let origin = record.params["origins"]["implicitPrefs"].as_str().unwrap();
    assert!(
        origin.starts_with("inferred from the stored ratings"),
        "{origin}"
    );
    let inferred = &record.params["inferred"];
    assert_eq!(inferred["implicit"], false, "{inferred}");
    assert_eq!(inferred["ratings_known"], 100_836, "{inferred}");
    let mean_rating = inferred["mean_rating"].as_f64().unwrap();
    assert!((mean_rating - 3.5016).abs() < 1e-3, "{inferred}");
    assert_eq!(record.params["rating"]["implicit"], false);
    assert_eq!(record.metrics.lists.ndcg_at_k, None, "{:?}", record.metrics);
    assert_eq!(record.metrics.rmse, None, "{:?}", record.metrics);
    let seen = record.metrics.seen_data.as_ref().unwrap();
    let fit = seen.fit_rmse.unwrap();
    assert!(fit > 0.0 && fit < 1.0, "{seen:?}");

    // One instance serves throughout; its RetrainModel imports from `root`.
    let instance = hosted_instance(
        &store_dir,
        &[
            ("MOVIEREC_TRAINER", "external"),
            ("MOVIEREC_EXTERNAL_MODELS", s(&root)),
        ],
    );
    let host = &instance.host;
    host.wait_until_ready(Duration::from_secs(20))
        .await
        .unwrap();
    publish_through_host(host).await;
    let explicit = read_predictions(&d("explicit.csv"));
    for user in USERS {
        check_list(host, user, 1, &explicit, &rated, true).await;
    }

    // Implicit, no flag: inferred, lists only, no predicted ratings.
    let said = import_ok(&store_dir, &[s(&d("implicit"))]);
    eprintln!("{said}");
    assert!(
        said.contains("model version 2 promoted")
            && said.contains("(rank 8, implicit, Spark ")
            && said.contains("implicit inferred from the stored ratings")
            && said.contains("as implicit ALS predicts a preference in [0, 1]")
            && said.contains("serves the lists only")
            && !said.contains("training error"),
        "{said}"
    );
    let record = store.promoted_model().await.unwrap().unwrap();
    assert_eq!(record.version, 2);
    assert!(record.params["rating"].is_null());
    assert_eq!(record.params["inferred"]["implicit"], true);
    assert!(
        record.params["inferred"]["mean_prediction"]
            .as_f64()
            .unwrap()
            <= 1.3
    );
    publish_through_host(host).await;
    let implicit = read_predictions(&d("implicit.csv"));
    for user in USERS {
        check_list(host, user, 2, &implicit, &rated, false).await;
    }

    // The external mode: the plain explicit directory under the root is
    // imported (a newer one still being written is passed over), inferred
    // explicit, published and served; the next run skips it.
    let writing = root.join("20260102T0000");
    copy_dir(&d("implicit"), &writing);
    std::fs::remove_file(writing.join("itemFactors/_SUCCESS")).unwrap();
    let fired = host
        .fire_timer("RetrainModel", &TimerPayload::new(false, false))
        .await
        .unwrap();
    assert_eq!(fired.status, 200, "{}", fired.text);
    let done = &fired.body["ReturnValue"];
    assert_eq!(done["outcome"], "done", "{}", fired.text);
    assert_eq!(done["version"], 3, "{}", fired.text);
    assert_eq!(done["status"], "promoted", "{}", fired.text);
    let decision = done["decision"].as_str().unwrap();
    assert!(
        decision.contains("taken by the external mode")
            && decision.contains("explicit inferred from the stored ratings")
            && decision.contains("20260101T0000"),
        "{decision}"
    );
    let record = store.promoted_model().await.unwrap().unwrap();
    assert_eq!(record.version, 3);
    assert_eq!(record.params["inferred"]["implicit"], false);
    publish_through_host(host).await;
    for user in USERS {
        check_list(host, user, 3, &explicit, &rated, true).await;
    }
    let again = host
        .fire_timer("RetrainModel", &TimerPayload::new(false, false))
        .await
        .unwrap();
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(
        again.body["ReturnValue"]["outcome"], "skipped",
        "{}",
        again.text
    );
    assert_eq!(store.promoted_model().await.unwrap().unwrap().version, 3);
}

/// Without Spark: a model `movierec train --save` wrote is the same layout,
/// with movierec/model.json saying how it was trained, so nothing needs
/// stating; options meant for a plain model are refused on a job's folder.
#[test]
fn a_model_movierec_saved_needs_nothing_stated_and_a_job_folder_takes_no_options() {
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name);
    let ratings = bundled_ratings();
    let train = |out: &Path, extra: &[&str]| {
        let mut args = vec!["train", "--ratings", s(&ratings), "--save", s(out)];
        args.extend_from_slice(&["--rank", "4", "--iterations", "2"]);
        args.extend_from_slice(extra);
        movierec_ok(&args);
    };
    train(&d("ours"), &["--ranking"]);
    let store = d("store");
    let said = import_ok(&store, &[s(&d("ours"))]);
    assert!(
        said.contains("model version 1 promoted")
            && said.contains("Spark ALSModel saved by movierec (rank 4, implicit, Spark ")
            && said.contains("no ratings are stored, so nothing was measured")
            && !said.contains("assumed"),
        "{said}"
    );
    let err = import_err(&store, &[s(&d("ours")), "--explicit"]);
    assert!(err.contains("contradict"), "{err}");

    // A job's folder records its own parameters.
    train(&d("job/ranking"), &["--ranking"]);
    train(&d("job/rating"), &[]);
    std::fs::write(d("job/_SUCCESS"), b"").unwrap();
    let err = import_err(&store, &[s(&d("job")), "--implicit"]);
    assert!(
        err.contains("is a training job's folder") && err.contains("plain Spark ALSModel"),
        "{err}"
    );
}
