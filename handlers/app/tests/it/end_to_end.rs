//! End to end, as a user runs it: `movierec serve` on an empty store imports
//! the bundled data, trains and publishes; events arrive through `POST /events`;
//! the timers read from functions/*/function.json retrain and republish on
//! their own; GET serves lists that leave out what each user rated.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use crate::common::*;
use serde_json::{json, Value};

fn start(store: &std::path::Path) -> Serve {
    start_serve(
        store,
        &[
            ("MOVIEREC_RANK", "8"),
            ("MOVIEREC_ITERATIONS", "6"),
            ("MOVIEREC_RETRAIN_SCHEDULE", "*/4 * * * * *"),
            ("MOVIEREC_RECOMMEND_SCHEDULE", "* * * * * *"),
            ("MOVIEREC_MAX_EVENTS_BYTES", "20000"),
        ],
    )
}

fn get(url: &str) -> (u16, Value) {
    http::get(url)
}

/// Blocking helpers over reqwest, each on its own small runtime.
mod http {
    pub fn get(url: &str) -> (u16, serde_json::Value) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let r = ::reqwest::get(url).await.unwrap();
            (r.status().as_u16(), r.json().await.unwrap())
        })
    }

    pub fn post(url: &str, body: String) -> (u16, serde_json::Value) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let r = ::reqwest::Client::new()
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json().await.unwrap())
        })
    }
}

fn ids(body: &Value) -> Vec<i32> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["movie_id"].as_i64().unwrap() as i32)
        .collect()
}

#[test]
fn events_in_retrain_recommend_all_and_seen_excluded_lists_out() {
    let store = tempfile::tempdir().unwrap();
    let server = start(store.path());
    let mut rated: HashMap<i32, HashSet<i32>> = HashMap::new();
    for (u, m, _) in rated_pairs(&bundled_ratings()) {
        rated.entry(u).or_default().insert(m);
    }

    // Bootstrapped: every user has a published list without their rated movies, with titles.
    for user in [1, 2, 77, 414, 610] {
        let (status, body) = get(&format!("{}/recommendations/{user}", server.url));
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["source"], "batch");
        assert_eq!(body["model_version"], 1);
        let got = ids(&body);
        assert_eq!(got.len(), 10);
        assert!(
            got.iter().all(|m| !rated[&user].contains(m)),
            "user {user} got a rated movie: {got:?}"
        );
        assert!(
            body["items"][0]["title"].as_str().unwrap().contains('('),
            "{body}"
        );
    }

    // A new user's events arrive; they are folded in at once.
    let mine = [(1, 5.0), (260, 4.5), (1196, 5.0), (2571, 4.0), (296, 1.0)];
    let events: Vec<Value> = mine
        .iter()
        .enumerate()
        .map(|(i, (m, r))| json!({"UserId": 7777, "MovieId": m, "Rating": r, "Timestamp": 1_700_000_000 + i}))
        .collect();
    let (status, body) = http::post(
        &format!("{}/events", server.url),
        Value::Array(events).to_string(),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stored"], 5);
    let (_, body) = get(&format!("{}/recommendations/7777", server.url));
    assert_eq!(body["source"], "fold-in", "{body}");

    // The timers retrain and republish; then the new user has a batch list
    // of their own. Asked again at each publication the server logs.
    let deadline = Instant::now() + Duration::from_secs(90);
    let body = loop {
        let mark = server.log_mark();
        let (_, body) = get(&format!("{}/recommendations/7777", server.url));
        if body["source"] == "batch" {
            break body;
        }
        let published = server.wait_for_line(mark, "published recommendations", deadline);
        assert!(
            published.is_some(),
            "no republished list within 90 s: {body}\nthe server's last log lines:\n{}",
            server.log_tail()
        );
    };
    assert!(body["model_version"].as_u64().unwrap() >= 2, "{body}");
    let got = ids(&body);
    assert!(
        got.iter().all(|m| !mine.iter().any(|(r, _)| r == m)),
        "rated movies recommended: {got:?}"
    );

    // Over the size limit: refused whole, nothing stored.
    let before = count_ratings(store.path());
    let big: Vec<Value> = (0..400)
        .map(|i| json!({"UserId": 8888, "MovieId": i + 1, "Rating": 3.0, "Timestamp": 1}))
        .collect();
    let (status, body) = http::post(
        &format!("{}/events", server.url),
        Value::Array(big).to_string(),
    );
    assert_eq!(status, 413, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("over the limit of 20000 bytes"),
        "{body}"
    );
    assert_eq!(count_ratings(store.path()), before);

    // Not JSON at all: a 400 that says the body was kept as a dead letter.
    let (status, body) = http::post(
        &format!("{}/events", server.url),
        "UserId=1&MovieId=2".into(),
    );
    assert_eq!(status, 400);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("kept as a dead letter"),
        "{body}"
    );
}

fn count_ratings(dir: &std::path::Path) -> i64 {
    let conn = rusqlite::Connection::open(dir.join("movierec.db")).unwrap();
    conn.query_row("SELECT COUNT(*) FROM ratings", [], |r| r.get(0))
        .unwrap()
}
