//! The serving model is loaded once per version per instance, however many
//! requests arrive together after a switch (a model load is the most memory a
//! GET can cost: 16 parallel loads of one model took 1.07 GB), and the
//! instance that publishes a version shares that one copy between the plan,
//! the shards and serving.

use std::sync::Arc;

use movierec::jobs::{runtime, JobOutcome};
use movierec::settings::Settings;
use movierec::standalone::bootstrap::import_movielens;
use movierec::state::AppState;
use movierec_store::{SqliteStore, Store};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_cold_requests_load_the_model_once() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let mut settings = Settings::for_tests(dir.path().to_path_buf());
    settings.ranking_tune = false;
    let state = AppState::new(settings.clone(), store.clone());
    import_movielens(&state, &crate::common::root().join("data/ml-latest-small"))
        .await
        .unwrap();
    assert!(matches!(
        runtime::retrain(&state).await.unwrap(),
        JobOutcome::Done(_)
    ));
    assert!(matches!(
        runtime::publish_here(&state).await.unwrap(),
        JobOutcome::Done(_)
    ));
    // The plan, the shard and the switch took the version from one load,
    // and serving finds it held.
    assert_eq!(state.serving.model_loads(), 1);
    let served = state.serving.model().await.unwrap().unwrap();
    let published = state.serving.model_version(served.version).await.unwrap();
    assert!(
        Arc::ptr_eq(&served, &published),
        "serving holds its own copy"
    );
    assert_eq!(state.serving.model_loads(), 1);

    // Another instance, cold: sixteen requests at once.
    let cold = AppState::new(settings, store);
    let loads: Vec<_> = (0..16)
        .map(|_| {
            let cold = cold.clone();
            tokio::spawn(async move { cold.serving.model().await.unwrap().unwrap().version })
        })
        .collect();
    let mut versions = Vec::new();
    for l in loads {
        versions.push(l.await.unwrap());
    }
    assert!(versions.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(
        cold.serving.model_loads(),
        1,
        "the model was loaded {} times",
        cold.serving.model_loads()
    );
}
