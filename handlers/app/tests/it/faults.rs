//! Faults as an operator meets them: the real binary killed (SIGKILL) or
//! stopped (SIGTERM) in the middle of ingest, retrain, recommend-for-all and
//! the bootstrap import, then started again on the same store.
//!
//! What must hold: nothing acknowledged is lost or doubled; the next job runs
//! within the job lease's time to live (`MOVIEREC_JOB_LEASE_SECONDS`), or at
//! once when the lease was released (SIGTERM, a caller hanging up); an
//! interrupted import is finished; serving never answers 503 once a model was
//! published.
//!
//! Each test runs `movierec serve` (standalone) itself so that it can signal
//! it, drives it over HTTP, and looks into the SQLite store read-only. The
//! timers are set never to fire: the tests trigger the jobs themselves.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::*;
use serde_json::{json, Value};

/// A schedule that never comes during a test (00:00:00 on 1 January).
const NEVER: &str = "0 0 0 1 1 *";

/// A retrain of well under a second on the bundled set: for starts whose
/// training is not what the test is about.
const LIGHT: &[(&str, &str)] = &[
    ("MOVIEREC_RANKING_TUNE", "false"),
    ("MOVIEREC_RANKING_RANK", "16"),
    ("MOVIEREC_RANKING_ITERATIONS", "3"),
    ("MOVIEREC_RANK", "8"),
    ("MOVIEREC_ITERATIONS", "3"),
];

/// A retrain of a few seconds on the bundled set: a caller can hang up in
/// the middle of it, and waiting for its end stays cheap.
const MEDIUM: &[(&str, &str)] = &[
    ("MOVIEREC_RANKING_TUNE", "false"),
    ("MOVIEREC_RANKING_RANK", "64"),
    ("MOVIEREC_RANKING_ITERATIONS", "30"),
    ("MOVIEREC_RANK", "8"),
    ("MOVIEREC_ITERATIONS", "5"),
];

/// A retrain of about half a minute on the bundled set (tuning, then 40
/// iterations at rank 128): signalled a second in, it has far to go, so a
/// process that waits for it cannot exit within 10 s.
const HEAVY: &[(&str, &str)] = &[
    ("MOVIEREC_RANKING_TUNE", "true"),
    ("MOVIEREC_RANKING_ITERATIONS", "40"),
];

/// `movierec serve`, standalone, on a store; SIGKILLed on drop.
struct Server {
    child: Child,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts it with the settings in `env` (later sets win); does not wait.
    fn spawn(store: &Path, env: &[&[(&str, &str)]]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_movierec"));
        command
            .args(["serve", "--port", "0"])
            .current_dir(root())
            .env("MOVIEREC_STORE", store)
            .env("MOVIEREC_RETRAIN_SCHEDULE", NEVER)
            .env("MOVIEREC_RECOMMEND_SCHEDULE", NEVER)
            .env("MOVIEREC_DASHBOARD_CACHE_SECONDS", "0")
            .env_remove("FUNCTIONS_CUSTOMHANDLER_PORT")
            .env_remove("MOVIEREC_BOOTSTRAP")
            .env_remove("MOVIEREC_BOOTSTRAP_DATA")
            .env_remove("MOVIEREC_JOB_LEASE_SECONDS")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for set in env {
            for (name, value) in *set {
                command.env(name, value);
            }
        }
        let mut child = command.spawn().expect("start movierec serve");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = stderr.clone();
        let pipe = child.stderr.take().unwrap();
        // Drained all along, so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Server { child, stderr }
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// Whether a line of its stderr starts with `prefix`.
    fn saw(&self, prefix: &str) -> bool {
        self.stderr
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.starts_with(prefix))
    }

    /// The last lines of its stderr, for failure messages.
    fn tail(&self) -> String {
        let lines = self.stderr.lock().unwrap();
        let from = lines.len().saturating_sub(12);
        lines[from..].join("\n")
    }

