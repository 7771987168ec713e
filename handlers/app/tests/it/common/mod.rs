//! Helpers shared by the integration tests: paths and running the binary.
#![allow(dead_code)]

pub mod bicep;
pub mod blob;
pub mod peers;
#[allow(unused_imports)]
pub use peers::missing_peer;

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

/// The workspace root (two levels above this crate).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// The bundled ml-latest-small ratings.
pub fn bundled_ratings() -> PathBuf {
    root().join("data/ml-latest-small/ratings.csv")
}

/// `../shared/data/movielens/<rel>` beside the project, or `None` (with a message) when absent.
pub fn shared_data(rel: &str) -> Option<PathBuf> {
    let path = root().join("../shared/data/movielens").join(rel);
    if path.exists() {
        Some(path)
    } else {
        peers::not_run(&format!(
            "{} is absent (the shared MovieLens data sits beside the project)",
            path.display()
        ));
        None
    }
}

pub fn movierec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_movierec"))
        .args(args)
        .output()
        .expect("run movierec")
}

/// Runs movierec and returns stdout, failing the test with stderr on a non-zero exit.
pub fn movierec_ok(args: &[&str]) -> String {
    let out = movierec(args);
    assert!(
        out.status.success(),
        "movierec {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// (user, item) pairs of a ratings CSV with a header.
pub fn rated_pairs(path: &Path) -> Vec<(i32, i32, f32)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.trim_end().split(',').collect();
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
            )
        })
        .collect()
}

/// Splits the bundled ratings with `seed` into `dir`/train.csv and `dir`/test.csv.
pub fn split_bundled(dir: &Path, seed: &str) -> (PathBuf, PathBuf) {
    let (train, test) = (dir.join("train.csv"), dir.join("test.csv"));
    movierec_ok(&[
        "split",
        "--ratings",
        s(&bundled_ratings()),
        "--train-out",
        s(&train),
        "--test-out",
        s(&test),
        "--seed",
        seed,
    ]);
    (train, test)
}

