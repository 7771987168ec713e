//! Hostile and runaway input against the real binary in standalone mode and
//! under a (stand-in) Functions host: oversized bodies, cross-site writes,
//! floods of bad events, idle connections, a broken store. Each test is one
//! defect a user or an attacker found; each asserts what they would notice.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{root, start_serve, Serve};
use serde_json::{json, Value};

/// A standalone server on an empty store that does not bootstrap.
fn bare_server(store: &Path, env: &[(&str, &str)]) -> Serve {
    let mut all = vec![("MOVIEREC_BOOTSTRAP", "false")];
    all.extend_from_slice(env);
    start_serve(store, &all)
}

fn dead_letter_count(store: &Path) -> i64 {
    let db = rusqlite::Connection::open(store.join("movierec.db")).unwrap();
    db.query_row("SELECT COUNT(*) FROM dead_letters", [], |r| r.get(0))
        .unwrap()
}

fn rating_count(store: &Path) -> i64 {
    let db = rusqlite::Connection::open(store.join("movierec.db")).unwrap();
    db.query_row("SELECT COUNT(*) FROM ratings", [], |r| r.get(0))
        .unwrap()
}

async fn post(url: &str, body: Vec<u8>, headers: &[(&str, &str)]) -> (u16, String) {
    let mut request = reqwest::Client::new().post(url).body(body);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let r = request.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

const JSON: (&str, &str) = ("content-type", "application/json");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standalone_writes_need_json_from_this_machine() {
    let store = tempfile::tempdir().unwrap();
    let app = bare_server(store.path(), &[]);
    let event = br#"{"UserId":1,"MovieId":2,"Rating":4,"Timestamp":1500000000}"#.to_vec();
    let url = format!("{}/events", app.url);
    // A cross-site form post: text/plain needs no permission from the browser.
    let (status, body) = post(&url, event.clone(), &[("content-type", "text/plain")]).await;
    assert_eq!(status, 415, "{body}");
    // DNS rebinding: the page's own name resolved to 127.0.0.1.
    let (status, body) = post(&url, event.clone(), &[JSON, ("host", "evil.example:7071")]).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("loopback"), "{body}");
    let (status, _) = post(
        &url,
        event.clone(),
        &[JSON, ("origin", "https://evil.example")],
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = post(
        &format!("{}/RetrainModel", app.url),
        b"{}".to_vec(),
        &[("host", "evil.example")],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        rating_count(store.path()),
        0,
        "a refused write stored nothing"
    );
    let (status, body) = post(&url, event, &[JSON]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(rating_count(store.path()), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_route_has_a_body_limit_and_stores_nothing_past_it() {
    let store = tempfile::tempdir().unwrap();
    let app = bare_server(store.path(), &[("MOVIEREC_MAX_EVENTS_BYTES", "65536")]);
    let numbers = format!("[{}1]", "1,".repeat(128 << 10)).into_bytes();
    for route in [
        "events",
        "IngestRatings",
        "RetrainModel",
        "RecommendAllUsers",
    ] {
        let (status, body) = post(&format!("{}/{route}", app.url), numbers.clone(), &[JSON]).await;
        assert_eq!(status, 413, "{route}: {body}");
    }
    // 8 MB of numbers (what took 2.7 GB of memory and 1.2 GB of store): refused
    // from its declared length; the server may hang up before it is all sent.
    let huge = format!("[{}1]", "1,".repeat(4 << 20)).into_bytes();
    let sent = reqwest::Client::new()
        .post(format!("{}/events", app.url))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await;
    if let Ok(r) = sent {
        assert_eq!(r.status().as_u16(), 413);
    }
    // Chunked, with no length declared: stopped at the limit all the same.
    let chunks =
        futures::stream::iter((0..64).map(|_| Ok::<_, std::io::Error>(vec![b' '; 64 << 10])));
    let r = reqwest::Client::new()
        .post(format!("{}/events", app.url))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await;
    // The server answers 413 and may close before the client has sent everything.
    if let Ok(r) = r {
        assert_eq!(r.status().as_u16(), 413);
    }
    assert_eq!(
        rating_count(store.path()) + dead_letter_count(store.path()),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_bad_events_costs_a_bounded_answer_and_store() {
    let store = tempfile::tempdir().unwrap();
    let app = bare_server(store.path(), &[]);
    // 100,000 different bad events (arrays, not objects) in under 1 MB.
    let bad: Vec<String> = (0..100_000).map(|i| format!("[{i}]")).collect();
    let flood = format!("[{}]", bad.join(",")).into_bytes();
    assert!(flood.len() <= 1 << 20);
    let (status, body) = post(&format!("{}/events", app.url), flood, &[JSON]).await;
    assert_eq!(status, 200);
    assert!(body.len() < 4096, "a {} byte answer", body.len());
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["dead_lettered"], 100_000);
    assert_eq!(
        dead_letter_count(store.path()),
        100,
        "99 letters and one that folds the rest"
    );
    let db = rusqlite::Connection::open(store.path().join("movierec.db")).unwrap();
    let folded: String = db
        .query_row(
            "SELECT raw FROM dead_letters WHERE id LIKE 'overflow-%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Vec<Value>>(&folded).unwrap().len(),
        99_901,
        "nothing lost"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn different_unreadable_bodies_are_two_letters_and_the_same_one_is_one() {
    let store = tempfile::tempdir().unwrap();
    let app = bare_server(store.path(), &[]);
    let url = format!("{}/events", app.url);
    // Same length, same second: the old ids (body-{second}-{length}) collided.
    for body in ["not json A", "not json B", "not json A"] {
        let (status, _) = post(&url, body.as_bytes().to_vec(), &[JSON]).await;
        assert_eq!(status, 400);
    }
    assert_eq!(dead_letter_count(store.path()), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timestamps_from_the_future_are_dead_lettered_with_the_reason() {
    let store = tempfile::tempdir().unwrap();
    let app = bare_server(store.path(), &[]);
    let now = chrono::Utc::now().timestamp();
    let events = json!([
        {"UserId": 1, "MovieId": 2, "Rating": 4, "Timestamp": now * 1000},
        {"UserId": 1, "MovieId": 3, "Rating": 4, "Timestamp": i64::MAX},
        {"UserId": 1, "MovieId": 4, "Rating": 4, "Timestamp": now}
    ]);
    let (status, body) = post(
        &format!("{}/events", app.url),
        events.to_string().into_bytes(),
        &[JSON],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (answer["stored"].as_u64(), answer["dead_lettered"].as_u64()),
        (Some(1), Some(2))
    );
    assert!(body.contains("milliseconds"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_closed_and_cannot_lock_clients_out() {
    let store = tempfile::tempdir().unwrap();
    let app = bare_server(
        store.path(),
        &[
            ("MOVIEREC_MAX_CONNECTIONS", "16"),
            ("MOVIEREC_HEADER_TIMEOUT_SECONDS", "1"),
        ],
    );
    let addr = app.url.trim_start_matches("http://").to_string();
    // Four times the cap of connections that never send a request.
    let idle: Vec<TcpStream> = (0..64)
        .map(|_| TcpStream::connect(&addr).unwrap())
        .collect();
    let started = Instant::now();
    let r = reqwest::Client::new()
        .get(format!("{}/healthz", app.url))
        .timeout(Duration::from_secs(15))
        .send()
        .await
        .expect("a real client got through");
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    // The server hung up on the idle ones.
    let mut first = idle.into_iter().next().unwrap();
    first
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 256];
    let read = first.read(&mut buf);
    assert!(
        matches!(read, Ok(0)) || matches!(&read, Ok(n) if buf[..*n].starts_with(b"HTTP/1.1 408")),
        "{read:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_carry_security_headers_and_internal_errors_keep_their_cause_private() {
    let store = tempfile::tempdir().unwrap();
    let app = bare_server(store.path(), &[]);
    let r = reqwest::get(format!("{}/dashboard", app.url))
        .await
        .unwrap();
    let h = r.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
}

/// `movierec serve` under a stand-in host: the port in FUNCTIONS_CUSTOMHANDLER_PORT.
fn host_mode(store: &Path) -> (std::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_movierec"))
        .args(["serve"])
        .current_dir(root())
        .env("MOVIEREC_STORE", store)
        .env("FUNCTIONS_CUSTOMHANDLER_PORT", port.to_string())
        .env("MOVIEREC_BOOTSTRAP", "false")
        .env_remove("MOVIEREC_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (child, format!("127.0.0.1:{port}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_the_host_information_goes_to_stdout_and_the_bare_ping_is_cheap() {
    let store = tempfile::tempdir().unwrap();
    let (mut child, addr) = host_mode(store.path());
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let listening = stdout.next().unwrap().unwrap();
    assert!(
        listening.starts_with("movierec listening on"),
        "{listening}"
    );
    // The host's ping: GET / with nothing but a Host header.
    let mut ping = TcpStream::connect(&addr).unwrap();
    write!(
        ping,
        "GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    ping.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.ends_with("ok"),
        "the ping got the dashboard: {} bytes",
        answer.len()
    );
    // An invocation logs at INFO and WARN (a bad event).
    let batch = json!({"Data": {"events": json!([r#"{"UserId":1}"#]).to_string()}, "Metadata": {}});
    let r = reqwest::Client::new()
        .post(format!("http://{addr}/IngestRatings"))
        .header("X-Azure-Functions-InvocationId", "1")
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(
        stderr.trim().is_empty(),
        "the host would log these as errors:\n{stderr}"
    );
    let rest: Vec<String> = stdout.map_while(Result::ok).collect();
    assert!(
        rest.iter()
            .any(|l| l.contains("INFO") && l.contains("invocation")),
        "{rest:?}"
    );
    assert!(
        rest.iter()
            .any(|l| l.contains("WARN") && l.contains("dead-lettered")),
        "{rest:?}"
    );
}

#[test]
fn a_broken_store_fails_at_once_with_one_clear_line() {
    let store = tempfile::tempdir().unwrap();
    std::fs::write(store.path().join("movierec.db"), vec![b'x'; 8192]).unwrap();
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_movierec"))
        .args(["serve", "--port", "0"])
        .current_dir(root())
        .env("MOVIEREC_STORE", store.path())
        .env_remove("FUNCTIONS_CUSTOMHANDLER_PORT")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() <= 2, "{stderr}");
    assert!(
        stderr.contains("movierec.db") && stderr.contains("move it aside"),
        "{stderr}"
    );
}

#[test]
fn binding_beyond_loopback_warns_that_everything_is_open() {
    let store = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_movierec"))
        .args(["serve", "--port", "0", "--bind", "0.0.0.0"])
        .current_dir(root())
        .env("MOVIEREC_STORE", store.path())
        .env("MOVIEREC_BOOTSTRAP", "false")
        .env_remove("FUNCTIONS_CUSTOMHANDLER_PORT")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut seen = Vec::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        let done = line.starts_with("movierec listening on");
        seen.push(line);
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        seen.iter()
            .any(|l| l.contains("WARN") && l.contains("without authentication")),
        "{seen:?}"
    );
}