    /// Fails the test if the process has exited.
    fn assert_running(&mut self, doing: &str) {
        if let Some(status) = self.child.try_wait().unwrap() {
            panic!(
                "movierec serve exited ({status}) while {doing}:\n{}",
                self.tail()
            );
        }
    }

    /// Waits until it listens; its base URL.
    async fn listening(&mut self, within: Duration) -> String {
        self.wait_for(within, "listen", |server| {
            server.stderr.lock().unwrap().iter().find_map(|l| {
                l.strip_prefix("movierec listening on ")
                    .and_then(|rest| rest.split_whitespace().next())
                    .map(str::to_string)
            })
        })
        .await
    }

    /// Polls `probe` until it gives a value, failing if the server exits or
    /// `within` passes first.
    async fn wait_for<T>(
        &mut self,
        within: Duration,
        doing: &str,
        mut probe: impl FnMut(&Self) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + within;
        loop {
            if let Some(found) = probe(self) {
                return found;
            }
            self.assert_running(doing);
            assert!(
                Instant::now() < deadline,
                "movierec serve did not {doing} within {within:?}:\n{}",
                self.tail()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Sends a signal by name (TERM, STOP) with kill(1).
    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.pid()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} {} failed", self.pid());
    }

    /// SIGKILL, and reaped.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Its exit status if it exits within `within`.
    async fn exit_within(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops an idle server: SIGTERM (which releases what it holds), SIGKILL after 10 s.
    async fn stop(mut self) {
        self.signal("TERM");
        if self.exit_within(Duration::from_secs(10)).await.is_none() {
            self.kill();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The SQLite store, read-only, as an operator would inspect it.
mod store {
    use std::path::Path;
    use std::time::Duration;

    use rusqlite::{Connection, OpenFlags, OptionalExtension};

    pub fn open(dir: &Path) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            dir.join("movierec.db"),
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
        Ok(conn)
    }

    pub fn rating_count(dir: &Path) -> rusqlite::Result<i64> {
        open(dir)?.query_row("SELECT COUNT(*) FROM ratings", [], |r| r.get(0))
    }

    /// Every stored rating: (user, movie) -> (rating, timestamp).
    pub fn ratings(dir: &Path) -> std::collections::HashMap<(i32, i32), (f64, i64)> {
        let conn = open(dir).expect("open the store");
        let mut stmt = conn
            .prepare("SELECT user_id, movie_id, rating, ts FROM ratings")
            .unwrap();
        let rows = stmt
            .query_map([], |r| Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?))))
            .unwrap();
        rows.map(Result::unwrap).collect()
    }

    /// The job lease, when someone holds it: the holder and the seconds it has left.
    pub fn try_live_lease(dir: &Path) -> rusqlite::Result<Option<(String, i64)>> {
        let now = chrono::Utc::now().timestamp();
        open(dir)?
            .query_row(
                "SELECT holder, expires_at FROM leases WHERE expires_at > ?1",
                [now],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? - now)),
            )
            .optional()
    }

    pub fn live_lease(dir: &Path) -> Option<(String, i64)> {
        try_live_lease(dir).expect("read the job lease")
    }

    /// The version readers are switched to.
    pub fn serving_version(dir: &Path) -> Option<u64> {
        open(dir)
            .expect("open the store")
            .query_row(
                "SELECT value FROM meta WHERE key = 'serving_version'",
                [],
                |r| r.get::<_, String>(0),
            )
            .optional()
            .expect("read the serving version")
            .map(|v| v.parse().expect("a version number"))
    }

    /// How many shards of `version`'s lists are marked written.
    pub fn shards_written(dir: &Path, version: u64) -> i64 {
        open(dir)
            .and_then(|conn| {
                conn.query_row(
                    "SELECT COUNT(*) FROM meta WHERE key LIKE ?1",
                    [format!("marker:recommend-all:v{version}:shard:%")],
                    |r| r.get(0),
                )
            })
            .unwrap_or(0)
    }

    /// The newest model version's recorded metrics.
    pub fn newest_model_metrics(dir: &Path) -> Option<(u64, serde_json::Value)> {
        open(dir)
            .expect("open the store")
            .query_row(
                "SELECT version, metrics FROM models ORDER BY version DESC LIMIT 1",
                [],
                |r| Ok((r.get::<_, u64>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()
            .expect("read the model registry")
            .map(|(v, m)| (v, serde_json::from_str(&m).expect("metrics are JSON")))
    }

    pub fn integrity(dir: &Path) -> String {
        open(dir)
            .expect("open the store")
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("integrity check")
    }
}

/// Waits until a job holds the lease (the job has started); fails if the
/// server exits or `within` passes.
/// Posts `function` in the background, waits until its job holds the lease,
/// lets it run `for_a_while`, and checks it is still running (the moment to
/// interrupt it).
async fn start_job(
    server: &mut Server,
    store: &Path,
    url: &str,
    function: &str,
    for_a_while: Duration,
) -> tokio::task::JoinHandle<Result<(u16, Value), reqwest::Error>> {
    let job = tokio::spawn(post_json(
        format!("{url}/{function}"),
        json!({}),
        Duration::from_secs(120),
    ));
    job_started(server, store, Duration::from_secs(10)).await;
    tokio::time::sleep(for_a_while).await;
    assert!(
        !job.is_finished(),
        "{function} ended before the interruption: make it longer"
    );
    job
}

async fn job_started(server: &mut Server, store: &Path, within: Duration) -> String {
    // Before the store is created and migrated this reads nothing.
    server
        .wait_for(within, "start a job (take the lease)", |_| {
            store::try_live_lease(store)
                .ok()
                .flatten()
                .map(|(holder, _)| holder)
        })
        .await
}

/// POST with the JSON content type, as every standalone write must be sent.
async fn post_json(
    url: String,
    body: Value,
    timeout: Duration,
) -> Result<(u16, Value), reqwest::Error> {
    let response = reqwest::Client::builder()
        .timeout(timeout)
        .build()?
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_string())
        .send()
        .await?;
    let status = response.status().as_u16();
    let text = response.text().await?;
    Ok((
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    ))
}

async fn get_json(url: String) -> Result<(u16, Value), reqwest::Error> {
    let response = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?
        .get(url)
        .send()
        .await?;
    let status = response.status().as_u16();
    let text = response.text().await?;
    Ok((
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    ))
}

/// Runs a timer function as the host would (`POST /<FunctionName>`) and
/// returns its `ReturnValue` (`{"outcome": "done" | "skipped", ...}`).
async fn run_job(url: &str, function: &str) -> Value {
    let (status, body) = post_json(
        format!("{url}/{function}"),
        json!({}),
        Duration::from_secs(120),
    )
    .await
    .unwrap_or_else(|e| panic!("POST /{function}: {e}"));
    assert_eq!(status, 200, "POST /{function}: {body}");
    body["ReturnValue"].clone()
}

fn outcome(answer: &Value) -> &str {
    answer["outcome"].as_str().unwrap_or("?")
}

/// A store bootstrapped from the bundled set with a small model, its version 1
/// published; the server that made it is stopped.
async fn bootstrapped_store() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::spawn(dir.path(), &[LIGHT]);
    server.listening(Duration::from_secs(60)).await;
    server.stop().await;
    dir
}

