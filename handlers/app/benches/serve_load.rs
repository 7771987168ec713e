//! Load benchmark of `movierec serve` on 127.0.0.1 (run with
//! `cargo bench -p movierec --bench serve_load`; `-- --seconds 10 --connections 32`).
//!
//! Starts the release binary in standalone mode on a fresh store (it imports
//! the bundled data, trains and publishes), then, from this process on the
//! same machine:
//! 1. GET /recommendations/{user} over keep-alive connections, random users:
//!    requests per second and latency percentiles (`--path` GETs another
//!    page, `{user}` replaced: `--path '/dashboard?user={user}'` loads the dashboard);
//! 2. POST /events with batches of 100 new ratings: events per second stored.
//!
//! `--store cosmos` runs the same against the local Cosmos DB server named by
//! MOVIEREC_TEST_COSMOS_ENDPOINT (testsupport/server.sh start cosmos), on a fresh
//! database, instead of the embedded SQLite store. That server (Node, in
//! memory) copies and scans every document for each query page, so the
//! bootstrap there imports only the first COSMOS_BOOTSTRAP_RATINGS ratings of
//! the bundled set, and GETs ask for the users those cover.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

struct Args {
    seconds: u64,
    connections: usize,
    ingest_connections: usize,
    cosmos: bool,
    /// The GET phase's path; `{user}` is replaced by a random user.
    path: &'static str,
}

fn args() -> Args {
    let mut a = Args {
        seconds: 10,
        connections: 32,
        ingest_connections: 4,
        cosmos: false,
        path: "/recommendations/{user}",
    };
    let argv: Vec<String> = std::env::args().collect();
    for w in argv.windows(2) {
        match w[0].as_str() {
            "--seconds" => a.seconds = w[1].parse().expect("--seconds N"),
            "--connections" => a.connections = w[1].parse().expect("--connections N"),
            "--ingest-connections" => {
                a.ingest_connections = w[1].parse().expect("--ingest-connections N")
            }
            "--path" => a.path = w[1].clone().leak(),
            "--store" => match w[1].as_str() {
                "cosmos" => a.cosmos = true,
                "sqlite" => a.cosmos = false,
                other => panic!("--store {other}: expected sqlite or cosmos"),
            },
            _ => {}
        }
    }
    a
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(addr: SocketAddr) -> Sender {
    let stream = TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).unwrap();
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    sender
}

/// xorshift: a cheap per-task random user picker.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Ratings the Cosmos run bootstraps with (users 1 to about 30 of the bundled set).
const COSMOS_BOOTSTRAP_RATINGS: usize = 4_000;

async fn get_load(
    addr: SocketAddr,
    path: &'static str,
    until: Instant,
    seed: u64,
    users: u64,
) -> (Vec<u32>, usize) {
    let mut sender = connect(addr).await;
    let mut rng = seed | 1;
    let mut latencies = Vec::with_capacity(200_000);
    let mut errors = 0;
    while Instant::now() < until {
        let user = next(&mut rng) % users + 1;
        let req = Request::get(path.replace("{user}", &user.to_string()))
            .header("host", "127.0.0.1")
            .body(Full::default())
            .unwrap();
        let started = Instant::now();
        sender.ready().await.expect("connection ready");
        let res = sender.send_request(req).await.expect("send");
        let ok = res.status().is_success();
        res.into_body().collect().await.expect("body");
        latencies.push(started.elapsed().as_micros() as u32);
        errors += usize::from(!ok);
    }
    (latencies, errors)
}

async fn ingest_load(addr: SocketAddr, until: Instant, worker: u64) -> usize {
    let mut sender = connect(addr).await;
    let mut events = 0;
    let mut batch_no = 0u64;
    while Instant::now() < until {
        // 100 distinct new ratings per batch: users 100000+, so every one is a real write.
        let body: Vec<String> = (0..100u64)
            .map(|i| {
                let user = 100_000 + worker * 1_000_000 + batch_no * 100 + i;
                format!(
                    r#"{{"UserId":{user},"MovieId":{},"Rating":{},"Timestamp":{}}}"#,
                    1 + (i * 37) % 9000,
                    0.5 * (1 + i % 10) as f64,
                    1_700_000_000 + i
                )
            })
            .collect();
        let body = format!("[{}]", body.join(","));
        let req = Request::post("/events")
            .header("host", "127.0.0.1")
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        sender.ready().await.expect("connection ready");
        let res = sender.send_request(req).await.expect("send");
        assert!(
            res.status().is_success(),
            "POST /events answered {}",
            res.status()
        );
        res.into_body().collect().await.expect("body");
        events += 100;
        batch_no += 1;
    }
    events
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize] as f64 / 1000.0
}

