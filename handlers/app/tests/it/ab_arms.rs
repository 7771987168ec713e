//! An A/B arm with model parameters of its own
//! (`MOVIEREC_AB_TEST=model:1,small(rank=4,reg=0.2):1`): each retrain trains
//! it beside the candidate and records it as a challenger version, never
//! promoted; its users are served that version (the newest, on every
//! instance), the other arm's users the promoted one; an arm taken out of the
//! test loses its versions' files.

use std::sync::Arc;

use movierec::jobs::{runtime, JobOutcome};
use movierec::serving::ListRequest;
use movierec::settings::{AbTest, Settings};
use movierec::standalone::bootstrap::import_movielens;
use movierec::state::AppState;
use movierec_store::{ModelStatus, SqliteStore, Store};

const TEST: &str = "model:1,small(rank=4,reg=0.2):1";

/// Each of users 1..=40's arm and the version their list came from.
async fn served(state: &AppState) -> Vec<(String, u64)> {
    let mut served = Vec::new();
    for user in 1..=40 {
        let list = state
            .serving
            .recommend(user, &ListRequest::first(10))
            .await
            .unwrap();
        assert_eq!(list.items.len(), 10, "user {user}");
        served.push((list.arm.clone().unwrap(), list.model_version));
    }
    served
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_arm_with_its_own_parameters_serves_its_own_newest_model_and_is_never_promoted() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let mut settings = Settings::for_tests(dir.path().to_path_buf());
    settings.ranking_tune = false;
    settings.ab_test = AbTest::parse(TEST, "s", &settings.ranking_params).unwrap();
    let state = AppState::new(settings.clone(), store.clone());
    import_movielens(&state, &crate::common::root().join("data/ml-latest-small"))
        .await
        .unwrap();

    let JobOutcome::Done(first) = runtime::retrain(&state).await.unwrap() else {
        panic!("the first retrain did not run");
    };
    assert_eq!((first.version, first.status), (1, ModelStatus::Promoted));
    assert_eq!(first.arms.len(), 1, "{first:?}");
    assert_eq!(
        (first.arms[0].arm.as_str(), first.arms[0].version),
        ("small", 2)
    );
    assert!(first.arms[0].ndcg_at_k.unwrap() > 0.0, "{first:?}");
    let models = store.models().await.unwrap();
    let arm = &models[0];
    assert_eq!((arm.version, arm.status), (2, ModelStatus::Challenger));
    assert_eq!(arm.params["ranking"]["rank"], 4, "{:?}", arm.params);
    assert_eq!(store.promoted_model().await.unwrap().unwrap().version, 1);
    assert!(matches!(
        runtime::publish_here(&state).await.unwrap(),
        JobOutcome::Done(_)
    ));

    // Another instance on the same store: model users get the promoted
    // version, small's users the arm's, worked out from their ratings.
    let other = AppState::new(settings.clone(), store.clone());
    let before = served(&other).await;
    assert!(before.contains(&("model".into(), 1)), "{before:?}");
    assert!(before.contains(&("small".into(), 2)), "{before:?}");
    assert!(
        before.iter().all(|(arm, v)| (arm == "small") == (*v == 2)),
        "{before:?}"
    );
    let small = other.serving.model_version(2).await.unwrap();
    assert_eq!(small.models.ranking.item_factors.ncols(), 4);

    // The next retrain trains the arm again; every instance moves to it at once.
    let JobOutcome::Done(second) = runtime::retrain(&state).await.unwrap() else {
        panic!("the second retrain did not run");
    };
    let arm_version = second.arms[0].version;
    assert_eq!(arm_version, second.version + 1);
    let after = served(&other).await;
    for ((arm, version), (arm_before, _)) in after.iter().zip(&before) {
        assert_eq!(arm, arm_before, "users keep their arm");
        if arm == "small" {
            assert_eq!(*version, arm_version);
        }
    }

    // The test ends: the next housekeeping forgets the arm and its files go.
    let mut ended = settings;
    ended.ab_test = None;
    let ended = AppState::new(ended, store.clone());
    let report = movierec::jobs::housekeeping::run(&ended).await.unwrap();
    assert_eq!(report.arms_forgotten, ["small"]);
    assert!(
        report.model_files_deleted.contains(&arm_version),
        "{report:?}"
    );
    assert!(store.model_files(arm_version).await.unwrap().is_empty());
}