/// Prints how long a test took when it ends, passed or failed.
struct Took(Instant);

impl Took {
    fn start() -> Took {
        Took(Instant::now())
    }
}

impl Drop for Took {
    fn drop(&mut self) {
        eprintln!("took {:.1} s", self.0.elapsed().as_secs_f64());
    }
}

/// 1. A stream of `POST /events` batches from four clients, the server
/// SIGKILLed in the middle. After a restart every batch that was answered
/// 2xx is stored, each event once with its values; a batch that got no
/// answer is stored whole or not at all; sending batches again (as a client
/// or the Event Hub does when it heard nothing) doubles nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_events_survive_sigkill_exactly_once() {
    let _took = Took::start();
    let store = tempfile::tempdir().unwrap();
    let no_bootstrap: &[(&str, &str)] = &[("MOVIEREC_BOOTSTRAP", "false")];
    let mut server = Server::spawn(store.path(), &[no_bootstrap]);
    let url = server.listening(Duration::from_secs(60)).await;

    const SENDERS: i32 = 4;
    const PER_BATCH: i32 = 100;
    // Batch b of sender s: user 1,000,000 + 10,000·s + b rates movies 1..=100.
    fn user_of(sender: i32, batch: i32) -> i32 {
        1_000_000 + 10_000 * sender + batch
    }
    fn rating_of(batch: i32, movie: i32) -> f64 {
        ((batch + movie) % 10 + 1) as f64 / 2.0
    }
    fn events(sender: i32, batch: i32) -> Value {
        Value::Array(
            (1..=PER_BATCH)
                .map(|movie| {
                    json!({"UserId": user_of(sender, batch), "MovieId": movie,
                           "Rating": rating_of(batch, movie), "Timestamp": 1_700_000_000 + batch})
                })
                .collect(),
        )
    }

    let acked = Arc::new(Mutex::new(HashSet::new()));
    let unanswered = Arc::new(Mutex::new(HashSet::new()));
    let mut senders = Vec::new();
    for sender in 0..SENDERS {
        let (url, acked, unanswered) = (url.clone(), acked.clone(), unanswered.clone());
        senders.push(tokio::spawn(async move {
            for batch in 0.. {
                let answer = post_json(
                    format!("{url}/events"),
                    events(sender, batch),
                    Duration::from_secs(20),
                )
                .await;
                match answer {
                    Ok((status, _)) if (200..300).contains(&status) => {
                        acked.lock().unwrap().insert((sender, batch));
                    }
                    Ok((status, body)) => panic!("a batch was refused with {status}: {body}"),
                    Err(_) => {
                        unanswered.lock().unwrap().insert((sender, batch));
                        return;
                    }
                }
            }
        }));
    }
    // Kill once many batches were acknowledged, with four more in flight.
    let deadline = Instant::now() + Duration::from_secs(30);
    while acked.lock().unwrap().len() < 200 {
        server.assert_running("receiving events");
        assert!(
            Instant::now() < deadline,
            "200 batches not acknowledged in 30 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill();
    for sender in senders {
        sender.await.expect("a sender failed");
    }
    let acked: HashSet<(i32, i32)> = acked.lock().unwrap().clone();
    let unanswered: HashSet<(i32, i32)> = unanswered.lock().unwrap().clone();
    eprintln!(
        "{} batches acknowledged, {} unanswered at the kill",
        acked.len(),
        unanswered.len()
    );

    // The store opens and the server starts on it again.
    assert_eq!(store::integrity(store.path()), "ok");
    let mut server = Server::spawn(store.path(), &[no_bootstrap]);
    let url = server.listening(Duration::from_secs(60)).await;

    let stored = store::ratings(store.path());
    let mut per_user: HashMap<i32, usize> = HashMap::new();
    for (user, _) in stored.keys() {
        *per_user.entry(*user).or_default() += 1;
    }
    let mut problems = Vec::new();
    for &(sender, batch) in &acked {
        let user = user_of(sender, batch);
        for movie in 1..=PER_BATCH {
            let want = (rating_of(batch, movie), 1_700_000_000i64 + batch as i64);
            match stored.get(&(user, movie)) {
                Some(got) if *got == want => {}
                got => problems.push(format!(
                    "acknowledged event user {user} movie {movie}: stored {got:?}, sent {want:?}"
                )),
            }
        }
    }
    let sent_users: HashSet<i32> = acked
        .iter()
        .chain(&unanswered)
        .map(|&(s, b)| user_of(s, b))
        .collect();
    for (&user, &n) in &per_user {
        if !sent_users.contains(&user) {
            problems.push(format!("user {user} was never sent, yet has {n} ratings"));
        } else if n != PER_BATCH as usize {
            problems.push(format!(
                "user {user}'s batch is stored in part: {n} of {PER_BATCH} events"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "after SIGKILL and restart ({} problems):\n{}",
        problems.len(),
        problems[..problems.len().min(20)].join("\n")
    );

    // Clients that heard nothing send their batch again, and one acknowledged
    // batch is delivered twice: still one rating per (user, movie).
    let again: Vec<(i32, i32)> = unanswered
        .iter()
        .chain(acked.iter().take(1))
        .copied()
        .collect();
    for &(sender, batch) in &again {
        let (status, body) = post_json(
            format!("{url}/events"),
            events(sender, batch),
            Duration::from_secs(20),
        )
        .await
        .expect("POST /events after the restart");
        assert!((200..300).contains(&status), "{status}: {body}");
    }
    let expected = (acked.len() + unanswered.len()) * PER_BATCH as usize;
    assert_eq!(
        store::rating_count(store.path()).unwrap() as usize,
        expected,
        "{} acknowledged and {} resent batches of {PER_BATCH} must be stored once each",
        acked.len(),
        unanswered.len()
    );
    let (status, summary) = get_json(format!("{url}/dashboard/summary")).await.unwrap();
    assert_eq!(status, 200, "{summary}");
    assert_eq!(
        summary["ratings"].as_u64(),
        Some(expected as u64),
        "the dashboard's count: {summary}"
    );
    server.stop().await;
}

/// 2. SIGKILL in the middle of a retrain (the bootstrap's, a second after it
/// took the lease), restart with a 3 s lease: a `POST /RetrainModel` sent
/// within a few seconds of the kill runs (not skipped) and records a version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retrain_runs_within_the_lease_ttl_after_sigkill_mid_retrain() {
    let _took = Took::start();
    let store = tempfile::tempdir().unwrap();
    let lease: &[(&str, &str)] = &[("MOVIEREC_JOB_LEASE_SECONDS", "3")];
    let mut server = Server::spawn(store.path(), &[HEAVY, lease]);
    job_started(&mut server, store.path(), Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        !server.saw("trained model version"),
        "the retrain ended before the kill: make it longer"
    );
    server.kill();
    let killed = Instant::now();

    let mut server = Server::spawn(store.path(), &[LIGHT, lease]);
    let url = server.listening(Duration::from_secs(60)).await;
    let give_up = killed + Duration::from_secs(15);
    let (after, answer) = loop {
        let sent = Instant::now();
        let answer = run_job(&url, "RetrainModel").await;
        if outcome(&answer) == "done" {
            break (sent - killed, answer);
        }
        assert!(
            Instant::now() < give_up,
            "POST /RetrainModel is still skipped {:.1} s after a SIGKILL mid-retrain, with \
             MOVIEREC_JOB_LEASE_SECONDS=3: {answer}; lease in the store: {:?}",
            killed.elapsed().as_secs_f64(),
            store::live_lease(store.path())
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(
        after <= Duration::from_secs(7),
        "the first POST /RetrainModel that ran was sent {:.1} s after the kill; the lease's TTL is 3 s",
        after.as_secs_f64()
    );
    assert!(answer["version"].as_u64().unwrap_or(0) >= 1, "{answer}");
    assert!(
        ["promoted", "rejected"].contains(&answer["status"].as_str().unwrap_or("")),
        "{answer}"
    );
    // The restart's bootstrap waited for the dead lease, trained and published: lists are served.
    let (status, body) = get_json(format!("{url}/recommendations/1")).await.unwrap();
    assert_eq!(status, 200, "{body}");
    server.stop().await;
}

/// 3. SIGTERM in the middle of a `POST /RetrainModel`: the process exits 0
/// within 10 s, the lease is released (not left to expire: the lease's TTL
/// is 60 s), and a retrain right after the restart runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_retrain_exits_cleanly_and_releases_the_lease() {
    let _took = Took::start();
    let store = bootstrapped_store().await;
    let lease: &[(&str, &str)] = &[("MOVIEREC_JOB_LEASE_SECONDS", "60")];
    let mut server = Server::spawn(store.path(), &[HEAVY, lease]);
    let url = server.listening(Duration::from_secs(60)).await;
    let retrain = start_job(
        &mut server,
        store.path(),
        &url,
        "RetrainModel",
        Duration::from_secs(1),
    )
    .await;
    server.signal("TERM");

    let mut problems = Vec::new();
    match server.exit_within(Duration::from_secs(10)).await {
        None => {
            problems.push(format!(
                "still running 10 s after SIGTERM:\n{}",
                server.tail()
            ));
            server.kill();
        }
        Some(status) if !status.success() => {
            problems.push(format!("exited with {status} after SIGTERM, not 0"))
        }
        Some(_) => {}
    }
    eprintln!("the caller got: {:?}", retrain.await.unwrap());
    if let Some((holder, left)) = store::live_lease(store.path()) {
        problems.push(format!(
            "the job lease is still held by {holder:?} for {left} s more"
        ));
    }
    let mut server = Server::spawn(store.path(), &[LIGHT, lease]);
    let url = server.listening(Duration::from_secs(60)).await;
    let answer = run_job(&url, "RetrainModel").await;
    if outcome(&answer) != "done" {
        problems.push(format!(
            "POST /RetrainModel right after the restart did not run: {answer}"
        ));
    }
    assert!(
        problems.is_empty(),
        "after SIGTERM mid-retrain:\n{}",
        problems.join("\n")
    );
    server.stop().await;
}

/// The bundled ratings ten times over, as users u + 1000·k (6,100 users,
/// 1,008,360 ratings), with the bundled catalogue: publishing every user's
/// list takes long enough to be killed in the middle.
fn tenfold_data(dir: &Path) {
    let text = std::fs::read_to_string(bundled_ratings()).unwrap();
    let mut lines = text.lines();
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("ratings.csv")).unwrap());
    writeln!(out, "{}", lines.next().unwrap()).unwrap();
    let rows: Vec<(i32, &str)> = lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (user, rest) = l.split_once(',').unwrap();
            (user.parse().unwrap(), rest)
        })
        .collect();
    for k in 0..10 {
        for (user, rest) in &rows {
            writeln!(out, "{},{rest}", user + 1000 * k).unwrap();
        }
    }
    out.flush().unwrap();
    std::fs::copy(
        root().join("data/ml-latest-small/movies.csv"),
        dir.join("movies.csv"),
    )
    .unwrap();
}

