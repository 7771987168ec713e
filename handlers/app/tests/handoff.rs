//! The handoff to an external trainer: `movierec export ratings` writes
//! every stored rating (and the catalogue, and the app's parameters) as the
//! Spark job reads them; `movierec model import` and RetrainModel with
//! MOVIEREC_TRAINER=external record a job's folder through the promotion
//! gate. The Spark job itself runs in spark_handoff.rs.

mod common;

use std::sync::Arc;

use movierec::handoff::export::export;
use movierec::handoff::params::TrainingParams;
use movierec::handoff::ratings_parquet::read_parts;
use movierec::jobs::{retrain, JobOutcome, Skip};
use movierec::models::{load_model_version, ModelMetrics};
use movierec::settings::{Settings, Trainer};
use movierec::standalone::bootstrap::import_movielens;
use movierec::state::AppState;
use movierec_core::model_files::{save_model, ModelExtras};
use movierec_store::{ModelStatus, SqliteStore, Store};

use common::*;

async fn bundled_store(dir: &std::path::Path) -> AppState {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir).unwrap());
    let mut settings = Settings::for_tests(dir.to_path_buf());
    settings.ranking_tune = false;
    let state = AppState::new(settings, store);
    import_movielens(&state, &root().join("data/ml-latest-small"))
        .await
        .unwrap();
    state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_writes_every_stored_rating_the_catalogue_and_the_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let state = bundled_store(&dir.path().join("store")).await;
    let out = dir.path().join("export");
    let report = export(state.store.as_ref(), &state.settings, &out)
        .await
        .unwrap();
    assert_eq!(report.ratings, 100_836);
    assert!(out.join("_SUCCESS").is_file());

    let mut exported = read_parts(&out.join("ratings")).unwrap();
    let mut stored = state.store.all_ratings().await.unwrap();
    exported.sort_by_key(|r| (r.user, r.movie));
    stored.sort_by_key(|r| (r.user, r.movie));
    assert_eq!(exported, stored);
    assert!(out.join("movies/part-00000.parquet").is_file());
    assert_eq!(report.movies, 9_724, "every rated movie of ml-latest-small");

    let params: TrainingParams =
        serde_json::from_str(&std::fs::read_to_string(out.join("params.json")).unwrap()).unwrap();
    assert_eq!(params, TrainingParams::from_settings(&state.settings));
    assert!(params.ranking.implicit && !params.rating.implicit);

    // Never over another export.
    let again = export(state.store.as_ref(), &state.settings, &out)
        .await
        .unwrap_err();
    assert!(format!("{again:#}").contains("not empty"), "{again:#}");
}

/// A job output folder made from a version the app trained, with `ndcg`
/// as the job's measured NDCG@10 (and the version's other figures).
async fn job_folder(state: &AppState, version: u64, dir: &std::path::Path, ndcg: f64) {
    let models = load_model_version(state.store.as_ref(), version)
        .await
        .unwrap();
    let record = state
        .store
        .models()
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.version == version)
        .unwrap();
    let mut metrics = ModelMetrics::from_value(&record.metrics);
    metrics.lists.ndcg_at_k = Some(ndcg);
    let mut extras = ModelExtras::default();
    let serde_json::Value::Object(map) = serde_json::to_value(&metrics).unwrap() else {
        unreachable!()
    };
    extras.metrics = map;
    extras.metrics.insert("trainer".into(), "test".into());
    save_model(&models.ranking, &extras, &dir.join("ranking")).unwrap();
    save_model(
        models.rating.as_ref().unwrap(),
        &extras,
        &dir.join("rating"),
    )
    .unwrap();
    std::fs::write(dir.join("_SUCCESS"), b"").unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_models_pass_the_same_gate_and_external_mode_imports_the_newest_once() {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("store");
    let state = bundled_store(&store_dir).await;
    let JobOutcome::Done(first) = retrain::run(&state).await.unwrap() else {
        panic!()
    };
    let ndcg = first.metrics.lists.ndcg_at_k.unwrap();
    let popular = first.metrics.popular.ndcg_at_k.unwrap();

    // A folder without _SUCCESS is refused with the reason.
    let unfinished = dir.path().join("unfinished");
    std::fs::create_dir_all(&unfinished).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_movierec"))
        .args(["model", "import", s(&unfinished)])
        .env("MOVIEREC_STORE", dir.path().join("untouched"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("_SUCCESS"));

    // Worse than the promoted version by more than the margin: recorded, rejected.
    let worse = dir.path().join("models/20261202T0100");
    job_folder(&state, first.version, &worse, ndcg * 0.9).await;
    drop(state);
    let env_store = s(&store_dir).to_string();
    let import = |folder: &std::path::Path| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_movierec"))
            .args(["model", "import", s(folder)])
            .env("MOVIEREC_STORE", &env_store)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let said = import(&worse);
    assert!(
        said.contains("rejected") && said.contains("worse than version 1"),
        "{said}"
    );

    // As good: promoted, with its files, through the CLI.
    let good = dir.path().join("models/20261202T0200");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&store_dir).unwrap());
    let state = AppState::new(Settings::for_tests(store_dir.clone()), store.clone());
    job_folder(&state, first.version, &good, ndcg).await;
    let said = import(&good);
    assert!(said.contains("promoted"), "{said}");
    let promoted = store.promoted_model().await.unwrap().unwrap();
    assert_eq!(promoted.version, 3);
    assert!(!store.model_files(3).await.unwrap().is_empty());
    assert!(promoted.decision.contains("trained outside the app"));
    assert!(ndcg > popular);

    // External mode: RetrainModel imports the newest complete folder, once.
    let newest = dir.path().join("models/20261202T0300");
    job_folder(&state, first.version, &newest, ndcg * 1.01).await;
    std::fs::create_dir_all(dir.path().join("models/20261202T0400")).unwrap(); // being written
    let mut settings = Settings::for_tests(store_dir.clone());
    settings.trainer = Trainer::External(dir.path().join("models"));
    let external = AppState::new(settings, store.clone());
    let JobOutcome::Done(imported) = retrain::run(&external).await.unwrap() else {
        panic!()
    };
    assert_eq!(
        (imported.version, imported.status),
        (4, ModelStatus::Promoted)
    );
    assert!(
        imported.decision.contains("20261202T0300"),
        "{}",
        imported.decision
    );
    match retrain::run(&external).await.unwrap() {
        JobOutcome::Skipped {
            reason: Skip::AlreadyImported(p),
        } => assert!(p.ends_with("20261202T0300")),
        other => panic!("imported again: {other:?}"),
    }
}
