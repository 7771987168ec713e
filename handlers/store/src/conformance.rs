//! The behaviour every storage backend must show, written once. Compiled for
//! the store's own tests only: the production library carries none of it.
//!
//! Each check is a public async function over any [`Store`]. A backend's tests
//! run them all with [`conformance_tests!`](crate::conformance_tests), given an
//! async constructor returning `(store, guard)` (the guard keeps whatever the
//! store lives in, a temp dir or a test database, alive for the test).

use std::time::Duration;

use crate::model_metrics::*;
use crate::types::*;
use crate::Store;

fn rating(user: i32, movie: i32, rating: f32, timestamp: i64) -> RatingRecord {
    RatingRecord {
        user,
        movie,
        rating,
        timestamp,
    }
}

fn dead_letter(id: &str, received_at: i64, sequence: i64) -> DeadLetter {
    DeadLetter {
        id: id.into(),
        received_at,
        reason: format!("reason {id}"),
        raw: format!("{{\"raw\":\"{id}\"}}"),
        origin: EventOrigin {
            partition: Some("3".into()),
            sequence_number: Some(sequence),
            offset: Some(format!("{}", sequence * 10)),
            enqueued_time: Some("2026-11-26T06:00:00Z".into()),
        },
    }
}

async fn stored(store: &impl Store, user: i32, movie: i32) -> Option<RatingRecord> {
    store
        .user_ratings(user)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.movie == movie)
}

pub async fn ingest_keeps_the_newest_rating(store: &impl Store) {
    let first = store
        .ingest(&[rating(1, 10, 3.0, 100), rating(1, 11, 4.0, 100)], &[])
        .await
        .unwrap();
    assert_eq!((first.written, first.unchanged), (2, 0));
    // exact duplicate: nothing changes
    let dup = store.ingest(&[rating(1, 10, 3.0, 100)], &[]).await.unwrap();
    assert_eq!((dup.written, dup.unchanged), (0, 1));
    // a late, older event never overwrites a newer rating
    let late = store.ingest(&[rating(1, 10, 1.0, 50)], &[]).await.unwrap();
    assert_eq!((late.written, late.unchanged), (0, 1));
    assert_eq!(stored(store, 1, 10).await.unwrap().rating, 3.0);
    // a newer one does
    let newer = store.ingest(&[rating(1, 10, 4.5, 200)], &[]).await.unwrap();
    assert_eq!(newer.written, 1);
    assert_eq!(stored(store, 1, 10).await.unwrap(), rating(1, 10, 4.5, 200));
    assert_eq!(store.rating_count().await.unwrap(), 2);
}

/// Export streams every rating in pages (one more than a page here, so the
/// last page is short) and a shard reads exactly its users' range.
pub async fn ratings_stream_in_pages_and_by_user_range(store: &impl Store) {
    let n = crate::RATING_PAGE + 1;
    let all: Vec<RatingRecord> = (0..n)
        .map(|i| rating(1 + (i / 100) as i32, (i % 100) as i32, 3.5, i as i64))
        .collect();
    for chunk in all.chunks(1_000) {
        store.ingest(chunk, &[]).await.unwrap();
    }
    let mut pages = Vec::new();
    store
        .each_rating_page(&mut |page| pages.push(page))
        .await
        .unwrap();
    assert!(pages
        .iter()
        .all(|p| p.len() <= crate::RATING_PAGE && !p.is_empty()));
    let mut streamed: Vec<RatingRecord> = pages.into_iter().flatten().collect();
    streamed.sort_by_key(|r| (r.user, r.movie));
    assert_eq!(streamed, all);

    let mut range = store.ratings_of_users(3, 4).await.unwrap();
    range.sort_by_key(|r| (r.user, r.movie));
    let expected: Vec<RatingRecord> = all
        .iter()
        .filter(|r| (3..=4).contains(&r.user))
        .cloned()
        .collect();
    assert_eq!(range.len(), 200);
    assert_eq!(range, expected);
    assert!(store
        .ratings_of_users(1_000, 2_000)
        .await
        .unwrap()
        .is_empty());
}

