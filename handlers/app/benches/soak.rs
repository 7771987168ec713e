//! Soak benchmark of `movierec serve` (not a test): GETs, ingest and retrains
//! at the same time for a while, watching memory, the SQLite write-ahead log
//! and GET latency. Run with `bash bench/soak.sh` or
//! `cargo bench -p movierec --bench soak -- --seconds 300`.
//!
//! Starts the release binary standalone on a fresh SQLite store (it imports the
//! bundled ml-latest-small, trains and publishes), then for `--seconds`:
//! - GET /recommendations/{user} from `--connections` (16) keep-alive
//!   connections: 80% known users (1..=610), 10% users the ingest adds
//!   (fold-in once they have ratings), 10% users nobody rated (popular);
//!   every latency, every non-2xx and connection error;
//! - POST /events from `--ingest-connections` (4) connections, batches of 100
//!   (97 valid ratings stamped now, each a rating of the bundled set: 70% by
//!   its own user, 30% by one of 32 new "clones" of that user, so the data
//!   keeps real structure and retrains can be promoted and published; plus 3
//!   bad events so dead letters are written), as
//!   fast as they are answered;
//! - every `--job-interval` (60) seconds, POST /RetrainModel then POST
//!   /RecommendAllUsers (body `{}`), each cycle on its own task, so a retrain
//!   still running when the next cycle starts makes that one skip;
//! - every 5 s: the server's VmRSS, the size of movierec.db-wal and movierec.db.
//!
//! The server runs at the default promotion margin (MOVIEREC_PROMOTION_MARGIN
//! is passed on when set): each retrain is compared with the serving version
//! on the same holdout, so the thousands of sparse new users the ingest adds
//! weigh on both, and each cycle can promote and publish.
//! MOVIEREC_LOG is passed on (default warn; info also counts busy WAL checkpoints).
//!
//! Jobs still running when the load stops get up to `--drain-seconds` (120)
//! to finish; then the server gets SIGTERM and the time it takes to exit is
//! reported. The result block goes to stdout, progress to stderr.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

struct Args {
    seconds: u64,
    connections: usize,
    ingest_connections: usize,
    job_interval: u64,
    drain_seconds: u64,
}

fn args() -> Args {
    let mut a = Args {
        seconds: 300,
        connections: 16,
        ingest_connections: 4,
        job_interval: 60,
        drain_seconds: 120,
    };
    let argv: Vec<String> = std::env::args().collect();
    for w in argv.windows(2) {
        let n = || -> u64 { w[1].parse().unwrap_or_else(|_| panic!("{} N", w[0])) };
        match w[0].as_str() {
            "--seconds" => a.seconds = n(),
            "--connections" => a.connections = n() as usize,
            "--ingest-connections" => a.ingest_connections = n() as usize,
            "--job-interval" => a.job_interval = n().max(1),
            "--drain-seconds" => a.drain_seconds = n(),
            _ => {}
        }
    }
    a
}

/// Users of the bundled set are 1..=610.
const KNOWN_USERS: u64 = 610;
/// Users the ingest adds: NEW_USER_BASE + k * 1000 + u, k < CLONES, a clone
/// of known user u (rates what u rated, as u did).
const NEW_USER_BASE: u64 = 200_000;
const CLONES: u64 = 32;
/// Users nobody rates (GETs answer the popular list).
const UNKNOWN_USER_BASE: u64 = 900_001;
/// Latencies and ingest counts are also kept per window of this many seconds.
const WINDOW_SECS: u64 = 30;
const SAMPLE_EVERY: Duration = Duration::from_secs(5);
const BATCH: usize = 100;
const BAD_PER_BATCH: usize = 3;
/// Error messages kept per kind, for the report.
const KEEP_SAMPLES: usize = 5;

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(addr: SocketAddr) -> Result<Sender, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    stream.set_nodelay(true).unwrap();
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(conn);
    Ok(sender)
}

