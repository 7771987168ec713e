//! Impressions and "served, then liked", as a user causes them: lists served
//! by `GET /recommendations` are recorded; a served movie its user then
//! rates 4 or more counts as liked in `GET /dashboard/online`, one rated
//! lower or not served does not; with MOVIEREC_IMPRESSIONS_SAMPLE=0 nothing
//! is recorded.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::{start_serve, Serve};

/// Small models, and figures read again at every dashboard request.
const SETTINGS: &[(&str, &str)] = &[
    ("MOVIEREC_RANK", "8"),
    ("MOVIEREC_ITERATIONS", "4"),
    ("MOVIEREC_RANKING_RANK", "8"),
    ("MOVIEREC_RANKING_ITERATIONS", "4"),
    ("MOVIEREC_RANKING_TUNE", "false"),
    ("MOVIEREC_DASHBOARD_CACHE_SECONDS", "0"),
    ("MOVIEREC_IMPRESSIONS_SAMPLE", "1"),
];

async fn get(url: String) -> Value {
    let answer = reqwest::get(&url).await.unwrap();
    assert_eq!(answer.status(), 200, "GET {url}");
    answer.json().await.unwrap()
}

fn movies(list: &Value) -> Vec<i64> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["movie_id"].as_i64().unwrap())
        .collect()
}

