//! Recommend-for-all in shards: whatever order, however often and on
//! whichever instance the shards arrive, the published version holds every
//! model user's list once, equal to the lists computed in one piece, and
//! readers switch to it only when the last shard is written.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use movierec::jobs::recommend_all::lists::user_lists;
use movierec::jobs::recommend_all::{shard, RecommendReport, ShardMessage, ShardOutcome};
use movierec::jobs::{runtime, Job, JobError, JobOutcome, Ran};
use movierec::models::load_model_version;
use movierec::settings::Settings;
use movierec::standalone::bootstrap::import_movielens;
use movierec::state::AppState;
use movierec_store::{SqliteStore, Store, UserRecommendations};

use crate::common::{hosted_instance, root};

/// A store with ml-latest-small (bundled) and one promoted version; shards
/// of 100 users (ml-latest-small has 610).
async fn promoted_store(dir: &std::path::Path) -> (AppState, Settings) {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir).unwrap());
    let mut settings = Settings::for_tests(dir.to_path_buf());
    settings.ranking_tune = false;
    settings.shards.users = 100;
    settings.shards.resend_after = Duration::ZERO;
    let state = AppState::new(settings.clone(), store);
    import_movielens(&state, &root().join("data/ml-latest-small"))
        .await
        .unwrap();
    assert!(matches!(
        runtime::retrain(&state).await.unwrap(),
        JobOutcome::Done(_)
    ));
    (state, settings)
}

fn by_user(lists: Vec<UserRecommendations>) -> HashMap<i32, UserRecommendations> {
    let n = lists.len();
    let map: HashMap<i32, UserRecommendations> = lists.into_iter().map(|l| (l.user, l)).collect();
    assert_eq!(map.len(), n, "a user's list was written more than once");
    map
}

/// The plan's messages, from a coordinator run.
async fn plan(state: &AppState) -> Vec<ShardMessage> {
    coordinate(state).await.messages
}