/// Sends one request on `sender`: the status and body, or why it failed.
async fn exchange(sender: &mut Sender, req: Request<Full<Bytes>>) -> Result<(u16, Bytes), String> {
    sender.ready().await.map_err(|e| format!("ready: {e}"))?;
    let res = sender
        .send_request(req)
        .await
        .map_err(|e| format!("send: {e}"))?;
    let status = res.status().as_u16();
    let body = res
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("body: {e}"))?
        .to_bytes();
    Ok((status, body))
}

fn post(path: &str, body: String) -> Request<Full<Bytes>> {
    Request::post(path)
        .header("host", "127.0.0.1")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

/// xorshift: a cheap per-task random number.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The worker's connection, made anew when there is none; a failure is
/// counted, kept as a sample, and waited out (`None`: try again).
async fn connected<'a>(
    sender: &'a mut Option<Sender>,
    addr: SocketAddr,
    connection_errors: &mut u64,
    live_errors: &std::sync::atomic::AtomicU64,
    samples: &mut Vec<String>,
) -> Option<&'a mut Sender> {
    if sender.is_none() {
        match connect(addr).await {
            Ok(s) => *sender = Some(s),
            Err(e) => {
                *connection_errors += 1;
                live_errors.fetch_add(1, Relaxed);
                keep(samples, e);
                tokio::time::sleep(Duration::from_millis(100)).await;
                return None;
            }
        }
    }
    sender.as_mut()
}

fn keep(samples: &mut Vec<String>, s: String) {
    if samples.len() < KEEP_SAMPLES {
        samples.push(s);
    }
}

fn snippet(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(body);
    s.chars().take(240).collect()
}

/// Live counters for the progress lines.
#[derive(Default)]
struct Live {
    gets: AtomicU64,
    get_errors: AtomicU64,
    stored: AtomicU64,
    ingest_errors: AtomicU64,
}

#[derive(Default)]
struct GetStats {
    /// Latencies in µs, per window.
    windows: Vec<Vec<u32>>,
    by_status: BTreeMap<u16, u64>,
    connection_errors: u64,
    sources: BTreeMap<String, u64>,
    samples: Vec<String>,
}

/// The `source` field of a recommendations answer, without parsing it all.
fn source_of(body: &[u8]) -> String {
    const KEY: &[u8] = b"\"source\":\"";
    body.windows(KEY.len())
        .position(|w| w == KEY)
        .map(|at| {
            let rest = &body[at + KEY.len()..];
            let end = rest.iter().position(|&b| b == b'"').unwrap_or(0);
            String::from_utf8_lossy(&rest[..end]).into_owned()
        })
        .unwrap_or_else(|| "(none)".into())
}

async fn get_worker(
    addr: SocketAddr,
    started: Instant,
    until: Instant,
    seed: u64,
    live: Arc<Live>,
) -> GetStats {
    let mut stats = GetStats::default();
    let mut rng = seed | 1;
    let mut sender = None;
    while Instant::now() < until {
        let Some(s) = connected(
            &mut sender,
            addr,
            &mut stats.connection_errors,
            &live.get_errors,
            &mut stats.samples,
        )
        .await
        else {
            continue;
        };
        let r = next(&mut rng);
        let user = match r % 100 {
            0..=79 => 1 + (r >> 8) % KNOWN_USERS,
            80..=89 => NEW_USER_BASE + (r >> 32) % CLONES * 1000 + 1 + (r >> 8) % KNOWN_USERS,
            _ => UNKNOWN_USER_BASE + (r >> 8) % 100_000,
        };
        let req = Request::get(format!("/recommendations/{user}"))
            .header("host", "127.0.0.1")
            .body(Full::default())
            .unwrap();
        let t0 = Instant::now();
        let result = exchange(s, req).await;
        let micros = t0.elapsed().as_micros().min(u32::MAX as u128) as u32;
        live.gets.fetch_add(1, Relaxed);
        match result {
            Ok((status, body)) => {
                let w = ((t0 - started).as_secs() / WINDOW_SECS) as usize;
                if stats.windows.len() <= w {
                    stats.windows.resize_with(w + 1, Vec::new);
                }
                stats.windows[w].push(micros);
                *stats.by_status.entry(status).or_default() += 1;
                if (200..300).contains(&status) {
                    *stats.sources.entry(source_of(&body)).or_default() += 1;
                } else {
                    live.get_errors.fetch_add(1, Relaxed);
                    keep(
                        &mut stats.samples,
                        format!("user {user}: {status} {}", snippet(&body)),
                    );
                }
            }
            Err(e) => {
                stats.connection_errors += 1;
                live.get_errors.fetch_add(1, Relaxed);
                keep(&mut stats.samples, format!("user {user}: {e}"));
                sender = None;
            }
        }
    }
    stats
}