/// 4. Version 1 published, version 2 promoted; SIGKILL in the middle of the
/// `RecommendAllUsers` that publishes version 2. From the moment the restarted
/// server listens, `GET /recommendations/{user}` never answers 503, and the
/// next RecommendAllUsers publishes version 2 within seconds (3 s lease).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serving_survives_sigkill_mid_recommend_all_and_the_next_run_publishes() {
    let _took = Took::start();
    let data = tempfile::tempdir().unwrap();
    tenfold_data(data.path());
    let store = tempfile::tempdir().unwrap();
    let env: &[(&str, &str)] = &[
        ("MOVIEREC_BOOTSTRAP_DATA", data.path().to_str().unwrap()),
        ("MOVIEREC_JOB_LEASE_SECONDS", "3"),
        // Shards killed with the server are lost messages: sent again by the
        // next RecommendAllUsers a second after their send.
        ("MOVIEREC_SHARD_RESEND_SECONDS", "1"),
        ("MOVIEREC_SHARD_USERS", "500"),
        ("MOVIEREC_SHARD_WORKERS", "1"),
        ("MOVIEREC_RANKING_TUNE", "false"),
        ("MOVIEREC_RANKING_RANK", "64"),
        ("MOVIEREC_RANKING_ITERATIONS", "3"),
        ("MOVIEREC_RANK", "8"),
        ("MOVIEREC_ITERATIONS", "3"),
    ];
    let mut server = Server::spawn(store.path(), &[env]);
    let url = server.listening(Duration::from_secs(120)).await;
    assert_eq!(store::serving_version(store.path()), Some(1));
    let retrained = run_job(&url, "RetrainModel").await;
    assert_eq!(retrained["status"], "promoted", "setup: {retrained}");
    let new_version = retrained["version"].as_u64().unwrap();

    // RecommendAllUsers plans and answers; the shards then run on the local
    // queue. The kill comes once the first of them is written.
    let _publish = tokio::spawn(post_json(
        format!("{url}/RecommendAllUsers"),
        json!({}),
        Duration::from_secs(120),
    ));
    let written = server
        .wait_for(Duration::from_secs(30), "write a shard", |_| {
            Some(store::shards_written(store.path(), new_version)).filter(|&n| n > 0)
        })
        .await;
    server.kill();
    eprintln!("killed with {written} shards of version {new_version} written");
    let killed = Instant::now();
    assert_eq!(
        store::serving_version(store.path()),
        Some(1),
        "the kill came after the switch to version {new_version}: make the job longer"
    );

    let mut server = Server::spawn(store.path(), &[env]);
    let url = server.listening(Duration::from_secs(60)).await;
    // Readers, all along from the moment it listens.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (url, stop) = (url.clone(), stop.clone());
        tokio::spawn(async move {
            let mut answers: HashMap<u16, usize> = HashMap::new();
            let mut bad = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for user in [1, 414, 5_610, 9_077] {
                    let (status, body) = get_json(format!("{url}/recommendations/{user}"))
                        .await
                        .expect("GET /recommendations");
                    *answers.entry(status).or_default() += 1;
                    if status != 200 && bad.len() < 5 {
                        bad.push(format!("user {user}: {status} {body}"));
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (answers, bad)
        })
    };
    let give_up = killed + Duration::from_secs(20);
    let mut last = Value::Null;
    let published = loop {
        let (status, body) = get_json(format!("{url}/recommendations/1")).await.unwrap();
        if status == 200 && body["model_version"].as_u64() == Some(new_version) {
            break true;
        }
        if Instant::now() > give_up {
            break false;
        }
        last = run_job(&url, "RecommendAllUsers").await;
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (answers, bad) = reader.await.unwrap();
    eprintln!("GET answers while restarting: {answers:?}");
    let mut problems = Vec::new();
    if !bad.is_empty() {
        problems.push(format!(
            "GET /recommendations answered other than 200: {answers:?}\n{}",
            bad.join("\n")
        ));
    }
    if !published {
        problems.push(format!(
            "version {new_version} is still not served {:.1} s after a SIGKILL mid-RecommendAllUsers \
             (MOVIEREC_JOB_LEASE_SECONDS=3); serving version {:?}; RecommendAllUsers last answered {last}",
            killed.elapsed().as_secs_f64(),
            store::serving_version(store.path())
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let (_, body) = get_json(format!("{url}/recommendations/9077"))
        .await
        .unwrap();
    assert_eq!(body["source"], "batch", "{body}");
    assert_eq!(body["model_version"].as_u64(), Some(new_version), "{body}");
    server.stop().await;
}

/// 5. SIGKILL in the middle of the bootstrap import (the process frozen with
/// SIGSTOP once the store holds some ratings, killed if it holds some but not
/// all): the restart finishes the import, so the store holds exactly the
/// 100,836 ratings of ratings.csv, and trains on all of them and serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_killed_midway_is_finished_on_restart() {
    let _took = Took::start();
    let csv: HashMap<(i32, i32), f32> = rated_pairs(&bundled_ratings())
        .into_iter()
        .map(|(u, m, r)| ((u, m), r))
        .collect();
    assert_eq!(csv.len(), 100_836);
    let lease: &[(&str, &str)] = &[("MOVIEREC_JOB_LEASE_SECONDS", "3")];
    for attempt in 1..=5 {
        let store = tempfile::tempdir().unwrap();
        let mut server = Server::spawn(store.path(), &[LIGHT, lease]);
        let deadline = Instant::now() + Duration::from_secs(30);
        let partial = loop {
            if matches!(store::rating_count(store.path()), Ok(n) if n > 0) {
                server.signal("STOP");
                let n = store::rating_count(store.path()).unwrap();
                server.kill();
                break n;
            }
            server.assert_running("importing");
            assert!(Instant::now() < deadline, "no ratings stored within 30 s");
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        if partial as usize >= csv.len() {
            eprintln!("attempt {attempt}: the import had finished at the kill; again");
            continue;
        }
        eprintln!(
            "attempt {attempt}: killed with {partial} of {} ratings imported",
            csv.len()
        );

        let mut server = Server::spawn(store.path(), &[LIGHT, lease]);
        let url = server.listening(Duration::from_secs(60)).await;
        let stored = store::ratings(store.path());
        let missing = csv.keys().filter(|k| !stored.contains_key(k)).count();
        let wrong = stored
            .iter()
            .filter(|(k, (r, _))| csv.get(k).is_none_or(|want| *want as f64 != *r))
            .count();
        assert!(
            stored.len() == csv.len() && missing == 0 && wrong == 0,
            "after the restart the store holds {} ratings ({missing} of ratings.csv missing, \
             {wrong} not in it or different), not the {} of ratings.csv: the import killed at \
             {partial} was not finished",
            stored.len(),
            csv.len()
        );
        let (version, metrics) =
            store::newest_model_metrics(store.path()).expect("a model after the restart");
        assert_eq!(
            metrics["n_ratings"].as_u64(),
            Some(csv.len() as u64),
            "model version {version} was trained on {} ratings",
            metrics["n_ratings"]
        );
        let (status, body) = get_json(format!("{url}/recommendations/1")).await.unwrap();
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["source"], "batch", "{body}");
        server.stop().await;
        return;
    }
    panic!("in 5 attempts the import always finished before the kill");
}

/// 6. The caller of `POST /RetrainModel` hangs up after 300 ms: the job
/// does not keep the lease. A later `POST /RetrainModel` runs once the first
/// job is over (within 30 s), and no lease is left afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_hanging_up_mid_retrain_does_not_keep_the_lease() {
    let _took = Took::start();
    let store = bootstrapped_store().await;
    let mut server = Server::spawn(store.path(), &[MEDIUM]);
    let url = server.listening(Duration::from_secs(60)).await;
    let hung_up = post_json(
        format!("{url}/RetrainModel"),
        json!({}),
        Duration::from_millis(300),
    )
    .await;
    assert!(
        hung_up.as_ref().is_err_and(|e| e.is_timeout()),
        "the retrain answered within 300 ms: make it longer ({hung_up:?})"
    );
    let since = Instant::now();
    let mut skipped = 0;
    let answer = loop {
        let answer = run_job(&url, "RetrainModel").await;
        if outcome(&answer) == "done" {
            break answer;
        }
        skipped += 1;
        assert!(
            since.elapsed() < Duration::from_secs(30),
            "every POST /RetrainModel ({skipped}) in the 30 s after a caller hung up was \
             skipped: {answer}; lease in the store: {:?}",
            store::live_lease(store.path())
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    eprintln!(
        "a retrain ran {:.1} s after the hang-up ({skipped} skipped before): version {}",
        since.elapsed().as_secs_f64(),
        answer["version"]
    );
    server.assert_running("after the retrains");
    assert_eq!(
        store::live_lease(store.path()),
        None,
        "a lease is left after the retrains ended"
    );
    server.stop().await;
}