pub async fn ingest_within_one_batch_keeps_the_newest(store: &impl Store) {
    let outcome = store
        .ingest(
            &[
                rating(2, 5, 2.0, 300),
                rating(2, 5, 5.0, 100),
                rating(2, 5, 3.5, 200),
            ],
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        (outcome.written, outcome.unchanged),
        (1, 2),
        "one rating written; the older events of the batch change nothing"
    );
    assert_eq!(stored(store, 2, 5).await.unwrap(), rating(2, 5, 2.0, 300));
}

pub async fn repeating_a_batch_changes_nothing(store: &impl Store) {
    let batch = [
        rating(3, 1, 4.0, 10),
        rating(3, 2, 2.5, 11),
        rating(4, 1, 1.0, 12),
    ];
    let dead = [dead_letter("p3-7", 1_000, 7)];
    let first = store.ingest(&batch, &dead).await.unwrap();
    assert_eq!((first.written, first.dead_lettered), (3, 1));
    let again = store.ingest(&batch, &dead).await.unwrap();
    assert_eq!(
        (again.written, again.unchanged, again.dead_lettered),
        (0, 3, 0)
    );
    assert_eq!(store.rating_count().await.unwrap(), 3);
    assert_eq!(store.dead_letter_count().await.unwrap(), 1);
    let mut all = store.all_ratings().await.unwrap();
    all.sort_by_key(|r| (r.user, r.movie));
    assert_eq!(all, batch.to_vec());
}

pub async fn dead_letters_keep_raw_reason_and_origin(store: &impl Store) {
    store
        .ingest(
            &[],
            &[dead_letter("a", 1_000, 1), dead_letter("b", 2_000, 2)],
        )
        .await
        .unwrap();
    let letters = store.dead_letters(10).await.unwrap();
    assert_eq!(letters.len(), 2);
    assert_eq!(
        letters[0],
        dead_letter("b", 2_000, 2),
        "newest first, every field kept"
    );
    assert_eq!(store.dead_letters(1).await.unwrap().len(), 1);
}

pub async fn catalogue_upserts_and_looks_up(store: &impl Store) {
    assert_eq!(store.catalogue_revision().await.unwrap(), None);
    let toy = Movie {
        id: 1,
        title: "Toy Story (1995)".into(),
        genres: vec!["Adventure".into(), "Animation".into()],
        hidden: false,
    };
    let none = Movie {
        id: 2,
        title: "Untitled, \"quoted\" (2001)".into(),
        genres: vec![],
        hidden: false,
    };
    store
        .upsert_movies(&[toy.clone(), none.clone()])
        .await
        .unwrap();
    let first = store.catalogue_revision().await.unwrap();
    assert!(first.is_some(), "an upsert sets the revision");
    let found = store.movies(&[1, 2, 3]).await.unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(found[&1], toy);
    assert_eq!(found[&2], none);
    let renamed = Movie {
        title: "Toy Story".into(),
        hidden: true,
        ..toy
    };
    store
        .upsert_movies(std::slice::from_ref(&renamed))
        .await
        .unwrap();
    let second = store.catalogue_revision().await.unwrap();
    assert!(
        second.is_some() && second != first,
        "every upsert changes the revision"
    );
    assert_eq!(
        store.user_view(1).await.unwrap().catalogue_revision,
        second,
        "a GET's one read carries the revision"
    );
    assert_eq!(store.movies(&[1]).await.unwrap()[&1], renamed);
    assert_eq!(store.movie_count().await.unwrap(), 2);
    assert_eq!(
        store.all_movies().await.unwrap(),
        vec![renamed, none],
        "every movie, hidden ones too, by id"
    );
}