#[derive(Default)]
struct IngestStats {
    batches: u64,
    sent_events: u64,
    answered_events: u64,
    stored: u64,
    unchanged: u64,
    dead_lettered: u64,
    by_status: BTreeMap<u16, u64>,
    connection_errors: u64,
    /// Events stored, per window.
    windows: Vec<u64>,
    samples: Vec<String>,
}

/// A rating of the bundled set: (user, movie, rating).
type Rated = (u32, u32, f32);

fn batch_body(rng: &mut u64, ratings: &[Rated], serial: &mut u64) -> String {
    let t = now_secs();
    let mut events = Vec::with_capacity(BATCH);
    for _ in 0..BATCH - BAD_PER_BATCH {
        let r = next(rng);
        let (known, movie, rating) = ratings[(r % ratings.len() as u64) as usize];
        let user = if (r >> 40) % 10 < 7 {
            known as u64
        } else {
            NEW_USER_BASE + (r >> 48) % CLONES * 1000 + known as u64
        };
        events.push(format!(
            r#"{{"UserId":{user},"MovieId":{movie},"Rating":{rating},"Timestamp":{t}}}"#
        ));
    }
    // Bad events, each different (dead letters are named by content).
    *serial += 1;
    let s = *serial;
    events.push(format!(
        r#"{{"UserId":{s},"MovieId":1,"Rating":7,"Timestamp":{t}}}"#
    ));
    events.push(format!(
        r#"{{"UserId":{s},"MovieId":-1,"Rating":3,"Timestamp":{t}}}"#
    ));
    events.push(format!(r#"{{"UserId":{s},"MovieId":2,"Rating":3}}"#));
    format!("[{}]", events.join(","))
}

async fn ingest_worker(
    addr: SocketAddr,
    started: Instant,
    until: Instant,
    worker: u64,
    ratings: Arc<Vec<Rated>>,
    live: Arc<Live>,
) -> IngestStats {
    let mut stats = IngestStats::default();
    let mut rng = (0xD1B5_4A32_D192_ED03 ^ (worker * 0x9E37_79B9)) | 1;
    // Bad events' users: unique across workers.
    let mut serial = worker * 100_000_000;
    let mut sender = None;
    while Instant::now() < until {
        let Some(s) = connected(
            &mut sender,
            addr,
            &mut stats.connection_errors,
            &live.ingest_errors,
            &mut stats.samples,
        )
        .await
        else {
            continue;
        };
        let body = batch_body(&mut rng, &ratings, &mut serial);
        let t0 = Instant::now();
        stats.batches += 1;
        stats.sent_events += BATCH as u64;
        match exchange(s, post("/events", body)).await {
            Ok((status, body)) => {
                *stats.by_status.entry(status).or_default() += 1;
                if (200..300).contains(&status) {
                    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                    let n = |k: &str| v.get(k).and_then(|x| x.as_u64()).unwrap_or(0);
                    stats.answered_events += n("events");
                    stats.stored += n("stored");
                    stats.unchanged += n("unchanged");
                    stats.dead_lettered += n("dead_lettered");
                    live.stored.fetch_add(n("stored"), Relaxed);
                    let w = ((t0 - started).as_secs() / WINDOW_SECS) as usize;
                    if stats.windows.len() <= w {
                        stats.windows.resize(w + 1, 0);
                    }
                    stats.windows[w] += n("stored");
                } else {
                    live.ingest_errors.fetch_add(1, Relaxed);
                    keep(&mut stats.samples, format!("{status} {}", snippet(&body)));
                }
            }
            Err(e) => {
                stats.connection_errors += 1;
                live.ingest_errors.fetch_add(1, Relaxed);
                keep(&mut stats.samples, e);
                sender = None;
            }
        }
    }
    stats
}

/// One finished job request.
struct JobRecord {
    cycle: u64,
    name: &'static str,
    start_s: f64,
    secs: f64,
    /// "done", "skipped" or "failed".
    outcome: &'static str,
    detail: String,
}

#[derive(Default)]
struct Jobs {
    done: Vec<JobRecord>,
    /// Started and not answered yet: id → (name, cycle, start offset).
    running: HashMap<u64, (&'static str, u64, f64)>,
}

async fn run_job(
    addr: SocketAddr,
    started: Instant,
    jobs: &Mutex<Jobs>,
    cycle: u64,
    name: &'static str,
) {
    let id = cycle * 2 + u64::from(name == "RecommendAllUsers");
    let t0 = Instant::now();
    let start_s = (t0 - started).as_secs_f64();
    jobs.lock()
        .unwrap()
        .running
        .insert(id, (name, cycle, start_s));
    let result = match connect(addr).await {
        Ok(mut s) => exchange(&mut s, post(&format!("/{name}"), "{}".into())).await,
        Err(e) => Err(e),
    };
    let secs = t0.elapsed().as_secs_f64();
    let (outcome, detail) = match result {
        Ok((status, body)) if (200..300).contains(&status) => {
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let rv = &v["ReturnValue"];
            match rv["outcome"].as_str() {
                Some("done") if name == "RetrainModel" => (
                    "done",
                    format!(
                        "version {} {}: {}",
                        rv["version"],
                        rv["status"].as_str().unwrap_or("?"),
                        rv["decision"].as_str().unwrap_or("")
                    ),
                ),
                Some("done") => (
                    "done",
                    format!(
                        "version {}, {} users in {:.2} s",
                        rv["version"],
                        rv["users"],
                        rv["seconds"].as_f64().unwrap_or(0.0)
                    ),
                ),
                Some("skipped") => ("skipped", rv["reason"].as_str().unwrap_or("").to_string()),
                _ => ("failed", format!("{status} {}", snippet(&body))),
            }
        }
        Ok((status, body)) => ("failed", format!("{status} {}", snippet(&body))),
        Err(e) => ("failed", e),
    };
    let mut j = jobs.lock().unwrap();
    j.running.remove(&id);
    j.done.push(JobRecord {
        cycle,
        name,
        start_s,
        secs,
        outcome,
        detail,
    });
}

/// One sample of the server process and the store files.
#[derive(Clone, Copy)]
struct Sample {
    t: f64,
    rss: u64,
    wal: u64,
    db: u64,
}

fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

fn take_sample(pid: u32, store: &Path, started: Instant) -> Sample {
    Sample {
        t: started.elapsed().as_secs_f64(),
        rss: status_kib(pid, "VmRSS:") * 1024,
        wal: file_len(&store.join("movierec.db-wal")),
        db: file_len(&store.join("movierec.db")),
    }
}

fn mib(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize] as f64 / 1000.0
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(str::trim)
        .unwrap_or("unknown CPU")
        .to_string();
    let mem_kib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .unwrap_or(0);
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "nproc {nproc}, {model}, {:.0} GiB RAM",
        mem_kib as f64 / (1024.0 * 1024.0)
    )
}

/// The 1-minute load average: other work on the machine skews the figures.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

fn bundled_ratings(root: &Path) -> Vec<Rated> {
    std::fs::read_to_string(root.join("data/ml-latest-small/ratings.csv"))
        .expect("bundled ratings.csv")
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut f = l.split(',');
            Some((
                f.next()?.parse().ok()?,
                f.next()?.parse().ok()?,
                f.next()?.parse().ok()?,
            ))
        })
        .collect()
}