/// A coordinator run's report; it must not skip.
async fn coordinate(state: &AppState) -> RecommendReport {
    match Job::PublishLists.run(state).await.unwrap() {
        Ran::PublishLists(JobOutcome::Done(report)) => report,
        other => panic!("the coordinator did not plan: {}", other.line()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_lost_and_failing_shards_still_publish_every_list_once() {
    let dir = tempfile::tempdir().unwrap();
    let (state, settings) = promoted_store(dir.path()).await;
    let version = state.store.promoted_model().await.unwrap().unwrap().version;
    let messages = plan(&state).await;
    assert_eq!(messages.len(), 7, "610 users in shards of 100");

    // Shard 0 twice: the second delivery does nothing.
    let first = shard::run(&state, &messages[0]).await.unwrap();
    assert!(
        matches!(
            first,
            ShardOutcome::Written {
                users: 100,
                published: false,
                ..
            }
        ),
        "{first:?}"
    );
    let again = shard::run(&state, &messages[0]).await.unwrap();
    assert!(matches!(again, ShardOutcome::Ignored { .. }), "{again:?}");

    // Nothing is visible while shards are missing.
    assert_eq!(state.store.serving_version().await.unwrap(), None);
    assert!(state
        .store
        .published_recommendations()
        .await
        .unwrap()
        .is_empty());

    // Shard 1 fails twice (its instance cannot read the model: the files are
    // gone), then succeeds once they are back; a fresh instance, so no cache.
    let record = state
        .store
        .models()
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.version == version)
        .unwrap();
    let files = state.store.model_files(version).await.unwrap();
    state.store.delete_model_files(version).await.unwrap();
    let other = AppState::new(settings.clone(), state.store.clone());
    for _ in 0..2 {
        assert!(shard::run(&other, &messages[1]).await.is_err());
    }
    state.store.record_model(&record, &files).await.unwrap();
    let third = shard::run(&other, &messages[1]).await.unwrap();
    assert!(
        matches!(third, ShardOutcome::Written { users: 100, .. }),
        "{third:?}"
    );

    // Shards 2..5 arrive; shard 6 is lost. The coordinator sends only it again.
    for m in &messages[2..6] {
        shard::run(&state, m).await.unwrap();
    }
    assert_eq!(state.store.serving_version().await.unwrap(), None);
    let resent = plan(&state).await;
    assert_eq!(resent, vec![messages[6].clone()]);
    let last = shard::run(&other, &resent[0]).await.unwrap();
    assert!(
        matches!(
            last,
            ShardOutcome::Written {
                users: 10,
                published: true,
                ..
            }
        ),
        "{last:?}"
    );
    assert_eq!(state.store.serving_version().await.unwrap(), Some(version));

    // A delivery after the switch changes nothing.
    let late = shard::run(&state, &messages[3]).await.unwrap();
    assert!(matches!(late, ShardOutcome::Ignored { .. }), "{late:?}");

    // Every user once, and exactly the lists computed in one piece.
    let published = by_user(state.store.published_recommendations().await.unwrap());
    let models = load_model_version(state.store.as_ref(), version)
        .await
        .unwrap();
    let ratings = state.store.all_ratings().await.unwrap();
    let users: Vec<i32> = models.ranking.users.ids().to_vec();
    let mut whole = user_lists(
        &models,
        &users,
        &ratings,
        settings.top_n,
        version,
        messages[0].generated_at,
    );
    let marks = state.store.rating_marks(i32::MIN, i32::MAX).await.unwrap();
    for list in &mut whole {
        list.rating_mark = marks.get(&list.user).copied();
    }
    let whole = by_user(whole);
    assert_eq!(published.len(), 610);
    assert_eq!(published, whole);
    assert!(state
        .store
        .popular()
        .await
        .unwrap()
        .is_some_and(|(v, p)| v == version && !p.is_empty()));
}

/// Retrains that promote faster than a publication completes: the version
/// in progress is published first, then the newest; a plan whose shards
/// have been out past the resend time gives way to the newest at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_promoted_mid_publication_waits_for_the_one_in_progress() {
    let dir = tempfile::tempdir().unwrap();
    let (mut state, mut settings) = promoted_store(dir.path()).await;
    settings.shards.resend_after = Duration::from_secs(3600);
    state = AppState::new(settings.clone(), state.store.clone());
    let promote = |state: AppState| async move {
        match runtime::retrain(&state).await.unwrap() {
            JobOutcome::Done(r) => assert_eq!(r.status.as_str(), "promoted", "{}", r.decision),
            skipped => panic!("retrain skipped: {skipped}"),
        }
        state.store.promoted_model().await.unwrap().unwrap().version
    };

    let first = plan(&state).await;
    let v1 = first[0].version;
    let v2 = promote(state.clone()).await;
    assert!(v2 > v1);
    // The coordinator keeps the plan in progress: nothing new is sent.
    assert!(plan(&state).await.is_empty());
    for m in &first {
        shard::run(&state, m).await.unwrap();
    }
    assert_eq!(state.store.serving_version().await.unwrap(), Some(v1));
    // Then the newest is planned and published.
    let second = plan(&state).await;
    assert!(!second.is_empty() && second.iter().all(|m| m.version == v2));
    for m in &second[..second.len() - 1] {
        shard::run(&state, m).await.unwrap();
    }

    // A third version while the second's last shard is out past the resend
    // time: the second's plan is replaced, and its late shard does nothing.
    let v3 = promote(state.clone()).await;
    settings.shards.resend_after = Duration::ZERO;
    let impatient = AppState::new(settings.clone(), state.store.clone());
    let third = plan(&impatient).await;
    assert!(!third.is_empty() && third.iter().all(|m| m.version == v3));
    let late = shard::run(&impatient, second.last().unwrap())
        .await
        .unwrap();
    assert!(matches!(late, ShardOutcome::Ignored { .. }), "{late:?}");
    for m in &third {
        shard::run(&impatient, m).await.unwrap();
    }
    assert_eq!(state.store.serving_version().await.unwrap(), Some(v3));
    assert_eq!(
        by_user(state.store.published_recommendations().await.unwrap()).len(),
        610
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_work_one_version_and_readers_switch_once() {
    let dir = tempfile::tempdir().unwrap();
    let (state, _) = promoted_store(dir.path()).await;
    // Version 1 published; version 2 promoted and about to be sharded.
    assert!(matches!(
        runtime::publish_here(&state).await.unwrap(),
        JobOutcome::Done(_)
    ));
    let JobOutcome::Done(second) = runtime::retrain(&state).await.unwrap() else {
        panic!("no second version")
    };
    assert_eq!(
        second.status,
        movierec_store::ModelStatus::Promoted,
        "{}",
        second.decision
    );
    let (old, new) = (1u64, second.version);

    let env = [("MOVIEREC_SHARD_USERS", "50")];
    let (a, b) = (
        hosted_instance(dir.path(), &env),
        hosted_instance(dir.path(), &env),
    );
    let (host_a, host_b) = (a.host.clone(), b.host.clone());
    for h in [&host_a, &host_b] {
        h.wait_until_ready(Duration::from_secs(20)).await.unwrap();
    }
    let timer = movierec_fakehost::TimerPayload::new(false, false);
    let fired = host_a
        .fire_timer("RecommendAllUsers", &timer)
        .await
        .unwrap();
    assert_eq!(fired.status, 200, "{}", fired.text);
    let shards = fired.body["Outputs"]["shards"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        shards.len(),
        13,
        "610 users in shards of 50: {}",
        fired.text
    );

    // Readers on both instances while the shards are worked.
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (done, hosts) = (done.clone(), [host_a.clone(), host_b.clone()]);
        tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut i = 0usize;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let user = 1 + (i * 37) % 610;
                let got = hosts[i % 2]
                    .get(&format!("/recommendations/{user}"))
                    .await
                    .unwrap();
                assert_eq!(got.status, 200);
                let body: serde_json::Value = serde_json::from_slice(&got.body).unwrap();
                seen.push(body["model_version"].as_u64().unwrap());
                i += 1;
            }
            seen
        })
    };
    // Every shard to one instance, and the first five again to the other, at once.
    let mut deliveries = Vec::new();
    for (k, m) in shards.iter().enumerate() {
        let (first, second) = if k % 2 == 0 {
            (&host_a, &host_b)
        } else {
            (&host_b, &host_a)
        };
        deliveries.push((
            first.clone(),
            movierec_fakehost::queue_invocation("RecommendShard", "shard", &m.to_string(), 1),
        ));
        if k < 5 {
            deliveries.push((
                second.clone(),
                movierec_fakehost::queue_invocation("RecommendShard", "shard", &m.to_string(), 2),
            ));
        }
    }
    let answers = futures::future::join_all(
        deliveries
            .into_iter()
            .map(|(h, body)| async move { h.invoke("RecommendShard", &body).await.unwrap() }),
    )
    .await;
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    for a in &answers {
        assert_eq!(a.status, 200, "{}", a.text);
    }
    let seen = reader.await.unwrap();

    assert_eq!(state.store.serving_version().await.unwrap(), Some(new));
    let published = by_user(state.store.published_recommendations().await.unwrap());
    assert_eq!(published.len(), 610);
    assert!(published.values().all(|l| l.version == new));
    // A reader saw the old version until the switch, and never went back.
    assert!(!seen.is_empty());
    assert!(seen.iter().all(|&v| v == old || v == new), "{seen:?}");
    let switched = seen.iter().position(|&v| v == new).unwrap_or(seen.len());
    assert!(
        seen[switched..].iter().all(|&v| v == new),
        "a reader went back to the old version: {seen:?}"
    );
    let published_by: HashSet<bool> = answers
        .iter()
        .map(|a| {
            a.body["ReturnValue"]["published"]
                .as_bool()
                .unwrap_or(false)
        })
        .collect();
    assert!(
        published_by.contains(&true),
        "one delivery published the version"
    );
}