/// The summary counts what is stored now: a replaced rating moves from its old
/// value and day to its new ones, duplicates count once.
pub async fn rating_summary_counts_the_stored_ratings(store: &impl Store) {
    assert_eq!(
        store.rating_summary().await.unwrap(),
        RatingSummary::default()
    );
    let day = RatingSummary::SECONDS_PER_DAY;
    store
        .ingest(
            &[
                rating(1, 10, 4.0, 3 * day + 5),
                rating(1, 11, 0.5, 3 * day + 600),
                rating(2, 10, 5.0, 4 * day),
                rating(2, 12, 4.0, 4 * day + 1),
            ],
            &[],
        )
        .await
        .unwrap();
    // user 2 re-rates movie 12 a day later, and a duplicate arrives
    store
        .ingest(
            &[rating(2, 12, 2.5, 5 * day), rating(1, 10, 4.0, 3 * day + 5)],
            &[],
        )
        .await
        .unwrap();
    let summary = store.rating_summary().await.unwrap();
    assert_eq!(summary.ratings, 4);
    assert_eq!(
        summary.by_half_stars.into_iter().collect::<Vec<_>>(),
        vec![(1, 1), (5, 1), (8, 1), (10, 1)]
    );
    assert_eq!(
        summary.by_day.into_iter().collect::<Vec<_>>(),
        vec![(3, 2), (4, 1), (5, 1)]
    );
    let mut by_user: Vec<_> = summary.by_user.into_iter().collect();
    by_user.sort();
    assert_eq!(by_user, vec![(1, 2), (2, 2)]);
}

fn model(version: u64, status: ModelStatus, rmse: f64) -> ModelRecord {
    ModelRecord {
        version,
        created_at: 1_700_000_000 + version as i64,
        status,
        decision: format!("{} because", status.as_str()),
        params: serde_json::json!({"rank": 8}),
        metrics: ModelMetrics {
            k: 10,
            rmse: Some(rmse),
            champion: Some(ChampionFigures {
                version: version.saturating_sub(1),
                lists: ListQuality {
                    ndcg_at_k: Some(0.25),
                    ..ListQuality::default()
                },
                ndcg_difference_se: 0.01,
            }),
            reg_candidates: vec![RegTrial {
                reg: 0.1,
                validation_ndcg: None,
            }],
            ..ModelMetrics::default()
        },
    }
}

pub async fn registry_tracks_versions_files_and_promotion(store: &impl Store) {
    assert_eq!(store.next_model_version().await.unwrap(), 1);
    assert_eq!(store.promoted_model().await.unwrap(), None);
    let files = vec![
        ModelFile {
            path: "metadata/part-00000".into(),
            bytes: b"{}".to_vec(),
        },
        ModelFile {
            path: "userFactors/part-0.parquet".into(),
            bytes: vec![0, 1, 2, 255],
        },
    ];
    store
        .record_model(&model(1, ModelStatus::Promoted, 0.9), &files)
        .await
        .unwrap();
    store
        .record_model(&model(2, ModelStatus::Rejected, 1.2), &[])
        .await
        .unwrap();
    assert_eq!(store.next_model_version().await.unwrap(), 3);
    assert_eq!(
        store.promoted_model().await.unwrap(),
        Some(model(1, ModelStatus::Promoted, 0.9))
    );
    let versions: Vec<u64> = store
        .models()
        .await
        .unwrap()
        .iter()
        .map(|m| m.version)
        .collect();
    assert_eq!(versions, vec![2, 1]);
    assert_eq!(store.model_files(1).await.unwrap(), files);
    assert!(store.model_files(2).await.unwrap().is_empty());
    // recording a version again replaces it, files included
    store
        .record_model(&model(1, ModelStatus::Promoted, 0.8), &files[..1])
        .await
        .unwrap();
    assert_eq!(store.model_files(1).await.unwrap().len(), 1);
    store
        .record_model(&model(3, ModelStatus::Promoted, 0.85), &files)
        .await
        .unwrap();
    assert_eq!(store.promoted_model().await.unwrap().unwrap().version, 3);
    // an A/B arm's version keeps its files and reads back, but is never the promoted one
    store
        .record_model(&model(4, ModelStatus::Challenger, 0.7), &files)
        .await
        .unwrap();
    assert_eq!(store.promoted_model().await.unwrap().unwrap().version, 3);
    assert_eq!(
        store.models().await.unwrap()[0],
        model(4, ModelStatus::Challenger, 0.7)
    );
    assert_eq!(store.model_files(4).await.unwrap(), files);
}