/// Kills the server if the benchmark panics.
struct ServerProcess(Option<std::process::Child>);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// What the server logged after it listened, counted for the report.
#[derive(Default)]
struct ServerLog {
    other_lines: u64,
    /// The first few of the other lines.
    first_other_lines: Vec<String>,
    /// One per batch with bad events: expected, counted apart.
    dead_letter_warnings: u64,
    busy_checkpoints: u64,
}

fn main() {
    let a = args();
    let root: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let load_before = loadavg();
    let ratings = Arc::new(bundled_ratings(&root));
    let log_level = std::env::var("MOVIEREC_LOG").unwrap_or_else(|_| "warn".into());
    let margin = std::env::var("MOVIEREC_PROMOTION_MARGIN")
        .unwrap_or_else(|_| movierec::settings::defaults::PROMOTION_MARGIN.to_string());
    let store_dir = tempfile::tempdir().unwrap();
    let store = store_dir.path().to_path_buf();
    let bootstrap_started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_movierec"))
        .args(["serve", "--port", "0"])
        .current_dir(&root)
        .env("MOVIEREC_STORE", &store)
        .env("MOVIEREC_LOG", &log_level)
        .env("MOVIEREC_PROMOTION_MARGIN", &margin)
        .env_remove("FUNCTIONS_CUSTOMHANDLER_PORT")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start movierec serve");
    let pid = child.id();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut server = ServerProcess(Some(child));
    let url = loop {
        let line = lines.next().expect("server exited").unwrap();
        if let Some(rest) = line.strip_prefix("movierec listening on http://") {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    let bootstrap_secs = bootstrap_started.elapsed().as_secs_f64();
    eprintln!(
        "soak: server pid {pid} on {url}, store {}, bootstrap {bootstrap_secs:.1} s; {} s of load",
        store.display(),
        a.seconds
    );
    // The server's log (MOVIEREC_LOG, warn unless set), kept for the report.
    let log: Arc<Mutex<ServerLog>> = Arc::default();
    let log_writer = log.clone();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            let mut l = log_writer.lock().unwrap();
            // One warning per batch names its dead letters: expected, counted apart.
            if line.contains("dead-lettered bad events") {
                l.dead_letter_warnings += 1;
                continue;
            }
            // Logged at info.
            if line.contains("checkpoint was busy") {
                l.busy_checkpoints += 1;
                continue;
            }
            l.other_lines += 1;
            if l.first_other_lines.len() < KEEP_SAMPLES {
                l.first_other_lines.push(line.chars().take(300).collect());
            }
        }
    });
    let addr: SocketAddr = url.parse().unwrap();
    let live = Arc::new(Live::default());
    let jobs: Arc<Mutex<Jobs>> = Arc::default();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    let until = started + Duration::from_secs(a.seconds);

    // The sampler: a plain thread, so a busy runtime cannot delay it.
    let samples: Arc<Mutex<Vec<Sample>>> = Arc::default();
    let stop_sampling = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let (samples, stop, store, live) = (
            samples.clone(),
            stop_sampling.clone(),
            store.clone(),
            live.clone(),
        );
        std::thread::spawn(move || {
            let mut k = 0u32;
            while !stop.load(Relaxed) {
                let s = take_sample(pid, &store, started);
                samples.lock().unwrap().push(s);
                if k % 6 == 0 {
                    eprintln!(
                        "soak: {:>5.0} s  GETs {}  events stored {}  errors GET {} ingest {}  RSS {:.0} MiB  WAL {:.1} MiB  DB {:.0} MiB",
                        s.t,
                        live.gets.load(Relaxed),
                        live.stored.load(Relaxed),
                        live.get_errors.load(Relaxed),
                        live.ingest_errors.load(Relaxed),
                        mib(s.rss),
                        mib(s.wal),
                        mib(s.db)
                    );
                }
                k += 1;
                let next_at = started + SAMPLE_EVERY * k;
                while !stop.load(Relaxed) && Instant::now() < next_at {
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        })
    };

    let (gets, ingests, drain_secs, in_flight) = runtime.block_on(async {
        let get_tasks: Vec<_> = (0..a.connections)
            .map(|i| {
                tokio::spawn(get_worker(
                    addr,
                    started,
                    until,
                    0x9E37_79B9 + i as u64 * 7919,
                    live.clone(),
                ))
            })
            .collect();
        let ingest_tasks: Vec<_> = (0..a.ingest_connections)
            .map(|w| {
                tokio::spawn(ingest_worker(
                    addr,
                    started,
                    until,
                    w as u64,
                    ratings.clone(),
                    live.clone(),
                ))
            })
            .collect();
        let job_driver = {
            let jobs = jobs.clone();
            let interval = Duration::from_secs(a.job_interval);
            tokio::spawn(async move {
                let mut cycles = Vec::new();
                for cycle in 1u64.. {
                    let at = started + interval * cycle as u32;
                    if at >= until {
                        break;
                    }
                    tokio::time::sleep_until(at.into()).await;
                    let jobs = jobs.clone();
                    cycles.push(tokio::spawn(async move {
                        run_job(addr, started, &jobs, cycle, "RetrainModel").await;
                        run_job(addr, started, &jobs, cycle, "RecommendAllUsers").await;
                    }));
                }
                cycles
            })
        };
        let mut gets = Vec::new();
        for t in get_tasks {
            gets.push(t.await.unwrap());
        }
        let mut ingests = Vec::new();
        for t in ingest_tasks {
            ingests.push(t.await.unwrap());
        }
        let cycles = job_driver.await.unwrap();
        // Jobs still running get up to --drain-seconds.
        let load_end = Instant::now();
        let deadline = load_end + Duration::from_secs(a.drain_seconds);
        for c in cycles {
            if tokio::time::timeout_at(deadline.into(), c).await.is_err() {
                break;
            }
        }
        let drain = load_end.elapsed().as_secs_f64();
        let in_flight: Vec<_> = jobs.lock().unwrap().running.values().cloned().collect();
        (gets, ingests, drain, in_flight)
    });

    // The peak resident set the kernel saw, then stop the server.
    let hwm = status_kib(pid, "VmHWM:") * 1024;
    let load_after = loadavg();
    let last = take_sample(pid, &store, started);
    samples.lock().unwrap().push(last);
    stop_sampling.store(true, Relaxed);
    sampler.join().unwrap();
    let term_sent = Instant::now();
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let mut child = server.0.take().unwrap();
    let exit = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break format!("{status}");
        }
        if term_sent.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            break "still running after 30 s: killed".to_string();
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let exit_secs = term_sent.elapsed().as_secs_f64();
    runtime.shutdown_timeout(Duration::from_secs(1));

    // GETs
    let windows = gets.iter().map(|g| g.windows.len()).max().unwrap_or(0);
    let mut per_window: Vec<Vec<u32>> = vec![Vec::new(); windows];
    let mut by_status: BTreeMap<u16, u64> = BTreeMap::new();
    let mut sources: BTreeMap<String, u64> = BTreeMap::new();
    let mut get_conn_errors = 0;
    let mut get_samples = Vec::new();
    for g in gets {
        for (w, l) in g.windows.into_iter().enumerate() {
            per_window[w].extend(l);
        }
        for (k, v) in g.by_status {
            *by_status.entry(k).or_default() += v;
        }
        for (k, v) in g.sources {
            *sources.entry(k).or_default() += v;
        }
        get_conn_errors += g.connection_errors;
        for s in g.samples {
            keep(&mut get_samples, s);
        }
    }
    let mut all: Vec<u32> = per_window.iter().flatten().copied().collect();
    all.sort_unstable();
    let get_non2xx: u64 = by_status
        .iter()
        .filter(|(s, _)| !(200..300).contains(*s))
        .map(|(_, n)| n)
        .sum();

    // Ingest
    let mut ing = IngestStats::default();
    for i in ingests {
        ing.batches += i.batches;
        ing.sent_events += i.sent_events;
        ing.answered_events += i.answered_events;
        ing.stored += i.stored;
        ing.unchanged += i.unchanged;
        ing.dead_lettered += i.dead_lettered;
        ing.connection_errors += i.connection_errors;
        for (k, v) in i.by_status {
            *ing.by_status.entry(k).or_default() += v;
        }
        if ing.windows.len() < i.windows.len() {
            ing.windows.resize(i.windows.len(), 0);
        }
        for (w, n) in i.windows.into_iter().enumerate() {
            ing.windows[w] += n;
        }
        for s in i.samples {
            keep(&mut ing.samples, s);
        }
    }
    let ingest_non2xx: u64 = ing
        .by_status
        .iter()
        .filter(|(s, _)| !(200..300).contains(*s))
        .map(|(_, n)| n)
        .sum();

    // Jobs
    let mut jobs = std::mem::take(&mut *jobs.lock().unwrap());
    jobs.done
        .sort_by(|x, y| x.start_s.partial_cmp(&y.start_s).unwrap());
    let count = |name: &str, outcome: &str| {
        jobs.done
            .iter()
            .filter(|j| j.name == name && j.outcome == outcome)
            .count()
    };
    let running = |name: &str| in_flight.iter().filter(|j| j.0 == name).count();
    let secs_of = |name: &str| {
        let v: Vec<String> = jobs
            .done
            .iter()
            .filter(|j| j.name == name && j.outcome == "done")
            .map(|j| format!("{:.1}", j.secs))
            .collect();
        if v.is_empty() {
            "-".to_string()
        } else {
            v.join(", ")
        }
    };

    let samples = samples.lock().unwrap().clone();
    let peak = |f: fn(&Sample) -> u64| samples.iter().map(f).max().unwrap_or(0);
    // When a figure peaked (seconds into the load).
    let peak_at = |f: fn(&Sample) -> u64| samples.iter().max_by_key(|s| f(s)).map_or(0.0, |s| s.t);
    let secs = a.seconds as f64;
    let fmt_status = |m: &BTreeMap<u16, u64>| {
        m.iter()
            .map(|(s, n)| format!("{s}: {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };

    println!("=== movierec soak ===");
    println!(
        "machine: {}; 1-min load average {load_before} before, {load_after} at the end",
        machine()
    );
    println!(
        "duration: {:.0} s of load (GET {} conns, ingest {} conns, jobs every {} s, promotion margin {margin}), bootstrap {:.1} s, drain {:.1} s",
        secs, a.connections, a.ingest_connections, a.job_interval, bootstrap_secs, drain_secs
    );
    println!(
        "GET /recommendations: {} done ({:.0}/s), p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        all.len(),
        all.len() as f64 / secs,
        percentile(&all, 0.50),
        percentile(&all, 0.99),
        all.last().map_or(f64::NAN, |&m| m as f64 / 1000.0)
    );
    println!(
        "GET errors: {} (non-2xx {}, connection {})",
        get_non2xx + get_conn_errors,
        get_non2xx,
        get_conn_errors
    );
    println!(
        "events: {} stored / {} answered / {} sent ({:.0} stored/s), {} unchanged, {} dead-lettered, {} batches",
        ing.stored,
        ing.answered_events,
        ing.sent_events,
        ing.stored as f64 / secs,
        ing.unchanged,
        ing.dead_lettered,
        ing.batches
    );
    println!(
        "ingest errors: {} (non-2xx {}, connection {})",
        ingest_non2xx + ing.connection_errors,
        ingest_non2xx,
        ing.connection_errors
    );
    for name in ["RetrainModel", "RecommendAllUsers"] {
        println!(
            "{name}: {} done, {} skipped, {} failed, {} unfinished; done in s: {}",
            count(name, "done"),
            count(name, "skipped"),
            count(name, "failed"),
            running(name),
            secs_of(name)
        );
    }
    println!(
        "RSS: peak {:.0} MiB at {:.0} s (VmHWM {:.0} MiB), final {:.0} MiB",
        mib(peak(|s| s.rss)),
        peak_at(|s| s.rss),
        mib(hwm),
        mib(last.rss)
    );
    println!(
        "WAL: peak {:.1} MiB at {:.0} s, final {:.1} MiB",
        mib(peak(|s| s.wal)),
        peak_at(|s| s.wal),
        mib(last.wal)
    );
    println!(
        "DB: final {:.0} MiB (peak {:.0} MiB)",
        mib(last.db),
        mib(peak(|s| s.db))
    );
    println!("shutdown: SIGTERM to exit {:.2} s ({exit})", exit_secs);
    println!("=== end ===");

    // Details, for looking into the figures above.
    println!("details:");
    println!("  GET statuses: {}", fmt_status(&by_status));
    println!(
        "  GET sources: {}",
        sources
            .iter()
            .map(|(s, n)| format!("{s}: {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "  GET p99 ms per {WINDOW_SECS} s: {}",
        per_window
            .iter_mut()
            .map(|w| {
                w.sort_unstable();
                format!("{:.1}", percentile(w, 0.99))
            })
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!(
        "  GET max ms per {WINDOW_SECS} s: {}",
        per_window
            .iter()
            .map(|w| format!("{:.0}", w.last().map_or(0.0, |&m| m as f64 / 1000.0)))
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!(
        "  events stored per s, per {WINDOW_SECS} s: {}",
        ing.windows
            .iter()
            .map(|n| format!("{:.0}", *n as f64 / WINDOW_SECS as f64))
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!("  ingest statuses: {}", fmt_status(&ing.by_status));
    let every = (WINDOW_SECS / SAMPLE_EVERY.as_secs()) as usize;
    let series = |f: fn(&Sample) -> u64| {
        samples
            .iter()
            .step_by(every)
            .chain(std::iter::once(&last))
            .map(|s| format!("{:.0}", mib(f(s))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!("  RSS MiB per {WINDOW_SECS} s: {}", series(|s| s.rss));
    println!("  WAL MiB per {WINDOW_SECS} s: {}", series(|s| s.wal));
    println!("  DB MiB per {WINDOW_SECS} s: {}", series(|s| s.db));
    println!(
        "  WAL MiB per 5 s: {}",
        samples
            .iter()
            .map(|s| format!("{:.0}", mib(s.wal)))
            .collect::<Vec<_>>()
            .join(" ")
    );
    for j in &jobs.done {
        println!(
            "  job cycle {} {} at {:.0} s: {} in {:.1} s ({})",
            j.cycle, j.name, j.start_s, j.outcome, j.secs, j.detail
        );
    }
    for (name, cycle, start) in &in_flight {
        println!("  job cycle {cycle} {name} at {start:.0} s: unfinished at the end of the drain");
    }
    for s in get_samples {
        println!("  GET error: {s}");
    }
    for s in ing.samples {
        println!("  ingest error: {s}");
    }
    let log = log.lock().unwrap();
    println!(
        "  server log after listening (MOVIEREC_LOG={log_level}): {} dead-letter warnings, {} busy WAL checkpoints, {} other lines",
        log.dead_letter_warnings, log.busy_checkpoints, log.other_lines
    );
    for l in &log.first_other_lines {
        println!("  server: {l}");
    }
}
