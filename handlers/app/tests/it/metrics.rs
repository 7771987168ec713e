//! `GET /metrics`: what one `movierec serve` counted of the answers, events
//! and jobs a user caused, read as Prometheus' text; then a real Prometheus
//! server (Debian's `prometheus`) scrapes it and its query API returns the
//! same counters. With MOVIEREC_METRICS=false there is no endpoint.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::peers::missing_peer;
use crate::common::{start_serve, Serve, SMALL_MODELS as SMALL};

/// The series the test reads, as Prometheus names them.
const BATCH_LISTS: &str =
    r#"movierec_http_requests_total{route="/recommendations/{user}",source="batch",status="200"}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_users_did_and_a_prometheus_server_scrapes_them() {
    let store = tempfile::tempdir().unwrap();
    let server = start_serve(store.path(), SMALL);
    let client = reqwest::Client::new();
    let url = &server.url;
    let get = |path: String| {
        let client = client.clone();
        async move { client.get(path).send().await.unwrap().status().as_u16() }
    };
    for _ in 0..3 {
        assert_eq!(get(format!("{url}/recommendations/1")).await, 200);
    }
    assert_eq!(get(format!("{url}/recommendations/999999")).await, 200);
    assert_eq!(get(format!("{url}/recommendations/abc")).await, 400);
    let events = json!([
        {"UserId": 1, "MovieId": 31, "Rating": 2.5, "Timestamp": 1_700_000_000},
        {"UserId": 1, "MovieId": 32},
    ]);
    let answer = client
        .post(format!("{url}/events"))
        .json(&events)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);

    let scraped = client.get(format!("{url}/metrics")).send().await.unwrap();
    assert_eq!(scraped.status(), 200);
    let content_type = scraped.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let text = scraped.text().await.unwrap();
    let samples = samples(&text);
    let sample = |series: &str| -> f64 {
        *samples
            .get(series)
            .unwrap_or_else(|| panic!("no {series} in GET /metrics:\n{text}"))
    };
    assert_eq!(sample(BATCH_LISTS), 3.0);
    assert_eq!(
        sample(
            r#"movierec_http_requests_total{route="/recommendations/{user}",source="popular",status="200"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(
            r#"movierec_http_requests_total{route="/recommendations/{user}",source="",status="400"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(
            r#"movierec_http_request_duration_seconds_count{route="/recommendations/{user}",source="batch"}"#
        ),
        3.0
    );
    assert_eq!(
        sample(r#"movierec_ingest_events_total{outcome="stored"}"#),
        1.0
    );
    assert_eq!(
        sample(r#"movierec_ingest_events_total{outcome="dead_lettered"}"#),
        1.0
    );
    // The bootstrap trained and published version 1, through the job runtime.
    // (a timer may have run them again since)
    assert!(sample(r#"movierec_job_runs_total{job="retrain",outcome="done"}"#) >= 1.0);
    assert!(sample(r#"movierec_job_runs_total{job="recommend-for-all",outcome="done"}"#) >= 1.0);
    assert_eq!(sample("movierec_serving_model_version"), 1.0);
    assert!(sample(r#"movierec_snapshot_hits_total{cache="model"}"#) >= 3.0);
    assert!(text.ends_with("# EOF\n"), "{text}");

    scraped_by_prometheus(&server).await;
}

#[test]
fn with_metrics_off_there_is_no_endpoint() {
    let store = tempfile::tempdir().unwrap();
    let server = start_serve(
        store.path(),
        &[
            ("MOVIEREC_METRICS", "false"),
            ("MOVIEREC_BOOTSTRAP", "false"),
        ],
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let answer = reqwest::get(format!("{}/metrics", server.url))
            .await
            .unwrap();
        assert_eq!(answer.status(), 404);
        let text = answer.text().await.unwrap();
        assert!(text.contains("MOVIEREC_METRICS=false"), "{text}");
        // The other routes answer as before.
        let answer = reqwest::get(format!("{}/healthz", server.url))
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
    });
}

/// A Prometheus server scrapes `server` every second; its query API must
/// return the batch lists' counter as GET /metrics showed it.
async fn scraped_by_prometheus(server: &Serve) {
    let Some(binary) = prometheus_binary() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let target = server.url.trim_start_matches("http://");
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: movierec\n    static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .unwrap();
    let port = free_port();
    let prometheus = Prometheus(
        Command::new(binary)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start prometheus"),
    );
    let query = format!(
        "http://127.0.0.1:{port}/api/v1/query?query={}",
        form_urlencoded::byte_serialize(BATCH_LISTS.as_bytes()).collect::<String>()
    );
    // Prometheus is another server: its API is asked until the first scrape
    // is in, or a minute passes.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = String::from("no answer");
    loop {
        if let Ok(answer) = reqwest::get(&query).await {
            let body: Value = answer.json().await.unwrap_or(Value::Null);
            let value = &body["data"]["result"][0]["value"][1];
            if value.as_str() == Some("3") {
                let metric = &body["data"]["result"][0]["metric"];
                assert_eq!(metric["job"], "movierec", "{body}");
                assert_eq!(metric["source"], "batch", "{body}");
                break;
            }
            last = body.to_string();
        }
        assert!(
            Instant::now() < deadline,
            "Prometheus never returned {BATCH_LISTS} = 3 within 60 s; its last answer: {last}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    drop(prometheus);
}

/// Stops the Prometheus server with the test.
struct Prometheus(Child);

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Debian's `prometheus`, or `MOVIEREC_PROMETHEUS`; a skip without one
/// (a failure when MOVIEREC_REQUIRE_PROMETHEUS=1, as in CI).
fn prometheus_binary() -> Option<PathBuf> {
    let binary = std::env::var_os("MOVIEREC_PROMETHEUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/prometheus"));
    if binary.exists() {
        return Some(binary);
    }
    missing_peer(
        "MOVIEREC_REQUIRE_PROMETHEUS",
        "no Prometheus server (apt-get install prometheus, or set MOVIEREC_PROMETHEUS)",
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The text format's samples by series (name with its labels as written).
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            Some((series.to_string(), value.parse().ok()?))
        })
        .collect()
}