pub async fn old_dead_letters_and_model_files_can_be_deleted(store: &impl Store) {
    let letters = [dead_letter("old", 100, 1), dead_letter("new", 200, 2)];
    store.ingest(&[], &letters).await.unwrap();
    assert_eq!(store.prune_dead_letters(150).await.unwrap(), 1);
    assert_eq!(store.prune_dead_letters(150).await.unwrap(), 0);
    let left = store.dead_letters(10).await.unwrap();
    assert_eq!(left, vec![letters[1].clone()]);
    let files = vec![ModelFile {
        path: "metadata/part-00000".into(),
        bytes: b"{}".to_vec(),
    }];
    for version in [1, 2] {
        store
            .record_model(&model(version, ModelStatus::Promoted, 0.9), &files)
            .await
            .unwrap();
    }
    assert!(store.delete_model_files(1).await.unwrap());
    assert!(
        !store.delete_model_files(1).await.unwrap(),
        "safe to repeat"
    );
    assert!(store.model_files(1).await.unwrap().is_empty());
    assert_eq!(store.model_files(2).await.unwrap(), files);
    // the record stays in the history
    assert_eq!(store.models().await.unwrap().len(), 2);
}

pub async fn markers_are_set_read_and_removed(store: &impl Store) {
    assert_eq!(store.marker("bootstrap").await.unwrap(), None);
    store.set_marker("bootstrap", Some("a")).await.unwrap();
    store.set_marker("bootstrap", Some("b")).await.unwrap();
    assert_eq!(
        store.marker("bootstrap").await.unwrap().as_deref(),
        Some("b")
    );
    store.set_marker("bootstrap", None).await.unwrap();
    store.set_marker("bootstrap", None).await.unwrap();
    assert_eq!(store.marker("bootstrap").await.unwrap(), None);

    for (name, value) in [
        ("v2:shard:1", "7"),
        ("v2:shard:0", "5"),
        ("v20:shard:0", "9"),
        ("v%:x", "no"),
    ] {
        store.set_marker(name, Some(value)).await.unwrap();
    }
    assert_eq!(
        store.markers_with_prefix("v2:shard:").await.unwrap(),
        [
            ("v2:shard:0".to_string(), "5".to_string()),
            ("v2:shard:1".into(), "7".into())
        ],
        "the markers under the prefix, by name, and no others"
    );
    assert!(store.markers_with_prefix("v3:").await.unwrap().is_empty());
}

pub async fn job_lease_is_exclusive_and_expires(store: &impl Store) {
    let hour = Duration::from_secs(3600);
    assert!(store.try_acquire_job_lease("retrain", hour).await.unwrap());
    assert!(!store
        .try_acquire_job_lease("recommend", hour)
        .await
        .unwrap());
    assert!(
        store.try_acquire_job_lease("retrain", hour).await.unwrap(),
        "the holder may renew"
    );
    store.release_job_lease("recommend").await.unwrap(); // not the holder: no effect
    assert!(!store
        .try_acquire_job_lease("recommend", hour)
        .await
        .unwrap());
    store.release_job_lease("retrain").await.unwrap();
    assert!(store
        .try_acquire_job_lease("recommend", Duration::ZERO)
        .await
        .unwrap());
    // a lease whose time ran out can be taken over
    assert!(store.try_acquire_job_lease("retrain", hour).await.unwrap());
}

fn list(user: i32, version: u64, movies: &[i32]) -> UserRecommendations {
    UserRecommendations {
        user,
        version,
        generated_at: 1_800_000_000,
        items: movies
            .iter()
            .enumerate()
            .map(|(i, &m)| RecommendedItem {
                movie: m,
                score: 5.0 - i as f32 * 0.25,
                // present on some items only: both must survive the round trip
                predicted_rating: (i % 2 == 0).then_some(4.5 - i as f32 * 0.1),
                because: (i % 3 == 1).then_some(m + 100),
            })
            .collect(),
        rating_mark: None,
    }
}

