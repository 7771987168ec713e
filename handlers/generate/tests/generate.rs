//! `movierec-generate` as a user runs it: into the app in standalone mode
//! (what was sent is what is stored), stopped by Ctrl-C, against a target
//! that is down, and into the local Event Hubs test server, read back by a
//! consumer built with the same crate.

mod common;

use std::collections::{HashMap, HashSet};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use movierec_store::{DeadLetterStore, RatingStore, SqliteStore};
use serde_json::Value;

/// The app on an empty store that stays empty (no bootstrap).
fn start_app(store: &std::path::Path) -> Serve {
    start_serve(store)
}

/// Runs `movierec-generate` with `args` then `run`, which must succeed; its summary.
fn generate_ok(args: &[&str], run: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend_from_slice(run);
    let out = generator(&all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    summary(&out)
}

/// The summary a run printed as JSON (its last line on stderr).
fn summary(out: &Output) -> Value {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|_| panic!("no JSON summary in: {stderr}"))
}

/// The events a seeded synthetic run makes, from a run to stdout: the valid
/// ones as (user, movie, rating), and how many were poison.
fn expected_events(args: &[&str]) -> (Vec<(i64, i64, f64)>, usize) {
    let mut all = vec!["--to", "stdout"];
    all.extend_from_slice(args);
    let stdout = generator_ok(&all);
    let mut valid = Vec::new();
    let mut poison = 0;
    for line in stdout.lines() {
        match serde_json::from_str::<Value>(line) {
            Ok(v) if v.get("Poison").is_none() => valid.push((
                v["UserId"].as_i64().unwrap(),
                v["MovieId"].as_i64().unwrap(),
                v["Rating"].as_f64().unwrap(),
            )),
            _ => poison += 1,
        }
    }
    (valid, poison)
}

#[test]
fn generated_events_are_stored_by_the_app_once_per_rating() {
    let store = tempfile::tempdir().unwrap();
    let app = start_app(store.path());
    let run = [
        "--synthetic",
        "--users",
        "60",
        "--movies",
        "300",
        "--count",
        "3000",
        "--seed",
        "7",
        "--poison-rate",
        "0.05",
        "--batch",
        "250",
    ];
    let (valid, poison) = expected_events(&run);
    assert_eq!(valid.len() + poison, 3000);
    assert!(poison > 50, "a 5% poison rate: {poison}");
    let url = format!("{}/events", app.url);
    let s = generate_ok(&["--to", &url, "--json"], &run);
    assert_eq!(s["sent"], 3000);
    assert_eq!(s["poison"].as_u64().unwrap() as usize, poison);
    assert_eq!(s["stopped_by"], "count");
    assert_eq!(s["app"]["dead_lettered"].as_u64().unwrap() as usize, poison);
    assert_eq!(
        (s["app"]["stored"].as_u64().unwrap() + s["app"]["unchanged"].as_u64().unwrap()) as usize,
        valid.len(),
        "every valid event acknowledged: {s}"
    );
    drop(app);

    // What is stored: one rating per (user, movie) sent, every poison event kept aside.
    let pairs: HashSet<(i64, i64)> = valid.iter().map(|&(u, m, _)| (u, m)).collect();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sqlite = SqliteStore::open(store.path()).unwrap();
    runtime.block_on(async {
        assert_eq!(sqlite.rating_count().await.unwrap() as usize, pairs.len());
        assert_eq!(sqlite.dead_letter_count().await.unwrap() as usize, poison);
        let stored: HashSet<(i64, i64)> = sqlite
            .all_ratings()
            .await
            .unwrap()
            .iter()
            .map(|r| (r.user as i64, r.movie as i64))
            .collect();
        assert_eq!(stored, pairs);
    });
}