/// The online view once it counts `served` movies in the group of lists
/// from `source` (the writer stores impressions in the background), or a
/// failure after 20 s.
async fn online_once_served_in(server: &Serve, source: &str, served: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let view = get(format!("{}/dashboard/online", server.url)).await;
        let group = view["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["source"] == source)
            .cloned();
        if group.as_ref().is_some_and(|g| g["served"] == served) {
            return view;
        }
        assert!(
            Instant::now() < deadline,
            "the online view never counted {served} served movies from {source}: {view}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_served_movie_rated_well_soon_after_counts_as_liked() {
    let store = tempfile::tempdir().unwrap();
    let server = start_serve(store.path(), SETTINGS);
    let first = get(format!("{}/recommendations/1", server.url)).await;
    let second = get(format!("{}/recommendations/2", server.url)).await;
    // a reload serves the same pairs again: they count once
    get(format!("{}/recommendations/1", server.url)).await;
    assert_eq!(first["source"], "batch");
    let (mine, theirs) = (movies(&first), movies(&second));
    assert_eq!((mine.len(), theirs.len()), (10, 10));
    let now = chrono::Utc::now().timestamp();
    let events = json!([
        // liked: a served movie, 4.5 stars, just after it was served
        {"UserId": 1, "MovieId": mine[0], "Rating": 4.5, "Timestamp": now},
        // served, but not liked
        {"UserId": 1, "MovieId": mine[1], "Rating": 2.0, "Timestamp": now},
        // liked, but never served to this user
        {"UserId": 2, "MovieId": 999_999, "Rating": 5.0, "Timestamp": now},
    ]);
    let answer = reqwest::Client::new()
        .post(format!("{}/events", server.url))
        .json(&events)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);

    let view = online_once_served_in(&server, "batch", 20).await;
    assert_eq!(view["liked_within_minutes"], 10_080, "{view}");
    let group = &view["groups"][0];
    assert_eq!(group["version"], 1, "{view}");
    assert_eq!(group["liked"], 1, "{view}");
    assert!(
        (group["rate"].as_f64().unwrap() - 0.05).abs() < 1e-12,
        "{view}"
    );
    let (low, high) = (
        group["low"].as_f64().unwrap(),
        group["high"].as_f64().unwrap(),
    );
    assert!(
        low > 0.0 && low < 0.05 && high > 0.05 && high < 0.3,
        "{view}"
    );
    assert!(group["offline_ndcg_at_k"].as_f64().unwrap() > 0.0, "{view}");
    // over time: one minute's bucket of the source, beside the version's offline figure
    let timeline = &view["timeline"];
    assert_eq!(timeline["bucket_minutes"], 1, "{view}");
    assert_eq!(timeline["series"][0]["name"], "batch", "{view}");
    let point = &timeline["series"][0]["points"][0];
    assert_eq!(
        (&point["served"], &point["liked"]),
        (&json!(20), &json!(1)),
        "{view}"
    );
    assert_eq!(
        timeline["offline_ndcg_at_k"][0], group["offline_ndcg_at_k"],
        "{view}"
    );
    // the page shows the same row
    let page = reqwest::get(format!("{}/dashboard", server.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Served, then liked"), "{page}");
    assert!(page.contains("5.00%"), "the page's row: {page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_sample_of_zero_nothing_is_recorded() {
    let store = tempfile::tempdir().unwrap();
    let mut settings = SETTINGS.to_vec();
    settings.retain(|(name, _)| *name != "MOVIEREC_IMPRESSIONS_SAMPLE");
    settings.push(("MOVIEREC_IMPRESSIONS_SAMPLE", "0"));
    let server = start_serve(store.path(), &settings);
    for user in 1..=5 {
        get(format!("{}/recommendations/{user}", server.url)).await;
    }
    // The writer stores what queued every 250 ms (the test above waits for
    // it): two seconds are ample for a list that should not exist.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let view = get(format!("{}/dashboard/online", server.url)).await;
    assert_eq!(view["groups"], json!([]), "{view}");
}

/// Each user's arm, as the answers name it, with the list's source.
async fn arms(server: &Serve, users: std::ops::RangeInclusive<i32>) -> Vec<(String, String)> {
    let mut arms = Vec::new();
    for user in users {
        let list = get(format!("{}/recommendations/{user}", server.url)).await;
        let arm = list["arm"]
            .as_str()
            .unwrap_or_else(|| panic!("no arm: {list}"));
        arms.push((
            arm.to_string(),
            list["source"].as_str().unwrap().to_string(),
        ));
    }
    arms
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ab_test_serves_each_arm_its_list_keeps_users_in_their_arm_and_counts_each() {
    let store = tempfile::tempdir().unwrap();
    let mut settings = SETTINGS.to_vec();
    settings.push(("MOVIEREC_AB_TEST", "model:1,popular:1"));
    let server = start_serve(store.path(), &settings);
    let first = arms(&server, 1..=30).await;
    for (arm, source) in &first {
        match arm.as_str() {
            "model" => assert_eq!(source, "batch"),
            "popular" => assert_eq!(source, "popular"),
            other => panic!("arm {other}"),
        }
    }
    let in_popular = first.iter().filter(|(arm, _)| arm == "popular").count();
    assert!(
        (5..=25).contains(&in_popular),
        "{in_popular} of 30 in popular"
    );
    // every pair of the 30 lists, counted by arm
    let view = online_once_served_in(&server, "popular", 10 * in_popular as u64).await;
    let ab = &view["ab"];
    assert_eq!(ab["arms"].as_array().unwrap().len(), 2, "{view}");
    assert_eq!(ab["winner"], Value::Null, "too few pairs to call: {view}");

    // The same store, a new process: every user is in the same arm.
    drop(server);
    let server = start_serve(store.path(), &settings);
    assert_eq!(arms(&server, 1..=30).await, first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_arm_serves_that_version_from_the_users_current_ratings() {
    let store = tempfile::tempdir().unwrap();
    let mut settings = SETTINGS.to_vec();
    // version 1 is the bootstrap's: the arm serves it as a challenger would be
    settings.push(("MOVIEREC_AB_TEST", "model:1,v1:1"));
    let server = start_serve(store.path(), &settings);
    let mut seen = std::collections::BTreeSet::new();
    for user in 1..=20 {
        let list = get(format!("{}/recommendations/{user}", server.url)).await;
        let arm = list["arm"].as_str().unwrap().to_string();
        match arm.as_str() {
            "model" => assert_eq!(list["source"], "batch", "{list}"),
            // never the published list: worked out from the user's ratings now
            "v1" => assert_eq!(list["source"], "fold-in", "{list}"),
            other => panic!("arm {other}"),
        }
        assert_eq!(list["model_version"], 1, "{list}");
        assert_eq!(movies(&list).len(), 10, "{list}");
        seen.insert(arm);
    }
    assert_eq!(seen.len(), 2, "20 users, both arms: {seen:?}");
}