/// The freshness contract a GET relies on: every ingest that stores a rating
/// of a user gives them a new mark, a list written with the mark read before
/// its ratings is current until the user rates again, and the view of a user
/// carries both the list and the mark.
pub async fn rating_marks_tell_a_list_made_before_a_rating(store: &impl Store) {
    assert!(store.rating_marks(1, 100).await.unwrap().is_empty());
    store
        .ingest(&[rating(7, 1, 4.0, 10), rating(8, 1, 3.0, 10)], &[])
        .await
        .unwrap();
    let marks = store.rating_marks(7, 7).await.unwrap();
    assert_eq!(
        marks.keys().copied().collect::<Vec<_>>(),
        [7],
        "range 7..=7"
    );
    let first = marks[&7];
    let mut made = list(7, 1, &[2, 3]);
    made.rating_mark = Some(first);
    store
        .write_recommendations(1, &[made.clone()])
        .await
        .unwrap();
    store.publish_recommendations(1).await.unwrap();
    let view = store.user_view(7).await.unwrap();
    assert_eq!(view.rating_mark, Some(first));
    assert!(!view.rated_since_list());
    assert_eq!(
        view.current_list(),
        Some(made.clone()),
        "marks agree: current"
    );

    store.ingest(&[rating(7, 2, 5.0, 20)], &[]).await.unwrap();
    let view = store.user_view(7).await.unwrap();
    assert_ne!(
        view.rating_mark,
        Some(first),
        "a stored rating gives a new mark"
    );
    assert!(view.rated_since_list(), "{view:?}");
    assert_eq!(view.list, Some(made), "the list is still read");
    assert_eq!(view.current_list(), None, "but it is no longer current");
    let second = store.rating_marks(1, 100).await.unwrap();
    assert_eq!(second.len(), 2, "both users have a mark: {second:?}");
    assert_ne!(second[&7], first);

    let view = store.user_view(99).await.unwrap();
    assert_eq!(view, UserView::default(), "a user never seen");
    let view = store.user_view(8).await.unwrap();
    assert_eq!(
        (view.list.is_none(), view.rating_mark.is_some()),
        (true, true)
    );
    assert!(!view.rated_since_list(), "no list: nothing to be stale");
}

pub async fn recommendations_switch_versions_only_when_published(store: &impl Store) {
    assert_eq!(store.serving_version().await.unwrap(), None);
    store
        .write_recommendations(1, &[list(7, 1, &[1, 2, 3]), list(8, 1, &[4])])
        .await
        .unwrap();
    store
        .write_popular(
            1,
            &[RecommendedItem {
                movie: 9,
                score: 300.0,
                predicted_rating: None,
                because: None,
            }],
        )
        .await
        .unwrap();
    assert_eq!(
        store.recommendations(7).await.unwrap(),
        None,
        "unpublished lists are invisible"
    );
    assert_eq!(store.popular().await.unwrap(), None);
    store.publish_recommendations(1).await.unwrap();
    assert_eq!(store.serving_version().await.unwrap(), Some(1));
    assert_eq!(
        store.recommendations(7).await.unwrap(),
        Some(list(7, 1, &[1, 2, 3]))
    );
    assert_eq!(store.popular().await.unwrap().unwrap().0, 1);

    store
        .write_recommendations(2, &[list(7, 2, &[5, 6])])
        .await
        .unwrap();
    assert_eq!(
        store.recommendations(7).await.unwrap().unwrap().version,
        1,
        "readers stay on v1 while v2 is written"
    );
    store.publish_recommendations(2).await.unwrap();
    assert_eq!(
        store.recommendations(7).await.unwrap(),
        Some(list(7, 2, &[5, 6]))
    );
    assert_eq!(
        store.recommendations(8).await.unwrap(),
        None,
        "v1 lists are gone"
    );
    assert_eq!(
        store.popular().await.unwrap(),
        None,
        "no popular list was written for v2"
    );
    assert_eq!(store.recommendations(99).await.unwrap(), None);
}

