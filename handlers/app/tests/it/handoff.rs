//! The handoff to an external trainer: `movierec export ratings` writes
//! every stored rating (and the catalogue, and the app's parameters) as the
//! Spark job reads them; `movierec model import` and RetrainModel with
//! MOVIEREC_TRAINER=external record a job's folder through the promotion
//! gate. The Spark job itself runs in spark_handoff.rs.

use std::sync::Arc;

use movierec::handoff::export::export;
use movierec::handoff::params::TrainingParams;
use movierec::handoff::ratings_parquet::read_parts;
use movierec::jobs::retrain::RetrainReport;
use movierec::jobs::{runtime, JobOutcome, Skip};
use movierec::models::load_model_version;
use movierec::settings::{ExternalModels, Settings, Trainer};
use movierec::standalone::bootstrap::import_movielens;
use movierec::state::AppState;
use movierec_core::model_files::{save_model, ModelExtras};
use movierec_store::{ModelStatus, SqliteStore, Store};

use crate::common::*;

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
    let mut metrics = record.metrics.clone();
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

/// A temporary folder with the bundled store in `store/` and its first
/// version trained in process: (the folder, the store's path, the app, the retrain).
async fn trained_store() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    AppState,
    RetrainReport,
) {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("store");
    let state = bundled_store(&store_dir).await;
    let JobOutcome::Done(first) = runtime::retrain(&state).await.unwrap() else {
        panic!("the first retrain did not run")
    };
    (dir, store_dir, state, first)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_models_pass_the_same_gate_and_external_mode_imports_the_newest_once() {
    let (dir, store_dir, state, first) = trained_store().await;
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

    // A job's figures are on its own split, not the serving version's
    // holdout: it is gated by the most-popular list on that split. Not above
    // it: recorded, rejected.
    let worse = dir.path().join("models/20261202T0100");
    job_folder(&state, first.version, &worse, popular * 0.9).await;
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
        said.contains("rejected") && said.contains("not above the most-popular"),
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
    assert!(
        promoted
            .decision
            .contains("serving version 1 could not be scored"),
        "{}",
        promoted.decision
    );
    assert!(ndcg > popular);

    // External mode: RetrainModel imports the newest complete folder, once.
    let newest = dir.path().join("models/20261202T0300");
    job_folder(&state, first.version, &newest, ndcg * 1.01).await;
    std::fs::create_dir_all(dir.path().join("models/20261202T0400")).unwrap(); // being written
    let mut settings = Settings::for_tests(store_dir.clone());
    settings.trainer = Trainer::External(ExternalModels::Folder(dir.path().join("models")));
    let external = AppState::new(settings, store.clone());
    let JobOutcome::Done(imported) = runtime::retrain(&external).await.unwrap() else {
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
    match runtime::retrain(&external).await.unwrap() {
        JobOutcome::Skipped {
            reason: Skip::AlreadyImported(p),
        } => assert!(p.ends_with("20261202T0300")),
        other => panic!("imported again: {other:?}"),
    }
}

/// Uploads every file under `dir` to `container` as `folder/<path below dir>`.
async fn upload_folder(
    container: &azure_storage_blob::BlobContainerClient,
    dir: &std::path::Path,
    folder: &str,
) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        for entry in std::fs::read_dir(&path).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let relative = path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let bytes = std::fs::read(&path).unwrap();
            container
                .blob_client(&format!("{folder}/{relative}"))
                .upload(azure_core::http::RequestContent::from(bytes), None)
                .await
                .unwrap();
        }
    }
}

/// External mode reading a Blob container (Azurite here; in Azure the
/// container the Databricks job writes to): the newest folder with its
/// `_SUCCESS` blob is downloaded and imported once, directory entries and
/// unfinished folders are passed over, and the SAS never shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_mode_imports_the_newest_complete_folder_from_a_blob_container() {
    let Some(account) = crate::common::blob::endpoint() else {
        return;
    };
    let sas = crate::common::blob::account_sas();
    let name = format!(
        "models-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros()
    );
    let container_url = format!("{account}/{name}?{sas}");
    let container = azure_storage_blob::BlobContainerClient::new(
        azure_core::http::Url::parse(&container_url).unwrap(),
        None,
        None,
    )
    .unwrap();
    container.create(None).await.unwrap();

    let (dir, store_dir, state, first) = trained_store().await;
    let ndcg = first.metrics.lists.ndcg_at_k.unwrap();
    let older = dir.path().join("older");
    job_folder(&state, first.version, &older, ndcg).await;
    upload_folder(&container, &older, "20261203T0100").await;
    let newest = dir.path().join("newest");
    job_folder(&state, first.version, &newest, ndcg * 1.01).await;
    upload_folder(&container, &newest, "20261203T0200").await;
    // A hierarchical namespace's directory entry, beside the files under it.
    container
        .blob_client("20261203T0200/ranking")
        .upload(azure_core::http::RequestContent::from(Vec::new()), None)
        .await
        .unwrap();
    // A later folder still being written (no _SUCCESS yet).
    container
        .blob_client("20261203T0300/ranking/metadata/part-00000")
        .upload(azure_core::http::RequestContent::from(b"{}".to_vec()), None)
        .await
        .unwrap();

    let external = |query: &str| {
        let mut settings = Settings::for_tests(store_dir.clone());
        settings.trainer = Trainer::External(ExternalModels::Container {
            url: reqwest::Url::parse(&format!("{account}/{name}?{query}")).unwrap(),
            client_id: None,
        });
        AppState::new(settings, state.store.clone())
    };

    // A SAS the server refuses: an error naming the container, without the SAS.
    let refused = runtime::retrain(&external(&crate::common::blob::forged_sas()))
        .await
        .unwrap_err();
    let said = format!("{:#}", anyhow::Error::from(refused));
    assert!(said.contains(&name), "{said}");
    assert!(!said.contains("sig="), "the SAS leaked: {said}");

    let good = external(&sas);
    let JobOutcome::Done(imported) = runtime::retrain(&good).await.unwrap() else {
        panic!()
    };
    assert_eq!(
        (imported.version, imported.status),
        (2, ModelStatus::Promoted),
        "{}",
        imported.decision
    );
    assert!(
        imported.decision.contains(&format!("{name}/20261203T0200")),
        "{}",
        imported.decision
    );
    assert!(!imported.decision.contains("sig="), "{}", imported.decision);
    let promoted = state.store.promoted_model().await.unwrap().unwrap();
    assert_eq!(promoted.version, 2);
    let models = load_model_version(state.store.as_ref(), 2).await.unwrap();
    let trained = load_model_version(state.store.as_ref(), first.version)
        .await
        .unwrap();
    assert_eq!(
        models.ranking.users.len(),
        trained.ranking.users.len(),
        "the imported ranking model has every user"
    );
    match runtime::retrain(&good).await.unwrap() {
        JobOutcome::Skipped {
            reason: Skip::AlreadyImported(p),
        } => {
            assert!(p.ends_with("20261203T0200"), "{p}");
            assert!(!p.contains("sig="), "{p}");
        }
        other => panic!("imported again: {other:?}"),
    }
    container.delete(None).await.unwrap();
}