/// `movierec evaluate --json` on `train` and `test` with `extra` options, parsed.
pub fn evaluate_json(train: &Path, test: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["evaluate", "--train", s(train), "--test", s(test), "--json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&movierec_ok(&args)).expect("evaluate --json prints one JSON object")
}

/// Small models for a server's bootstrap: its training takes seconds.
pub const SMALL_MODELS: &[(&str, &str)] = &[
    ("MOVIEREC_RANK", "8"),
    ("MOVIEREC_ITERATIONS", "4"),
    ("MOVIEREC_RANKING_RANK", "8"),
    ("MOVIEREC_RANKING_ITERATIONS", "4"),
    ("MOVIEREC_RANKING_TUNE", "false"),
];

/// `movierec serve` in standalone mode on `store`, on a free port; killed on drop.
pub struct Serve {
    child: Child,
    pub url: String,
    /// What the server logged, for waiting on a line and for failure messages.
    log: Arc<(Mutex<ServerLog>, Condvar)>,
}

/// How many of the server's last log lines [`Serve::log_tail`] keeps.
const LOG_TAIL: usize = 200;

/// The server's last [`LOG_TAIL`] lines and how many it logged in all.
#[derive(Default)]
struct ServerLog {
    tail: VecDeque<String>,
    total: usize,
}

/// A point in the server's log: [`Serve::wait_for_line`] looks at what came after it.
#[derive(Debug, Clone, Copy)]
pub struct LogMark(usize);

impl Serve {
    /// The server's last log lines, oldest first, one per line.
    pub fn log_tail(&self) -> String {
        let log = self.log.0.lock().unwrap();
        log.tail.iter().cloned().collect::<Vec<_>>().join("\n")
    }

    /// Now, in the server's log.
    pub fn log_mark(&self) -> LogMark {
        LogMark(self.log.0.lock().unwrap().total)
    }

    /// Waits, without polling, for a line logged after `mark` that contains
    /// `needle`; `None` if none came by `deadline`.
    pub fn wait_for_line(&self, mark: LogMark, needle: &str, deadline: Instant) -> Option<String> {
        let (log, logged) = &*self.log;
        let mut log = log.lock().unwrap();
        loop {
            let new = log.total.saturating_sub(mark.0).min(log.tail.len());
            let start = log.tail.len() - new;
            if let Some(line) = log.tail.range(start..).find(|l| l.contains(needle)) {
                return Some(line.clone());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            log = logged.wait_timeout(log, left).unwrap().0;
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `movierec serve` with `env` set and waits until it listens.
pub fn start_serve(store: &Path, env: &[(&str, &str)]) -> Serve {
    let mut command = Command::new(env!("CARGO_BIN_EXE_movierec"));
    command
        .args(["serve", "--port", "0"])
        .current_dir(root())
        .env("MOVIEREC_STORE", store)
        .env_remove("FUNCTIONS_CUSTOMHANDLER_PORT")
        .stderr(Stdio::piped())
        .stdout(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("start movierec serve");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("server exited before listening")
            .unwrap();
        if let Some(rest) = line.strip_prefix("movierec listening on ") {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    // keep draining stderr so the server never blocks on a full pipe
    let log = Arc::new((Mutex::new(ServerLog::default()), Condvar::new()));
    let reader = Arc::clone(&log);
    std::thread::spawn(move || {
        let (log, logged) = &*reader;
        for line in lines.map_while(Result::ok) {
            let mut log = log.lock().unwrap();
            if log.tail.len() == LOG_TAIL {
                log.tail.pop_front();
            }
            log.tail.push_back(line);
            log.total += 1;
            logged.notify_all();
        }
    });
    Serve { child, url, log }
}

/// A Python with pyspark and numpy (what tools/spark/ needs): `MOVIEREC_PYSPARK_PYTHON`,
/// or `.venv/bin/python` as `.ci/run` sets it up. Without one the test skips with a
/// message, unless `MOVIEREC_REQUIRE_SPARK=1` (CI), where a missing Spark is a failure.
pub fn pyspark_python() -> Option<PathBuf> {
    let python = std::env::var_os("MOVIEREC_PYSPARK_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv/bin/python"));
    let works = Command::new(&python)
        .args(["-c", "import pyspark, numpy"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if works {
        return Some(python);
    }
    missing_peer(
        "MOVIEREC_REQUIRE_SPARK",
        &format!(
            "no Python with pyspark and numpy at {} (run .ci/run, or set MOVIEREC_PYSPARK_PYTHON)",
            python.display()
        ),
    )
}

/// A `movierec serve` process under the host contract (FUNCTIONS_CUSTOMHANDLER_PORT
/// set, no bootstrap) on `store`, with `env`; killed on drop.
pub struct HostedInstance {
    child: Child,
    /// The Functions host's side of the contract, pointed at this instance.
    pub host: movierec_fakehost::FakeHost,
}

impl Drop for HostedInstance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn hosted_instance(store: &Path, env: &[(&str, &str)]) -> HostedInstance {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_movierec"))
        .arg("serve")
        .current_dir(root())
        .env("MOVIEREC_STORE", store)
        .env("FUNCTIONS_CUSTOMHANDLER_PORT", port.to_string())
        .env("MOVIEREC_BOOTSTRAP", "false")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    HostedInstance {
        child,
        host: movierec_fakehost::FakeHost::new(&format!("http://127.0.0.1:{port}")),
    }
}

/// An instance under the fake host, its invocations in the caller's trace
/// `traceparent` (added as .NET's HttpClient adds the host's), ready, after
/// one IngestRatings batch of `bodies` answered 200: a traced invocation with
/// a store call under it, for the span exporters' tests.
pub async fn traced_ingest(
    store: &Path,
    env: &[(&str, &str)],
    traceparent: String,
    bodies: Vec<String>,
) -> HostedInstance {
    let mut instance = hosted_instance(store, env);
    instance.host.traceparent = Some(traceparent);
    instance
        .host
        .wait_until_ready(std::time::Duration::from_secs(30))
        .await
        .unwrap();
    let batch = movierec_fakehost::EventBatch::new("0", 0, bodies);
    let answer = instance
        .host
        .deliver_events("IngestRatings", &batch)
        .await
        .unwrap();
    assert_eq!(answer.status, 200, "{}", answer.text);
    instance
}

/// RecommendAllUsers through the fake host, then every shard it sends
/// through RecommendShard; returns the number of shards.
pub async fn publish_through_host(host: &movierec_fakehost::FakeHost) -> usize {
    let fired = host
        .fire_timer(
            "RecommendAllUsers",
            &movierec_fakehost::TimerPayload::new(false, false),
        )
        .await
        .unwrap();
    assert_eq!(fired.status, 200, "{}", fired.text);
    let shards = fired.body["Outputs"]["shards"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!shards.is_empty(), "no shards sent: {}", fired.text);
    for m in &shards {
        let body =
            movierec_fakehost::queue_invocation("RecommendShard", "shard", &m.to_string(), 1);
        let answer = host.invoke("RecommendShard", &body).await.unwrap();
        assert_eq!(answer.status, 200, "{}", answer.text);
    }
    shards.len()
}

/// Spark's predictions as tools/spark_peer.py writes them: `user,item,prediction`
/// rows; NaN (Spark's cold start) as `None`.
pub fn read_predictions(path: &Path) -> HashMap<(i32, i32), Option<f32>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let p: f32 = f[2].parse().unwrap();
            (
                (f[0].parse().unwrap(), f[1].parse().unwrap()),
                (!p.is_nan()).then_some(p),
            )
        })
        .collect()
}