#[test]
fn ctrl_c_stops_after_the_batch_in_hand_and_loses_nothing() {
    let store = tempfile::tempdir().unwrap();
    let app = start_app(store.path());
    let url = format!("{}/events", app.url);
    let child = Command::new(env!("CARGO_BIN_EXE_movierec-generate"))
        .args([
            "--synthetic",
            "--count",
            "1000000",
            "--rate",
            "2000",
            "--batch",
            "100",
            "--to",
            &url,
            "--json",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(5), "slow to stop");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = summary(&out);
    assert_eq!(s["stopped_by"], "interrupted", "{s}");
    let sent = s["sent"].as_u64().unwrap();
    assert!(
        (500..=6000).contains(&sent),
        "about 2000 events/s for 1.5 s: {s}"
    );
    assert_eq!(sent % 100, 0, "whole batches only: {s}");
    let acknowledged =
        s["app"]["stored"].as_u64().unwrap() + s["app"]["unchanged"].as_u64().unwrap();
    assert_eq!(acknowledged, sent, "{s}");
}

#[test]
fn a_target_that_is_down_is_retried_then_reported() {
    // port 9 (discard) on 127.0.0.1: nothing listens
    let out = generator(&[
        "--synthetic",
        "--count",
        "10",
        "--to",
        "http://127.0.0.1:9/events",
        "--retries",
        "2",
        "--json",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("could not be sent after 2 retries"),
        "{stderr}"
    );
    assert!(
        stderr.contains("0 events were sent before it, 10 not"),
        "{stderr}"
    );
    let last_json = stderr
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<Value>(l).ok())
        .expect("a JSON summary");
    assert_eq!(last_json["retries"], 2);
    assert_eq!(last_json["stopped_by"], "error");
}

#[test]
fn bad_options_are_refused_with_a_hint() {
    for (args, needle) in [
        (vec!["--synthetic"], "--count or --duration"),
        (vec!["--count", "5"], "--from FILE or --synthetic"),
        (
            vec!["--synthetic", "--count", "5", "--poison-rate", "2"],
            "between 0 and 1",
        ),
        (
            vec!["--synthetic", "--count", "5", "--to", "ftp://x"],
            "expected stdout",
        ),
        (
            vec!["--synthetic", "--duration", "5d"],
            "unit must be s, m or h",
        ),
    ] {
        let out = generator(&args);
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}

#[test]
fn a_ratings_file_is_replayed_in_file_order_with_its_format_flags() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ratings.txt");
    std::fs::write(&file, "1::10::4::0\n2::20::3.5::0\nbad row\n3::30::5::0\n").unwrap();
    let path = file.to_str().unwrap();
    let out = generator_ok(&[
        "--from",
        path,
        "--format",
        "dat",
        "--on-error",
        "skip",
        "--seed",
        "1",
    ]);
    let sent: Vec<(i64, i64, f64)> = out
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["UserId"].as_i64().unwrap(),
                v["MovieId"].as_i64().unwrap(),
                v["Rating"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(sent, vec![(1, 10, 4.0), (2, 20, 3.5), (3, 30, 5.0)]);
    let refused = generator(&["--from", path, "--format", "dat"]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("reading ratings from"), "{stderr}");
    let unknown = generator(&["--from", path, "--format", "tsv"]);
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(stderr.contains("auto, tab, dat, csv"), "{stderr}");
}

/// The local Event Hubs test server, or `None` (skip) when it is not running.
fn eventhubs_endpoint() -> Option<String> {
    match std::env::var("MOVIEREC_TEST_EVENTHUBS_ENDPOINT") {
        Ok(e) if !e.is_empty() => Some(e),
        _ => missing_peer(
            "MOVIEREC_REQUIRE_EVENTHUBS",
            "MOVIEREC_TEST_EVENTHUBS_ENDPOINT is unset: no local Event Hubs server (`bash testsupport/server.sh start eventhubs`)",
        ),
    }
}

/// Reads every partition of `hub` from the start until it has been quiet for
/// a second: each partition's event bodies, in order.
async fn consume(endpoint: &str, hub: &str) -> HashMap<String, Vec<Value>> {
    use azure_messaging_eventhubs::{
        ConsumerClient, OpenReceiverOptions, StartLocation, StartPosition,
    };
    use futures::StreamExt;
    let consumer = ConsumerClient::builder()
        .with_custom_endpoint(endpoint.to_string())
        .open(
            "localhost",
            hub.to_string(),
            std::sync::Arc::new(movierec_generate::eventhub::LocalServerToken),
        )
        .await
        .expect("open a consumer");
    let partitions = consumer
        .get_eventhub_properties()
        .await
        .unwrap()
        .partition_ids;
    let mut by_partition = HashMap::new();
    for id in partitions {
        let options = OpenReceiverOptions {
            start_position: Some(StartPosition {
                location: StartLocation::Earliest,
                ..Default::default()
            }),
            ..Default::default()
        };
        let receiver = consumer
            .open_receiver_on_partition(id.clone(), Some(options))
            .await
            .expect("open a receiver");
        let mut events = Vec::new();
        let stream = receiver.stream_events();
        futures::pin_mut!(stream);
        while let Ok(Some(Ok(event))) =
            tokio::time::timeout(Duration::from_secs(1), stream.next()).await
        {
            let body = event.event_data().body().expect("a body");
            events.push(serde_json::from_slice::<Value>(body).expect("JSON body"));
        }
        by_partition.insert(id, events);
    }
    by_partition
}

fn eventhub_round_trip(partition_by: &str) {
    let Some(endpoint) = eventhubs_endpoint() else {
        return;
    };
    let hub = format!("ratings-{partition_by}-{}", std::process::id());
    let run = [
        "--synthetic",
        "--users",
        "40",
        "--movies",
        "200",
        "--count",
        "800",
        "--seed",
        "11",
        "--batch",
        "200",
    ];
    let (expected, poison) = expected_events(&run);
    assert_eq!(poison, 0);
    let args = [
        "--to",
        "eventhub",
        "--namespace",
        "localhost",
        "--hub",
        &hub,
        "--eventhub-endpoint",
        &endpoint,
        "--partition-by",
        partition_by,
        "--send-timeout",
        "5s",
        "--retries",
        "10",
        "--json",
    ];
    let sent = generate_ok(&args, &run);
    assert_eq!(sent["sent"], 800);
    let retries = sent["retries"].as_u64().unwrap();

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let received = runtime.block_on(consume(&endpoint, &hub));
    let mut got: Vec<(i64, i64, f64)> = Vec::new();
    let mut partition_of_user: HashMap<i64, &String> = HashMap::new();
    for (partition, events) in &received {
        for e in events {
            let user = e["UserId"].as_i64().unwrap();
            let movie = e["MovieId"].as_i64().unwrap();
            got.push((user, movie, e["Rating"].as_f64().unwrap()));
            assert!(e["Timestamp"].as_i64().unwrap() > 1_700_000_000);
            let first = partition_of_user.entry(user).or_insert(partition);
            assert_eq!(
                *first, partition,
                "user {user}'s events are in one partition"
            );
        }
    }
    if retries == 0 {
        // Nothing was resent: exactly what was sent, each user's events in the
        // order they were generated.
        assert_eq!(got.len(), 800, "exactly what was sent, nothing more");
        for user in partition_of_user.keys() {
            let sent: Vec<_> = expected.iter().filter(|e| e.0 == *user).collect();
            let arrived: Vec<_> = got.iter().filter(|e| e.0 == *user).collect();
            assert_eq!(sent, arrived, "user {user}");
        }
    } else {
        // A send got no acknowledgement in time and was retried on a new
        // connection: every event arrived, some possibly twice.
        let mut missing: HashMap<(i64, i64, u64), i64> = HashMap::new();
        for e in &expected {
            *missing.entry((e.0, e.1, e.2.to_bits())).or_default() += 1;
        }
        for e in &got {
            *missing.entry((e.0, e.1, e.2.to_bits())).or_default() -= 1;
        }
        let lost: Vec<_> = missing.iter().filter(|(_, n)| **n > 0).collect();
        assert!(
            lost.is_empty(),
            "{} events never arrived: {lost:?}",
            lost.len()
        );
    }
    assert!(
        received.values().filter(|e| !e.is_empty()).count() > 1,
        "spread over partitions"
    );
}

#[test]
fn events_sent_to_an_event_hub_by_user_key_are_read_back_exactly() {
    eventhub_round_trip("key");
}

#[test]
fn events_sent_to_an_event_hub_by_user_hash_are_read_back_exactly() {
    eventhub_round_trip("hash");
}