pub async fn published_recommendations_are_the_serving_versions_lists(store: &impl Store) {
    assert!(store.published_recommendations().await.unwrap().is_empty());
    store
        .write_recommendations(1, &[list(7, 1, &[1, 2, 3]), list(8, 1, &[4])])
        .await
        .unwrap();
    assert!(
        store.published_recommendations().await.unwrap().is_empty(),
        "unpublished lists are invisible"
    );
    store.publish_recommendations(1).await.unwrap();
    store
        .write_recommendations(2, &[list(7, 2, &[5, 6])])
        .await
        .unwrap();
    let mut lists = store.published_recommendations().await.unwrap();
    lists.sort_by_key(|l| l.user);
    assert_eq!(lists, vec![list(7, 1, &[1, 2, 3]), list(8, 1, &[4])]);
    store.publish_recommendations(2).await.unwrap();
    assert_eq!(
        store.published_recommendations().await.unwrap(),
        vec![list(7, 2, &[5, 6])]
    );
}

fn served(user: i32, served_at_ms: i64, movies: &[i32]) -> ServedList {
    ServedList {
        user,
        served_at_ms,
        version: 3,
        source: "batch".into(),
        arm: "model".into(),
        movies: movies.to_vec(),
    }
}

pub async fn served_lists_are_kept_once_read_by_time_and_pruned(store: &impl Store) {
    let lists = [
        served(7, 1_000, &[31, 32, 33]),
        served(8, 2_000, &[1]),
        served(7, 3_000, &[]),
    ];
    store.record_served(&lists).await.unwrap();
    // a batch recorded again (an at-least-once flush) is kept once
    store.record_served(&lists[..2]).await.unwrap();
    assert_eq!(store.served_since(0).await.unwrap(), lists.to_vec());
    assert_eq!(
        store.served_since(2_000).await.unwrap(),
        lists[1..].to_vec()
    );
    assert_eq!(store.prune_served(2_000).await.unwrap(), 1);
    assert_eq!(store.prune_served(2_000).await.unwrap(), 0);
    assert_eq!(store.served_since(0).await.unwrap(), lists[1..].to_vec());
}

/// Declares one `#[tokio::test]` per conformance check. `$make` is an async
/// fn returning `(store, guard)`; with `optional`, it returns an `Option` of
/// them, and `None` (the backend's server is not available) skips the check.
#[macro_export]
macro_rules! conformance_tests {
    ($make:path) => {
        $crate::conformance_tests!(@each $make, (|made| Some(made)), ALL_CHECKS);
    };
    (optional $make:path) => {
        $crate::conformance_tests!(@each $make, (|made| made), ALL_CHECKS);
    };
    (@each $make:path, $wrap:tt, ALL_CHECKS) => {
        $crate::conformance_tests!(@each $make, $wrap,
            ingest_keeps_the_newest_rating,
            ingest_within_one_batch_keeps_the_newest,
            ratings_stream_in_pages_and_by_user_range,
            repeating_a_batch_changes_nothing,
            dead_letters_keep_raw_reason_and_origin,
            rating_summary_counts_the_stored_ratings,
            catalogue_upserts_and_looks_up,
            registry_tracks_versions_files_and_promotion,
            job_lease_is_exclusive_and_expires,
            old_dead_letters_and_model_files_can_be_deleted,
            markers_are_set_read_and_removed,
            recommendations_switch_versions_only_when_published,
            published_recommendations_are_the_serving_versions_lists,
            rating_marks_tell_a_list_made_before_a_rating,
            served_lists_are_kept_once_read_by_time_and_pruned
        );
    };
    (@each $make:path, $wrap:tt, $($check:ident),+) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let Some((store, _guard)) = $wrap($make().await) else {
                    return;
                };
                $crate::conformance::$check(&store).await;
            }
        )+
    };
}