/// Kills the server when the benchmark ends, also on a panic.
struct ServerProcess(std::process::Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Writes the first `n` ratings of the bundled set (and all movies) to `dir`;
/// returns how many users they cover (users come in order, from 1).
fn bundled_subset(root: &std::path::Path, dir: &std::path::Path, n: usize) -> u64 {
    let bundled = root.join("data/ml-latest-small");
    let ratings = std::fs::read_to_string(bundled.join("ratings.csv")).expect("bundled ratings");
    let mut lines = ratings.lines();
    let header = lines.next().expect("header");
    let rows: Vec<&str> = lines.take(n).collect();
    let users = rows
        .iter()
        .map(|l| l.split(',').next().unwrap())
        .collect::<std::collections::HashSet<_>>()
        .len() as u64;
    std::fs::write(
        dir.join("ratings.csv"),
        format!("{header}\n{}\n", rows.join("\n")),
    )
    .unwrap();
    std::fs::copy(bundled.join("movies.csv"), dir.join("movies.csv")).unwrap();
    users
}

/// Points the server at a fresh database of the local Cosmos DB server.
#[cfg(feature = "cosmos")]
fn use_local_cosmos(command: &mut Command) {
    use movierec_store::cosmos::local::{test_config, EMULATOR_KEY, ENDPOINT_VAR};
    let endpoint = std::env::var(ENDPOINT_VAR).unwrap_or_else(|_| {
        panic!("--store cosmos needs {ENDPOINT_VAR} (bash testsupport/server.sh start cosmos)")
    });
    let config = test_config(&endpoint, "bench");
    command
        .env("MOVIEREC_STORE", "cosmos")
        .env("MOVIEREC_COSMOS_ENDPOINT", &endpoint)
        .env("MOVIEREC_COSMOS_DATABASE", &config.database)
        .env("MOVIEREC_COSMOS_KEY", EMULATOR_KEY);
}

#[cfg(not(feature = "cosmos"))]
fn use_local_cosmos(_: &mut Command) {
    panic!(
        "--store cosmos: this build has no Cosmos DB support (the default `cosmos` feature is off)"
    );
}

fn main() {
    let a = args();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let store = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_movierec"));
    let users = if a.cosmos {
        use_local_cosmos(&mut command);
        let users = bundled_subset(&root, store.path(), COSMOS_BOOTSTRAP_RATINGS);
        command.env("MOVIEREC_BOOTSTRAP_DATA", store.path());
        users
    } else {
        command.env("MOVIEREC_STORE", store.path());
        610
    };
    let bootstrap_started = Instant::now();
    let mut child = command
        .args(["serve", "--port", "0"])
        .current_dir(&root)
        .env("MOVIEREC_LOG", "warn")
        .env_remove("FUNCTIONS_CUSTOMHANDLER_PORT")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start movierec serve");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let _server = ServerProcess(child);
    let url = loop {
        let line = lines.next().expect("server exited").unwrap();
        if let Some(rest) = line.strip_prefix("movierec listening on http://") {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    println!(
        "store {}: bootstrap (import the ratings and 9,742 movies, train, publish {users} lists) {:.1} s",
        if a.cosmos { "cosmos (local server)" } else { "sqlite" },
        bootstrap_started.elapsed().as_secs_f64()
    );
    std::thread::spawn(move || for _ in lines {});
    let addr: SocketAddr = url.parse().unwrap();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // warm-up
        let _ = get_load(addr, a.path, Instant::now() + Duration::from_secs(1), 1, users).await;

        let started = Instant::now();
        let until = started + Duration::from_secs(a.seconds);
        let tasks: Vec<_> = (0..a.connections).map(|i| tokio::spawn(get_load(addr, a.path, until, 0x9E37_79B9 + i as u64 * 7919, users))).collect();
        let mut all = Vec::new();
        let mut errors = 0;
        for t in tasks {
            let (l, e) = t.await.unwrap();
            all.extend(l);
            errors += e;
        }
        let secs = started.elapsed().as_secs_f64();
        all.sort_unstable();
        println!(
            "GET {}: {} connections, {:.1} s: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms, {} errors",
            a.path,
            a.connections,
            secs,
            all.len() as f64 / secs,
            percentile(&all, 0.50),
            percentile(&all, 0.99),
            percentile(&all, 0.999),
            *all.last().unwrap() as f64 / 1000.0,
            errors
        );

        let started = Instant::now();
        let until = started + Duration::from_secs(a.seconds);
        let tasks: Vec<_> = (0..a.ingest_connections).map(|w| tokio::spawn(ingest_load(addr, until, w as u64))).collect();
        let mut events = 0;
        for t in tasks {
            events += t.await.unwrap();
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "POST /events, batches of 100 new ratings: {} connections, {:.1} s: {:.0} events/s ({} events)",
            a.ingest_connections,
            secs,
            events as f64 / secs,
            events
        );
    });
}