/// A publication plan or shard marker that does not read (a hand edit, a
/// half-written value) does not stop publishing: the shards fail naming the
/// plan marker, the coordinator's next run plans again over it, and a shard
/// marker that is not a user count counts as not written, so that shard is
/// sent again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_publication_markers_are_named_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let (state, _) = promoted_store(dir.path()).await;
    let store = state.store.as_ref();
    let version = store.promoted_model().await.unwrap().unwrap().version;
    store
        .set_marker("recommend-all:plan", Some("{not a plan"))
        .await
        .unwrap();
    let message = ShardMessage {
        version,
        shard: 0,
        shards: 7,
        users_per_shard: 100,
        generated_at: 0,
    };
    let error = format!("{:#}", shard::run(&state, &message).await.unwrap_err());
    assert!(
        error.contains("recommend-all:plan") && error.contains("does not read"),
        "{error}"
    );

    // The coordinator plans again; shard 0's marker is then made unreadable.
    let report = coordinate(&state).await;
    assert_eq!(report.messages.len(), 7);
    store
        .set_marker(&format!("recommend-all:v{version}:shard:0"), Some("many"))
        .await
        .unwrap();
    assert!(matches!(
        runtime::publish_here(&state).await.unwrap(),
        JobOutcome::Done(_)
    ));
    assert_eq!(store.serving_version().await.unwrap(), Some(version));
    let lists = by_user(store.published_recommendations().await.unwrap());
    assert_eq!(lists.len(), 610, "every user's list, shard 0's included");
}

/// The runtime's tries: a shard whose models cannot be read fails as often as
/// a Storage queue would deliver it (5 times, the last failure returned as
/// the job's own), while one stopped by shutdown ends at its first try.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_shard_is_tried_five_times_and_a_stopped_one_once() {
    let dir = tempfile::tempdir().unwrap();
    let (state, settings) = promoted_store(dir.path()).await;
    let version = state.store.promoted_model().await.unwrap().unwrap().version;
    let messages = plan(&state).await;
    state.store.delete_model_files(version).await.unwrap();

    let failing = AppState::new(settings.clone(), state.store.clone());
    let started = std::time::Instant::now();
    let error = Job::WriteShard(messages[0].clone())
        .run_with_attempts(&failing)
        .await
        .unwrap_err();
    assert!(
        matches!(error, JobError::Failed { job: "shard", .. }),
        "{error:?}"
    );
    assert!(
        format!("{:#}", anyhow::Error::from(error)).contains(&format!("version {version}")),
        "the error names the version"
    );
    // Four waits between five tries: 400 + 600 + 800 + 1000 ms.
    assert!(
        started.elapsed() >= Duration::from_millis(2_800),
        "tried fewer than 5 times: {:?}",
        started.elapsed()
    );

    let stopping = AppState::new(settings, state.store.clone());
    stopping.jobs.cancel.cancel();
    let started = std::time::Instant::now();
    let error = Job::WriteShard(messages[0].clone())
        .run_with_attempts(&stopping)
        .await
        .unwrap_err();
    assert!(error.is_stopped(), "{error:?}");
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "a stopped run was tried again: {:?}",
        started.elapsed()
    );
}
