//! Contract tests: the handler is sent exactly what the Functions host sends,
//! through `movierec-fakehost` (testsupport/fakehost): chunked invocation
//! bodies with the host's headers, Event Hub batches with `Data.events` as one
//! JSON string and the metadata arrays as JSON strings, timer payloads with
//! and without ScheduleStatus, retries with RetryContext, the bare `GET /`
//! ping and forwarded HTTP requests, over a real socket. The stored state and
//! the `{"Outputs","Logs","ReturnValue"}` answers are checked. Other accepted
//! batch shapes are sent directly only in `every_batch_encoding_is_ingested`.
//!
//! Every check runs on each backend: `sqlite::*` on a temp directory and
//! `cosmos::*` on a fresh database of the local Cosmos DB server
//! (testsupport/cosmos; skipped when MOVIEREC_TEST_COSMOS_ENDPOINT is unset,
//! a failure when MOVIEREC_REQUIRE_COSMOS=1). The backends' own failure modes
//! (a broken SQLite table, Cosmos throttling) have tests of their own.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use movierec::server::{serve, Mode};
use movierec::settings::Settings;
use movierec::state::AppState;
use movierec_fakehost::events::{enqueued_time_of, offset_of};
use movierec_fakehost::{EventBatch, FakeHost, HostAnswer, RetryContext, TimerPayload};
use movierec_store::{SqliteStore, Store};
use serde_json::{json, Value};

/// The handler's server task on a fixed address, which can be restarted.
struct Server {
    addr: SocketAddr,
    settings: Settings,
    running: tokio::sync::Mutex<Option<Running>>,
}

struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), movierec::server::ServerError>>,
}

impl Server {
    async fn start(settings: Settings, store: Arc<dyn Store>) -> Arc<Server> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = Arc::new(Server {
            addr: listener.local_addr().unwrap(),
            settings,
            running: Default::default(),
        });
        *server.running.lock().await = Some(server.spawn(listener, store));
        server
    }

    fn spawn(&self, listener: tokio::net::TcpListener, store: Arc<dyn Store>) -> Running {
        let state = AppState::new(self.settings.clone(), store);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve(state, listener, Mode::Host, async {
            let _ = stopped.await;
        }));
        Running { stop, task }
    }

    /// A worker restart: stops the handler and starts a fresh one (nothing
    /// cached) on the same address, on `store`.
    async fn restart_on(&self, store: Arc<dyn Store>) {
        let mut running = self.running.lock().await;
        if let Some(Running { stop, mut task }) = running.take() {
            let _ = stop.send(());
            if tokio::time::timeout(Duration::from_secs(10), &mut task)
                .await
                .is_err()
            {
                task.abort();
                let _ = task.await;
            }
        }
        let mut tries = 0;
        let listener = loop {
            match tokio::net::TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                Err(e) if tries < 100 => {
                    tries += 1;
                    eprintln!("rebinding {}: {e}", self.addr);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("rebinding {}: {e}", self.addr),
            }
        };
        *running = Some(self.spawn(listener, store));
    }
}

struct App {
    url: String,
    /// The Cosmos DB database the app uses (Cosmos runs only).
    #[cfg_attr(not(feature = "cosmos"), allow(dead_code))]
    database: Option<String>,
    store: Arc<dyn Store>,
    dir: tempfile::TempDir,
    /// Everything the host sends goes through it.
    host: FakeHost,
    server: Arc<Server>,
    /// The next sequence number of the fake Event Hub's partition "0".
    sequence: AtomicI64,
    /// Only for requests no host sends (a body that is not JSON).
    http: reqwest::Client,
}

async fn start_on(store: Arc<dyn Store>, dir: tempfile::TempDir, settings: Settings) -> App {
    let server = Server::start(settings, store.clone()).await;
    let url = format!("http://{}", server.addr);
    App {
        host: FakeHost::new(&url),
        url,
        database: None,
        store,
        dir,
        server,
        sequence: AtomicI64::new(0),
        http: reqwest::Client::new(),
    }
}

async fn start_sqlite() -> App {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let settings = Settings::for_tests(dir.path().to_path_buf());
    start_on(store, dir, settings).await
}

/// The app on a fresh database of the local Cosmos DB server named
/// `{prefix}-...` (the shim throttles databases named "throttle*" and
/// "overload*"), or `None` to skip.
#[cfg(feature = "cosmos")]
async fn start_cosmos(
    prefix: &str,
    configure: impl FnOnce(&mut movierec_store::CosmosConfig),
) -> Option<App> {
    let endpoint = movierec_store::cosmos::local::test_endpoint()?;
    let mut config = movierec_store::cosmos::local::test_config(&endpoint, prefix);
    configure(&mut config);
    let store = cosmos_store(config.clone()).await;
    let database = config.database.clone();
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings::for_tests(dir.path().to_path_buf());
    let mut app = start_on(store, dir, settings).await;
    app.database = Some(database);
    Some(app)
}

#[cfg(feature = "cosmos")]
async fn cosmos_store(config: movierec_store::CosmosConfig) -> Arc<dyn Store> {
    let endpoint = config.endpoint.clone();
    Arc::new(
        movierec_store::CosmosStore::connect(config)
            .await
            .unwrap_or_else(|e| panic!("the local Cosmos DB server at {endpoint}: {e}")),
    )
}

/// Declares each check once per backend.
macro_rules! on_every_backend {
    ($($check:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    super::$check(super::start_sqlite().await).await;
                }
            )+
        }
        #[cfg(feature = "cosmos")]
        mod cosmos {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    if let Some(app) = super::start_cosmos("contract", |_| {}).await {
                        super::$check(app).await;
                    }
                }
            )+
        }
    };
}

on_every_backend!(
    every_batch_encoding_is_ingested,
    duplicates_late_events_and_poison_are_handled_in_one_batch,
    a_poison_event_redelivered_in_other_batches_after_a_restart_is_one_dead_letter,
    a_failed_batch_retried_with_a_retry_context_is_stored_once,
    the_hosts_ping_is_answered_at_once_and_is_not_the_dashboard,
    timers_retrain_promote_and_publish,
    a_much_worse_model_is_recorded_but_not_promoted,
    jobs_never_overlap,
    a_retrain_timed_with_an_idle_recommend_run_still_runs,
    get_answers_bad_requests_with_json_errors_and_serves_new_users,
    catalogue_filters_pages_reasons_and_hiding_through_the_host,
    dashboard_shows_what_the_store_holds,
    a_rated_movie_leaves_every_answer_at_once,
    a_change_of_taste_shows_in_the_next_answer,
    a_rating_on_one_instance_changes_the_next_answer_of_another,
    a_population_of_sparse_new_users_does_not_block_promotion,
    a_movie_rated_after_the_retrain_is_served_after_one_publication,
);

impl App {
    /// Sends an invocation body of any shape the host's way (chunked, its headers).
    async fn invoke(&self, function: &str, body: Value) -> (u16, Value) {
        pair(self.host.invoke(function, &body).await.unwrap())
    }

    /// Delivers a batch as the host does.
    async fn deliver(&self, batch: &EventBatch) -> HostAnswer {
        self.host
            .deliver_events("IngestRatings", batch)
            .await
            .unwrap()
    }

    /// Delivers `events` as the next batch of partition "0".
    async fn ingest(&self, events: &[Value]) -> (u16, Value) {
        let first = self
            .sequence
            .fetch_add(events.len() as i64, Ordering::Relaxed);
        pair(
            self.deliver(&EventBatch::new("0", first, bodies(events)))
                .await,
        )
    }

    /// Fires a timer; RecommendAllUsers' queue output (its shards) is then
    /// delivered to RecommendShard one message at a time, as the host's queue
    /// would. The answer is the timer's.
    async fn fire(&self, function: &str, timer: TimerPayload) -> (u16, Value) {
        let answer = pair(self.host.fire_timer(function, &timer).await.unwrap());
        for shard in answer.1["Outputs"]["shards"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let body = movierec_fakehost::queue_invocation(
                "RecommendShard",
                "shard",
                &shard.to_string(),
                1,
            );
            let (status, done) = self.invoke("RecommendShard", body).await;
            assert_eq!(status, 200, "RecommendShard: {done}");
        }
        answer
    }

    /// A GET forwarded by the host.
    async fn send_get(&self, path: &str) -> movierec_fakehost::Forwarded {
        self.host.get(path).await.unwrap()
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let r = self.send_get(path).await;
        (r.status, r.json())
    }

    /// A JSON POST forwarded by the host.
    async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .host
            .forward(movierec_fakehost::ForwardedRequest::post_json(path, body))
            .await
            .unwrap();
        (r.status, r.json())
    }

    /// The movie ids of `GET path`, which must answer 200.
    async fn ids(&self, path: &str) -> Vec<i64> {
        let (status, body) = self.get(path).await;
        assert_eq!(status, 200, "{path}: {body}");
        movie_ids(&body)
    }

    async fn page(&self, path: &str) -> (u16, String) {
        let r = self.send_get(path).await;
        let content_type = r.content_type().unwrap_or_default();
        assert!(content_type.starts_with("text/html"), "{content_type}");
        (r.status, r.text())
    }

    /// Another instance on the same store: its own store handle (own
    /// connections and caches), app state and handler, as a second worker
    /// or machine has.
    async fn another_instance(&self) -> App {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings::for_tests(dir.path().to_path_buf());
        let store: Arc<dyn Store> = match &self.database {
            None => Arc::new(SqliteStore::open(self.dir.path()).unwrap()),
            #[cfg(feature = "cosmos")]
            Some(database) => {
                let endpoint = movierec_store::cosmos::local::test_endpoint().unwrap();
                let mut config = movierec_store::cosmos::local::test_config(&endpoint, "twin");
                config.database = database.clone();
                cosmos_store(config).await
            }
            #[cfg(not(feature = "cosmos"))]
            Some(_) => unreachable!("a database only with Cosmos DB"),
        };
        let mut app = start_on(store, dir, settings).await;
        app.database = self.database.clone();
        app
    }

    /// The handler restarts (same store, nothing cached).
    async fn restart(&self) {
        self.server.restart_on(self.store.clone()).await;
    }

    async fn rating(&self, user: i32, movie: i32) -> Option<(f32, i64)> {
        self.store
            .user_ratings(user)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.movie == movie)
            .map(|r| (r.rating, r.timestamp))
    }
}

fn pair(answer: HostAnswer) -> (u16, Value) {
    (answer.status, answer.body)
}

fn event(user: i32, movie: i32, rating: f64, ts: i64) -> Value {
    json!({"UserId": user, "MovieId": movie, "Rating": rating, "Timestamp": ts})
}

/// Event bodies as a producer sent them: a JSON string stands for its text.
fn bodies(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

/// A timer firing, not past due (Last 2026-11-26T00:00:00 when with a status).
fn timer(schedule_status: bool) -> TimerPayload {
    TimerPayload::new(schedule_status, false)
}

/// Turns a list of events into one of the shapes the host may deliver.
type Encoder = Box<dyn Fn(&[Value]) -> Value>;

fn assert_host_answer(body: &Value) {
    assert!(body["Outputs"].is_object(), "{body}");
    assert!(body["Logs"].is_array(), "{body}");
    assert!(body.get("ReturnValue").is_some(), "{body}");
}
async fn every_batch_encoding_is_ingested(app: App) {
    let b64 = |s: String| base64::engine::general_purpose::STANDARD.encode(s);
    let encodings: Vec<(&str, Encoder)> = vec![
        (
            "the host's: one string of an array of JSON strings",
            Box::new(|e: &[Value]| {
                let texts = e.iter().map(|v| Value::String(v.to_string())).collect();
                Value::String(Value::Array(texts).to_string())
            }),
        ),
        (
            "array of objects",
            Box::new(|e: &[Value]| Value::Array(e.to_vec())),
        ),
        (
            "string holding the array",
            Box::new(|e: &[Value]| Value::String(Value::Array(e.to_vec()).to_string())),
        ),
        (
            "base64 of the array",
            Box::new(move |e: &[Value]| Value::String(b64(Value::Array(e.to_vec()).to_string()))),
        ),
        (
            "array of JSON strings",
            Box::new(|e: &[Value]| {
                Value::Array(e.iter().map(|v| Value::String(v.to_string())).collect())
            }),
        ),
        (
            "array of base64 strings",
            Box::new(|e: &[Value]| {
                Value::Array(
                    e.iter()
                        .map(|v| {
                            Value::String(
                                base64::engine::general_purpose::STANDARD.encode(v.to_string()),
                            )
                        })
                        .collect(),
                )
            }),
        ),
    ];
    for (i, (name, encode)) in encodings.iter().enumerate() {
        let user = 100 + i as i32;
        let events = [event(user, 1, 4.0, 10), event(user, 2, 2.5, 11)];
        // The host's metadata and headers; only Data.events takes another shape.
        let mut body =
            EventBatch::new("0", 10 * i as i64, bodies(&events)).invocation("IngestRatings");
        body["Data"]["events"] = encode(&events);
        let (status, body) = app.invoke("IngestRatings", body).await;
        assert_eq!(status, 200, "{name}: {body}");
        assert_host_answer(&body);
        assert_eq!(body["ReturnValue"]["written"], 2, "{name}: {body}");
        assert_eq!(app.rating(user, 2).await, Some((2.5, 11)), "{name}");
    }
}

async fn duplicates_late_events_and_poison_are_handled_in_one_batch(app: App) {
    let (status, _) = app.ingest(&[event(1, 31, 2.5, 1_523_000_000)]).await;
    assert_eq!(status, 200);
    let events = vec![
        event(1, 31, 2.5, 1_523_000_000), // duplicate
        event(1, 31, 1.0, 1_400_000_000), // late, older: must not win
        json!("{\"UserId\": oops"),       // poison: not JSON
        event(2, 10, 4.0, 1_523_000_100),
        json!({"UserId": 2, "MovieId": 11, "Rating": 9, "Timestamp": 1}), // poison: rating out of range
        event(1, 32, 5.0, 1_523_000_200),
        event(1, 31, 3.5, 1_523_000_300), // newer: wins
    ];
    let batch = EventBatch::new("1", 500, bodies(&events));
    let answer = app.deliver(&batch).await;
    let (status, body) = (answer.status, answer.body.clone());
    assert_eq!(status, 200, "{body}");
    assert_host_answer(&body);
    assert_eq!(
        body["ReturnValue"],
        json!({"written": 3, "unchanged": 2, "dead_lettered": 2})
    );
    assert!(
        answer.host_logs()[0].contains("7 events: 3 ratings stored, 2 unchanged"),
        "{body}"
    );
    assert_eq!(app.rating(1, 31).await, Some((3.5, 1_523_000_300)));
    assert_eq!(app.rating(2, 10).await, Some((4.0, 1_523_000_100)));
    assert_eq!(app.rating(2, 11).await, None);

    let letters = app.store.dead_letters(10).await.unwrap();
    assert_eq!(letters.len(), 2);
    let bad_json = letters
        .iter()
        .find(|d| d.origin.sequence_number == Some(502))
        .expect("sequence 502 dead-lettered");
    assert_eq!(bad_json.raw, "{\"UserId\": oops");
    assert_eq!(bad_json.origin.partition.as_deref(), Some("1"));
    assert_eq!(
        bad_json.origin.offset,
        Some(offset_of(502).to_string()),
        "{:?}",
        bad_json.origin
    );
    let bad_rating = letters
        .iter()
        .find(|d| d.origin.sequence_number == Some(504))
        .unwrap();
    assert!(
        bad_rating.reason.contains("Rating must be 0.5 to 5"),
        "{}",
        bad_rating.reason
    );

    // The host redelivers the same batch (at-least-once): nothing changes, no second dead letter.
    let retried = batch.with_retry(RetryContext::after_status("IngestRatings", 500, 1, -1));
    let (status, body) = pair(app.deliver(&retried).await);
    assert_eq!(status, 200);
    assert_eq!(
        body["ReturnValue"],
        json!({"written": 0, "unchanged": 5, "dead_lettered": 0})
    );
    assert!(
        body["Logs"][0].as_str().unwrap().contains("(retry 1"),
        "{body}"
    );
    assert_eq!(app.store.dead_letter_count().await.unwrap(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_failure_fails_the_invocation_and_stores_nothing_of_the_batch() {
    let app = start_sqlite().await;
    let conn = rusqlite::Connection::open(app.dir.path().join("movierec.db")).unwrap();
    conn.execute_batch("ALTER TABLE ratings RENAME TO ratings_away")
        .unwrap();
    let batch = EventBatch::new("0", 0, bodies(&[event(5, 1, 4.0, 1), json!("poison")]));
    let answer = app.deliver(&batch).await;
    let (status, body) = (answer.status, answer.body.clone());
    assert_eq!(status, 500, "the host must see a failure and retry: {body}");
    assert!(
        answer.host_logs().is_empty(),
        "the host drops a failure's Logs"
    );
    assert_host_answer(&body);
    assert!(
        body["Logs"][0]
            .as_str()
            .unwrap()
            .contains("store an ingest batch"),
        "{body}"
    );
    assert_eq!(
        app.store.dead_letter_count().await.unwrap(),
        0,
        "no half-stored batch"
    );
    // The store recovers; the retried batch is stored whole.
    conn.execute_batch("ALTER TABLE ratings_away RENAME TO ratings")
        .unwrap();
    let retried = batch.with_retry(RetryContext::after_status("IngestRatings", 500, 1, -1));
    let (status, body) = pair(app.deliver(&retried).await);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ReturnValue"]["written"], 1);
    assert_eq!(app.store.dead_letter_count().await.unwrap(), 1);
}

/// At-least-once delivery across a restart: the handler stored a batch but
/// the checkpoint was not written, so after the restart the partition is read
/// again from an older checkpoint and the same events (same partition and
/// sequence numbers) arrive cut into other batches. Each poison event must be
/// one dead letter, its origin read from the host's metadata strings.
async fn a_poison_event_redelivered_in_other_batches_after_a_restart_is_one_dead_letter(app: App) {
    let events = vec![
        event(7, 1, 4.0, 10),
        json!("{\"UserId\": oops"), // 1001: not JSON
        event(7, 2, 3.0, 11),
        json!({"UserId": 7, "MovieId": 3, "Rating": 9, "Timestamp": 12}), // 1003: out of range
        event(7, 4, 5.0, 13),
        json!("not an event"), // 1005
        event(7, 5, 2.0, 14),
        event(7, 6, 1.0, 15),
    ];
    // Partition "2", sequence numbers 1000..=1007.
    let partition = EventBatch::new("2", 1000, bodies(&events));

    let answer = app.deliver(&partition.slice(0..6)).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(
        answer.body["ReturnValue"],
        json!({"written": 3, "unchanged": 0, "dead_lettered": 3})
    );
    app.restart().await;
    for cut in [0..2, 2..5, 5..8] {
        let answer = app.deliver(&partition.slice(cut.clone())).await;
        assert_eq!(answer.status, 200, "{cut:?}: {}", answer.text);
    }
    assert_eq!(
        app.store.dead_letter_count().await.unwrap(),
        3,
        "each poison event once, whatever batch it came in"
    );
    assert_eq!(app.rating(7, 6).await, Some((1.0, 15)));

    let letters = app.store.dead_letters(10).await.unwrap();
    let letter = letters
        .iter()
        .find(|d| d.raw.contains("\"Rating\":9"))
        .expect("the out-of-range rating is dead-lettered");
    let origin = &letter.origin;
    assert_eq!(origin.partition.as_deref(), Some("2"), "{origin:?}");
    assert_eq!(origin.sequence_number, Some(1003), "{origin:?}");
    assert_eq!(
        origin.offset,
        Some(offset_of(1003).to_string()),
        "{origin:?}"
    );
    // The host sends "2026-11-26T06:18:46.369" (UTC, no Z): the same instant.
    let stored = origin.enqueued_time.as_deref().unwrap_or_default();
    let instant = chrono::DateTime::parse_from_rfc3339(stored)
        .map(|t| t.naive_utc())
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(stored, "%Y-%m-%dT%H:%M:%S%.f"));
    assert_eq!(instant.ok(), Some(enqueued_time_of(1003)), "{origin:?}");
}

/// The host pings with a bare `GET /` (only a Host header) at start and from
/// its health monitor, and waits for the answer: it must come at once, small,
/// without rendering the dashboard (which a forwarded `GET /`, carrying the
/// invocation headers, still gets).
async fn the_hosts_ping_is_answered_at_once_and_is_not_the_dashboard(app: App) {
    app.ingest(&training_events()).await;
    let ping = app.host.ping().await.unwrap();
    let text = String::from_utf8_lossy(&ping.body).to_lowercase();
    assert_eq!(ping.status, 200, "{text}");
    assert!(
        !text.contains("<html") && !text.contains("<!doctype"),
        "the ping rendered the dashboard ({} bytes)",
        ping.body.len()
    );
    assert!(
        ping.body.len() <= 256,
        "a small body, not {} bytes",
        ping.body.len()
    );
    assert!(
        ping.elapsed < Duration::from_secs(1),
        "answered in {:?}",
        ping.elapsed
    );
    let (status, html) = app.page("/").await;
    assert_eq!(status, 200);
    assert!(html.to_lowercase().contains("<html"), "the dashboard");
}

/// What makes the first attempt fail, and what brings the store back while
/// the host waits to retry.
#[derive(Clone)]
enum Outage {
    /// The SQLite ratings table renamed away.
    Sqlite { db: PathBuf, ended: Arc<AtomicBool> },
    /// The handler on a store of a "throttle" database that gives up on the
    /// first 429 (the shim answers every third write so); it ends with the
    /// handler restarted on a store of the same database that retries.
    #[cfg(feature = "cosmos")]
    Cosmos {
        server: Arc<Server>,
        healthy: Arc<dyn Store>,
        ended: Arc<AtomicBool>,
    },
}

impl Outage {
    async fn begin(app: &mut App) -> Outage {
        let ended = Arc::new(AtomicBool::new(false));
        #[cfg(feature = "cosmos")]
        if app.database.is_some() {
            let endpoint = movierec_store::cosmos::local::test_endpoint().unwrap();
            let healthy = movierec_store::cosmos::local::test_config(&endpoint, "throttle");
            let mut failing = healthy.clone();
            failing.throttle_retries = 0;
            app.database = Some(healthy.database.clone());
            let healthy = cosmos_store(healthy).await;
            app.server.restart_on(cosmos_store(failing).await).await;
            app.store = healthy.clone();
            return Outage::Cosmos {
                server: app.server.clone(),
                healthy,
                ended,
            };
        }
        let db = app.dir.path().join("movierec.db");
        rusqlite::Connection::open(&db)
            .unwrap()
            .execute_batch("ALTER TABLE ratings RENAME TO ratings_away")
            .unwrap();
        Outage::Sqlite { db, ended }
    }

    async fn end(self) {
        match self {
            Outage::Sqlite { db, ended } => {
                if !ended.swap(true, Ordering::SeqCst) {
                    rusqlite::Connection::open(db)
                        .unwrap()
                        .execute_batch("ALTER TABLE ratings_away RENAME TO ratings")
                        .unwrap();
                }
            }
            #[cfg(feature = "cosmos")]
            Outage::Cosmos {
                server,
                healthy,
                ended,
            } => {
                if !ended.swap(true, Ordering::SeqCst) {
                    server.restart_on(healthy).await;
                }
            }
        }
    }
}

/// The function's retry policy at work: a batch that fails on a store outage
/// is sent again with RetryContext once the store is back, and is then stored
/// once (on Cosmos DB the failed attempt may have stored part of it).
async fn a_failed_batch_retried_with_a_retry_context_is_stored_once(mut app: App) {
    let mut events: Vec<Value> = (1..=12).map(|m| event(8, m, 3.5, 100 + m as i64)).collect();
    events.insert(5, json!("poison"));
    let batch = EventBatch::new("3", 70, bodies(&events));
    let outage = Outage::begin(&mut app).await;
    let delivery = app
        .host
        .deliver_with_retries_and("IngestRatings", &batch, -1, |_| outage.clone().end())
        .await
        .unwrap();

    let first = &delivery.attempts[0];
    assert_eq!(
        first.status, 500,
        "the outage fails the batch: {}",
        first.text
    );
    assert!(
        first.host_logs().is_empty(),
        "the host drops a failure's Logs"
    );
    assert!(delivery.succeeded(), "{:?}", delivery.last());
    let n = delivery.retries();
    let last = delivery.last();
    assert!(
        last.host_logs()[0].contains(&format!("(retry {n}")),
        "{:?}",
        last.host_logs()
    );
    let outcome = last.return_value().unwrap();
    assert_eq!(
        outcome["written"].as_u64().unwrap() + outcome["unchanged"].as_u64().unwrap(),
        12,
        "{outcome}"
    );
    for m in 1..=12 {
        assert_eq!(
            app.rating(8, m).await,
            Some((3.5, 100 + m as i64)),
            "movie {m}"
        );
    }
    assert_eq!(app.store.dead_letter_count().await.unwrap(), 1);

    // Delivered once more (the checkpoint was not written): nothing changes.
    let (status, body) = pair(app.deliver(&batch).await);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["ReturnValue"],
        json!({"written": 0, "unchanged": 12, "dead_lettered": 0})
    );
    assert_eq!(app.store.dead_letter_count().await.unwrap(), 1);
}

/// Ratings with structure: users 1..=40 like movies of their own group.
fn training_events() -> Vec<Value> {
    let mut events = Vec::new();
    for u in 1..=40 {
        for m in 1..=30 {
            if (u * 7 + m * 3) % 4 != 0 {
                let liked = (u % 2) == (m % 2);
                events.push(event(
                    u,
                    m,
                    if liked { 4.5 } else { 1.5 },
                    1_600_000_000 + (u * 100 + m) as i64,
                ));
            }
        }
    }
    events
}

async fn timers_retrain_promote_and_publish(app: App) {
    let (status, body) = app.fire("RetrainModel", timer(false)).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["ReturnValue"]["outcome"], "skipped",
        "no ratings yet: {body}"
    );
    let (_, body) = app.fire("RecommendAllUsers", timer(true)).await;
    assert_eq!(body["ReturnValue"]["outcome"], "skipped");
    let (status, _) = app.get("/recommendations/1").await;
    assert_eq!(status, 503, "nothing published yet");

    let events = training_events();
    let (status, _) = app.ingest(&events).await;
    assert_eq!(status, 200);

    let (status, body) = app.fire("RetrainModel", timer(true)).await;
    assert_eq!(status, 200, "{body}");
    assert_host_answer(&body);
    assert_eq!(body["ReturnValue"]["outcome"], "done");
    assert_eq!(body["ReturnValue"]["status"], "promoted");
    assert_eq!(body["ReturnValue"]["version"], 1);
    assert!(
        body["Logs"][0]
            .as_str()
            .unwrap()
            .contains("last run 2026-11-26T00:00:00"),
        "{body}"
    );
    let metrics = &body["ReturnValue"]["metrics"];
    assert!(metrics["rmse"].as_f64().unwrap() < 1.0, "{metrics}");
    assert!(
        metrics["ndcg_at_k"].as_f64().unwrap() > metrics["popular"]["ndcg_at_k"].as_f64().unwrap(),
        "promoted on lists better than the most popular: {metrics}"
    );

    let (status, body) = app.fire("RecommendAllUsers", timer(false)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ReturnValue"]["users"], 40);
    let (_, again) = app.fire("RecommendAllUsers", timer(false)).await;
    assert_eq!(
        again["ReturnValue"]["outcome"], "skipped",
        "version 1 already published: {again}"
    );

    // user 3 (odd) gets odd movies it has not rated, from the published batch
    let (status, body) = app.get("/recommendations/3?n=5").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["source"], "batch");
    assert_eq!(body["model_version"], 1);
    let rated: Vec<i64> = (1..=30).filter(|m| (3 * 7 + m * 3) % 4 != 0).collect();
    for item in body["items"].as_array().unwrap() {
        let m = item["movie_id"].as_i64().unwrap();
        assert!(!rated.contains(&m), "rated movie {m} recommended");
    }
    assert_eq!(
        body["items"][0]["movie_id"].as_i64().unwrap() % 2,
        1,
        "{body}"
    );
}

async fn a_much_worse_model_is_recorded_but_not_promoted(app: App) {
    app.ingest(&training_events()).await;
    let (_, first) = app.fire("RetrainModel", timer(true)).await;
    assert_eq!(first["ReturnValue"]["status"], "promoted");

    // Same store, settings that make poor lists (a ranking model regularised to nothing).
    let store = app.store.clone();
    let mut bad = Settings::for_tests(app.dir.path().to_path_buf());
    bad.ranking_params.reg = 1e4;
    let state = AppState::new(bad, store);
    let outcome = movierec::jobs::runtime::retrain(&state).await.unwrap();
    let report = match outcome {
        movierec::jobs::JobOutcome::Done(r) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(report.version, 2);
    assert_eq!(
        report.status,
        movierec_store::ModelStatus::Rejected,
        "{}",
        report.decision
    );
    assert!(
        report.decision.contains("worse than serving version 1's")
            || report.decision.contains("not above the most-popular"),
        "{}",
        report.decision
    );
    // both figures, on the same holdout, are in the record
    let records = app.store.models().await.unwrap();
    let record = records.iter().find(|r| r.version == 2).unwrap();
    let champion = record.metrics.champion.as_ref().unwrap();
    assert_eq!(champion.version, 1, "{:?}", record.metrics);
    assert!(champion.lists.ndcg_at_k.unwrap() > 0.0, "{champion:?}");
    assert_eq!(
        app.store.promoted_model().await.unwrap().unwrap().version,
        1
    );
    assert!(app.store.model_files(2).await.unwrap().is_empty());
}

async fn jobs_never_overlap(app: App) {
    app.ingest(&training_events()).await;
    assert!(app
        .store
        .try_acquire_job_lease("someone-else", std::time::Duration::from_secs(60))
        .await
        .unwrap());
    let (status, body) = app.fire("RetrainModel", timer(true)).await;
    assert_eq!(status, 200);
    assert_eq!(body["ReturnValue"]["outcome"], "skipped", "{body}");
    assert!(
        body["Logs"][1].as_str().unwrap().contains("another job"),
        "{body}"
    );
    assert!(app.store.models().await.unwrap().is_empty());
}

/// The default schedules meet every six hours (RecommendAllUsers every five
/// minutes, RetrainModel at minute 0): a recommend run with nothing to
/// publish must not take the lease from the retrain fired in the same second.
async fn a_retrain_timed_with_an_idle_recommend_run_still_runs(app: App) {
    app.ingest(&training_events()).await;
    app.fire("RetrainModel", timer(true)).await;
    app.fire("RecommendAllUsers", timer(true)).await;
    for round in 0..3 {
        let (_, retrain) = tokio::join!(
            app.fire("RecommendAllUsers", timer(true)),
            app.fire("RetrainModel", timer(true))
        );
        assert_eq!(
            retrain.1["ReturnValue"]["outcome"], "done",
            "round {round}: {}",
            retrain.1
        );
        // The promoted version is published before the next round meets again.
        app.fire("RecommendAllUsers", timer(true)).await;
    }
}

async fn get_answers_bad_requests_with_json_errors_and_serves_new_users(app: App) {
    app.ingest(&training_events()).await;
    app.fire("RetrainModel", timer(true)).await;
    app.fire("RecommendAllUsers", timer(true)).await;

    for (path, needle) in [
        ("/recommendations/abc", "not a positive 32-bit integer"),
        ("/recommendations/-4", "not a positive 32-bit integer"),
        (
            "/recommendations/99999999999",
            "not a positive 32-bit integer",
        ),
        ("/recommendations/3?n=0", "out of range"),
        ("/recommendations/3?n=101", "out of range"),
        ("/recommendations/3?n=ten", "out of range"),
    ] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains(needle),
            "{path}: {body}"
        );
        assert!(body["hint"].is_string());
    }
    // n above the stored list length: computed from the model, every unrated movie at most
    let (status, body) = app.get("/recommendations/3?n=20").await;
    assert_eq!(status, 200);
    assert_eq!(body["source"], "model");
    let unrated = (1..=30).filter(|m| (3 * 7 + m * 3) % 4 == 0).count();
    assert_eq!(body["items"].as_array().unwrap().len(), unrated, "{body}");

    // no ratings at all: popular
    let (_, body) = app.get("/recommendations/5000").await;
    assert_eq!(body["source"], "popular");
    assert_eq!(body["items"].as_array().unwrap().len(), 10);

    // rated since the last batch: folded in, and rated movies left out
    app.ingest(&[
        event(5000, 1, 5.0, 1),
        event(5000, 3, 5.0, 2),
        event(5000, 2, 1.0, 3),
    ])
    .await;
    let (_, body) = app.get("/recommendations/5000?n=5").await;
    assert_eq!(body["source"], "fold-in", "{body}");
    let ids: Vec<i64> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["movie_id"].as_i64().unwrap())
        .collect();
    assert!(
        !ids.contains(&1) && !ids.contains(&3) && !ids.contains(&2),
        "{ids:?}"
    );
    assert_eq!(
        ids[0] % 2,
        1,
        "likes odd movies like the odd users: {ids:?}"
    );

    let (status, body) = app.invoke("NoSuchFunction", json!({})).await;
    assert_eq!(status, 404);
    assert_host_answer(&body);
    let r = app
        .http
        .post(format!("{}/IngestRatings", app.url))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
}

/// Sparse new users (5 ratings each, copied from the trained users') and a
/// new movie rated 5 stars by 300 users, the known ones among them: the next
/// retrain is compared with the serving version on the same holdout, so the
/// harder population weighs on both, and it is promoted and published.
async fn a_population_of_sparse_new_users_does_not_block_promotion(app: App) {
    published(&app).await;
    let (status, body) = app
        .post(
            "/movies",
            &json!([{"movie_id": 99, "title": "Movie 99", "genres": ["Odd"]}]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let trained: Vec<Value> = training_events();
    let mut events = Vec::new();
    for j in 0..2_000 {
        let user = 1_000 + j;
        let copied = (j % 40) + 1;
        let theirs: Vec<&Value> = trained
            .iter()
            .filter(|e| e["UserId"] == copied)
            .skip((j / 40 % 3) as usize)
            .take(5)
            .collect();
        for e in theirs {
            events.push(event(
                user,
                e["MovieId"].as_i64().unwrap() as i32,
                e["Rating"].as_f64().unwrap(),
                1_700_000_000,
            ));
        }
    }
    let raters = (1..=40).chain(1_000..1_260);
    events.extend(raters.map(|u| event(u, 99, 5.0, 1_700_000_001)));
    for chunk in events.chunks(2_000) {
        let (status, body) = app.ingest(chunk).await;
        assert_eq!(status, 200, "{body}");
    }
    let (_, body) = app.fire("RetrainModel", timer(true)).await;
    let report = &body["ReturnValue"];
    assert_eq!(report["status"], "promoted", "{body}");
    assert_eq!(report["metrics"]["champion"]["version"], 1, "{body}");
    let (_, body) = app.fire("RecommendAllUsers", timer(true)).await;
    assert_eq!(body["ReturnValue"]["outcome"], "done", "{body}");
    assert_eq!(body["ReturnValue"]["version"], 2, "{body}");
    let (status, similar) = app.get("/movies/99/similar?n=5").await;
    assert_eq!(status, 200, "{similar}");
    assert_eq!(movie_ids(&similar).len(), 5, "{similar}");
    let lists = app.store.published_recommendations().await.unwrap();
    let holding = lists
        .iter()
        .filter(|l| l.items.iter().any(|i| i.movie == 99))
        .count();
    assert!(holding > 100, "movie 99 is in {holding} lists");
}

/// Movie 77, first rated after the retrain by 20 users the model knows, is
/// in the served model after one RecommendAllUsers run: no retrain.
async fn a_movie_rated_after_the_retrain_is_served_after_one_publication(app: App) {
    published(&app).await;
    let (status, _) = app.get("/movies/77/similar?n=5").await;
    assert_eq!(status, 404, "not in version 1");
    // odd users 1..19 like it; odd users 21..39 have not rated it
    let odd_fans: Vec<(i32, i64, f64)> = (1..=10).map(|u| (2 * u - 1, 77, 5.0)).collect();
    rate(&app, &odd_fans, 1_700_000_200).await;
    let (_, body) = app.fire("RecommendAllUsers", timer(true)).await;
    assert_eq!(body["ReturnValue"]["outcome"], "done", "{body}");
    assert_eq!(body["ReturnValue"]["version"], 2, "{body}");
    let records = app.store.models().await.unwrap();
    let folded = records.iter().find(|r| r.version == 2).unwrap();
    assert!(
        folded.decision.contains("folded in (77)"),
        "{}",
        folded.decision
    );
    assert_eq!(folded.metrics.folded_in.as_ref().unwrap().from_version, 1);

    let (status, similar) = app.get("/movies/77/similar?n=5").await;
    assert_eq!(status, 200, "{similar}");
    // liked by odd users only: its nearest movies are odd ones
    let odd = movie_ids(&similar).iter().filter(|m| *m % 2 == 1).count();
    assert!(odd >= 4, "{similar}");
    // it reaches the odd users who have not rated it
    let lists = app.store.published_recommendations().await.unwrap();
    let mean_place = |users: &[i32]| {
        let places: Vec<usize> = lists
            .iter()
            .filter(|l| users.contains(&l.user))
            .map(|l| {
                l.items
                    .iter()
                    .position(|i| i.movie == 77)
                    .unwrap_or(l.items.len())
            })
            .collect();
        places.iter().sum::<usize>() as f64 / places.len() as f64
    };
    let odd_others: Vec<i32> = (21..=39).step_by(2).collect();
    let odd_place = mean_place(&odd_others);
    assert!(
        odd_place < 5.0,
        "odd users have it at {odd_place} on average"
    );
    // nothing new rated: the next run folds in nothing and publishes nothing
    let (_, again) = app.fire("RecommendAllUsers", timer(true)).await;
    assert_eq!(again["ReturnValue"]["outcome"], "skipped", "{again}");
    assert_eq!(app.store.models().await.unwrap().len(), 2);
}

/// Trains on [`training_events`] with the test catalogue, and publishes.
async fn published(app: &App) {
    let (status, body) = app.post("/movies", &catalogue_patches()).await;
    assert_eq!(status, 200, "{body}");
    app.ingest(&training_events()).await;
    let (_, body) = app.fire("RetrainModel", timer(true)).await;
    assert_eq!(body["ReturnValue"]["status"], "promoted", "{body}");
    let (_, body) = app.fire("RecommendAllUsers", timer(true)).await;
    assert_eq!(body["ReturnValue"]["outcome"], "done", "{body}");
}

/// Acknowledged ratings: the host's answer to the batch was 200.
async fn rate(app: &App, ratings: &[(i32, i64, f64)], ts: i64) {
    let events: Vec<Value> = ratings
        .iter()
        .map(|&(u, m, r)| event(u, m as i32, r, ts))
        .collect();
    let (status, body) = app.ingest(&events).await;
    assert_eq!(status, 200, "{body}");
}

async fn a_rated_movie_leaves_every_answer_at_once(app: App) {
    // movie 31, unknown to the model (rated only after the retrain), is the
    // most liked when the lists are planned
    let (status, body) = app.post("/movies", &catalogue_patches()).await;
    assert_eq!(status, 200, "{body}");
    app.ingest(&training_events()).await;
    let (_, body) = app.fire("RetrainModel", timer(true)).await;
    assert_eq!(body["ReturnValue"]["status"], "promoted", "{body}");
    let liked: Vec<(i32, i64, f64)> = (101..=140).map(|u| (u, 31, 5.0)).collect();
    rate(&app, &liked, 1_700_000_100).await;
    let (_, body) = app.fire("RecommendAllUsers", timer(true)).await;
    assert_eq!(body["ReturnValue"]["outcome"], "done", "{body}");

    let (_, before) = app.get("/recommendations/3?n=8").await;
    assert_eq!(before["source"], "batch", "{before}");
    let top = movie_ids(&before);
    let rated = [top[0], top[3], top[6]];
    rate(
        &app,
        &[(3, rated[0], 5.0), (3, rated[1], 1.0), (3, rated[2], 3.0)],
        1_700_000_000,
    )
    .await;

    let answers = [
        "/recommendations/3",
        "/recommendations/3?n=3",
        "/recommendations/3?n=2&offset=2",
        "/recommendations/3?genre=Odd",
        "/recommendations/3?genre=Even,Three",
    ];
    for path in answers {
        let (status, body) = app.get(path).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert_eq!(
            body["source"], "fold-in",
            "{path}: the list predates the ratings: {body}"
        );
        let ids = movie_ids(&body);
        assert!(
            rated.iter().all(|m| !ids.contains(m)),
            "{path} serves a movie just rated ({rated:?}): {ids:?}"
        );
    }
    // the folded-in pages still tile the folded-in list
    let whole = app.ids("/recommendations/3?n=4").await;
    let mut paged = app.ids("/recommendations/3?n=2").await;
    paged.extend(app.ids("/recommendations/3?n=2&offset=2").await);
    assert_eq!(paged, whole);
    // another user's list is untouched
    let (_, other) = app.get("/recommendations/4?n=3").await;
    assert_eq!(other["source"], "batch", "{other}");

    // popular: a user with no ratings gets movie 31 first ...
    let (_, nobody) = app.get("/recommendations/999?n=3").await;
    assert_eq!(
        (&nobody["source"], movie_ids(&nobody)[0]),
        (&json!("popular"), 31),
        "{nobody}"
    );
    // ... and a user whose one rating is of it gets the popular list without it
    rate(&app, &[(998, 31, 4.0)], 1_700_000_200).await;
    let (_, one) = app.get("/recommendations/998?n=3").await;
    assert_eq!(one["source"], "popular", "{one}");
    assert!(!movie_ids(&one).contains(&31), "{one}");
}

/// How many of the top `n` of `user`'s list are odd movies, and the answer.
async fn odd_share(app: &App, user: i32, n: usize) -> (usize, Value) {
    let (status, body) = app.get(&format!("/recommendations/{user}?n={n}")).await;
    assert_eq!(status, 200, "{body}");
    (
        movie_ids(&body).iter().filter(|m| *m % 2 == 1).count(),
        body,
    )
}

async fn a_change_of_taste_shows_in_the_next_answer(app: App) {
    // user 41 liked five odd movies and has both kinds left to see
    let liked: Vec<(i32, i64, f64)> = [1, 3, 5, 7, 9].map(|m| (41, m, 4.5)).to_vec();
    rate(&app, &liked, 1_600_000_000).await;
    published(&app).await;
    let (odd, body) = odd_share(&app, 41, 4).await;
    assert_eq!((odd, &body["source"]), (4, &json!("batch")), "{body}");
    // then rates 10 of the 15 even movies 5 stars
    let turned: Vec<(i32, i64, f64)> = (1..=10).map(|k| (41, 2 * k, 5.0)).collect();
    rate(&app, &turned, 1_700_000_000).await;
    let (odd, body) = odd_share(&app, 41, 4).await;
    assert_eq!(body["source"], "fold-in", "{body}");
    assert_eq!(odd, 0, "now even movies first: {body}");
}

async fn a_rating_on_one_instance_changes_the_next_answer_of_another(app: App) {
    published(&app).await;
    let other = app.another_instance().await;
    // the other instance has served user 3 already (model and catalogue loaded)
    let (_, before) = other.get("/recommendations/3?n=5").await;
    assert_eq!(before["source"], "batch", "{before}");
    let top = movie_ids(&before);
    rate(&app, &[(3, top[0], 4.0), (3, top[1], 2.0)], 1_700_000_000).await;
    let (_, after) = other.get("/recommendations/3?n=5").await;
    assert_eq!(after["source"], "fold-in", "{after}");
    let ids = movie_ids(&after);
    assert!(
        !ids.contains(&top[0]) && !ids.contains(&top[1]),
        "{ids:?} after rating {top:?}"
    );
    // and back: a rating taken by the other instance shows on the first
    let (_, mine) = app.get("/recommendations/4?n=5").await;
    let first = movie_ids(&mine)[0];
    rate(&other, &[(4, first, 5.0)], 1_700_000_000).await;
    assert!(!app.ids("/recommendations/4?n=5").await.contains(&first));
}

fn movie_ids(body: &Value) -> Vec<i64> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["movie_id"].as_i64().unwrap())
        .collect()
}

/// The test catalogue: every movie "Movie m"; odd ones are "Odd", multiples
/// of 3 also "Three".
fn catalogue_patches() -> Value {
    Value::Array(
        (1..=30)
            .map(|m| {
                let mut genres = vec![if m % 2 == 1 { "Odd" } else { "Even" }];
                if m % 3 == 0 {
                    genres.push("Three");
                }
                json!({"movie_id": m, "title": format!("Movie {m}"), "genres": genres})
            })
            .collect(),
    )
}

async fn catalogue_filters_pages_reasons_and_hiding_through_the_host(app: App) {
    let (status, body) = app.post("/movies", &catalogue_patches()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["added"], 30, "{body}");
    let (_, again) = app.post("/movies", &catalogue_patches()).await;
    assert_eq!(
        (again["added"].as_i64(), again["unchanged"].as_i64()),
        (Some(0), Some(30)),
        "{again}"
    );
    let (status, mixed) = app
        .post(
            "/movies",
            &json!([{"movie_id": 31}, {"movie_id": 32, "title": "Movie 32", "genres": ["Even"], "hidden": true}, {"title": "no id"}]),
        )
        .await;
    assert_eq!(status, 200, "{mixed}");
    assert_eq!(mixed["added"], 1, "{mixed}");
    let rejected: Vec<i64> = mixed["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["index"].as_i64().unwrap())
        .collect();
    assert_eq!(rejected, [0, 2], "{mixed}");
    assert!(
        mixed["rejected"][0]["error"]
            .as_str()
            .unwrap()
            .contains("needs a title"),
        "{mixed}"
    );
    let (status, body) = app.post("/movies", &json!({"movie_id": 1})).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["hint"].as_str().unwrap().contains("array"), "{body}");

    app.ingest(&training_events()).await;
    app.fire("RetrainModel", timer(true)).await;
    app.fire("RecommendAllUsers", timer(true)).await;

    // user 3 has 8 movies left unrated; the published list (10 long) holds them all
    let all = app.ids("/recommendations/3?n=8").await;
    assert_eq!(all.len(), 8);
    let mut paged = Vec::new();
    for offset in [0, 2, 4, 6] {
        let page = app
            .ids(&format!("/recommendations/3?n=2&offset={offset}"))
            .await;
        assert_eq!(page.len(), 2);
        assert!(
            page.iter().all(|m| !paged.contains(m)),
            "pages overlap: {paged:?} {page:?}"
        );
        paged.extend(page);
    }
    assert_eq!(paged, all, "pages 1..4 of 2 are the top 8");
    // a page past the published list comes from the model, and agrees with it
    let (_, tail) = app.get("/recommendations/3?n=3&offset=6").await;
    assert_eq!(tail["source"], "model", "{tail}");
    assert_eq!(movie_ids(&tail), all[6..].to_vec());

    // filters: genres (any case, several), exclusions
    let (_, three) = app.get("/recommendations/3?genre=three").await;
    for item in three["items"].as_array().unwrap() {
        assert!(
            item["genres"].as_array().unwrap().contains(&json!("Three")),
            "{three}"
        );
    }
    assert!(!three["items"].as_array().unwrap().is_empty(), "{three}");
    let either = app
        .ids("/recommendations/3?n=8&genre=Three&genre=odd")
        .await;
    assert!(
        either.iter().all(|m| m % 2 == 1 || m % 3 == 0),
        "{either:?}"
    );
    let without = app
        .ids(&format!(
            "/recommendations/3?n=7&exclude={},{}",
            all[0], all[1]
        ))
        .await;
    assert_eq!(
        without,
        all[2..].to_vec(),
        "excluded movies leave, the rest move up"
    );
    // the function key the host accepts in the query is no parameter of ours
    assert_eq!(app.ids("/recommendations/3?n=8&code=secret").await, all);

    for (path, needle) in [
        ("/recommendations/3?offset=-1", "offset="),
        ("/recommendations/3?offset=901", "offset="),
        ("/recommendations/3?exclude=7,x", "not a movie id"),
        (
            "/recommendations/3?genre=Western",
            "not a genre of the catalogue",
        ),
        ("/recommendations/3?genres=Odd", "unknown query parameter"),
        ("/recommendations/3?n=2&n=3", "given twice"),
        ("/movies/1/similar?n=0", "out of range"),
        ("/movies/x/similar", "not a 32-bit integer"),
    ] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains(needle),
            "{path}: {body}"
        );
        assert!(!body["hint"].as_str().unwrap().is_empty(), "{path}: {body}");
    }
    let (_, western) = app.get("/recommendations/3?genre=Western").await;
    assert!(
        western["hint"]
            .as_str()
            .unwrap()
            .contains("Even, Odd, Three"),
        "{western}"
    );

    // reasons: one of user 3's liked (odd, rated 4.5) movies, with its title
    let (_, list) = app.get("/recommendations/3?n=8").await;
    let liked: Vec<i64> = (1..=30)
        .filter(|m| (3 * 7 + m * 3) % 4 != 0 && m % 2 == 1)
        .collect();
    let reasons: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["because"])
        .collect();
    assert!(reasons.iter().any(|b| b.is_object()), "{list}");
    for because in reasons.iter().filter(|b| b.is_object()) {
        let m = because["movie_id"].as_i64().unwrap();
        assert!(liked.contains(&m), "{because} is not a liked movie");
        assert_eq!(because["title"], format!("Movie {m}"));
    }

    // more like this: odd movies are liked together
    let (status, similar) = app.get("/movies/1/similar?n=5").await;
    assert_eq!(status, 200, "{similar}");
    assert_eq!(similar["title"], "Movie 1");
    let like_one = movie_ids(&similar);
    assert_eq!(like_one.len(), 5);
    assert!(!like_one.contains(&1));
    assert_eq!(like_one[0] % 2, 1, "{similar}");
    let (status, missing) = app.get("/movies/999/similar").await;
    assert_eq!(status, 404, "{missing}");

    // hiding: gone at once from every answer, back when shown again
    let top = all[0];
    let popular_top = app.ids("/recommendations/5000?n=30").await[0];
    let hide = |movie: i64, hidden: bool| json!([{"movie_id": movie, "hidden": hidden}]);
    let (status, body) = app.post("/movies", &hide(top, true)).await;
    assert_eq!((status, body["changed"].as_i64()), (200, Some(1)), "{body}");
    app.post("/movies", &hide(popular_top, true)).await;
    app.ingest(&[event(5001, 1, 5.0, 1), event(5001, 3, 5.0, 2)])
        .await;
    let answers = [
        ("batch", app.get("/recommendations/3?n=5").await.1),
        ("model", app.get("/recommendations/3?n=8").await.1),
        ("fold-in", app.get("/recommendations/5001?n=20").await.1),
        ("popular", app.get("/recommendations/5000?n=30").await.1),
    ];
    for (source, answer) in &answers {
        assert_eq!(answer["source"], *source, "{answer}");
        let ids = movie_ids(answer);
        assert!(
            !ids.contains(&top) && !ids.contains(&popular_top),
            "{source}: {answer}"
        );
        assert!(
            !ids.contains(&32),
            "{source}: movie 32 was added hidden: {answer}"
        );
    }
    for movie in [1, 2, 3] {
        let ids = app.ids(&format!("/movies/{movie}/similar?n=30")).await;
        assert!(
            !ids.contains(&top) && !ids.contains(&popular_top),
            "similar to {movie}: {ids:?}"
        );
    }
    app.post("/movies", &hide(top, false)).await;
    app.post("/movies", &hide(popular_top, false)).await;
    assert_eq!(app.ids("/recommendations/3?n=8").await, all, "shown again");
}

/// The local server's counters: `/__shim/stats` plus `query`.
#[cfg(feature = "cosmos")]
async fn shim_stats(query: &str) -> Value {
    let endpoint = movierec_store::cosmos::local::test_endpoint().expect("endpoint");
    reqwest::get(format!(
        "{}/__shim/stats{query}",
        endpoint.trim_end_matches('/')
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap()
}

/// How many 429s the local server has injected so far.
#[cfg(feature = "cosmos")]
async fn shim_throttled() -> u64 {
    shim_stats("").await["throttled"].as_u64().unwrap()
}

/// Document requests the app's database received since `before`, by
/// container and kind (read, create, upsert, replace, delete, query).
#[cfg(feature = "cosmos")]
async fn requests_since(app: &App, before: &Value) -> Value {
    let now = shim_stats(&format!("?db={}", app.database.as_ref().unwrap())).await;
    let mut delta = serde_json::Map::new();
    for (container, kinds) in now.as_object().unwrap() {
        for (kind, n) in kinds.as_object().unwrap() {
            let was = before[container][kind].as_u64().unwrap_or(0);
            let d = n.as_u64().unwrap() - was;
            if d > 0 {
                delta.insert(format!("{container}.{kind}"), json!(d));
            }
        }
    }
    Value::Object(delta)
}

#[cfg(feature = "cosmos")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cosmos_costs_one_write_per_new_rating_one_mark_per_user_and_one_point_read_per_get() {
    let Some(app) = start_cosmos("costs", |c| {
        c.serving_version_ttl = std::time::Duration::from_secs(600)
    })
    .await
    else {
        return;
    };
    let db = format!("?db={}", app.database.clone().unwrap());
    let ingest = |events: Vec<Value>| {
        let app = &app;
        async move { app.ingest(&events).await }
    };
    let batch = |rating: f64, ts: i64| -> Vec<Value> {
        (1..=2)
            .flat_map(|u| (1..=10).map(move |m| event(9000 + u, m, rating, ts)))
            .collect()
    };

    let before = shim_stats(&db).await;
    ingest(batch(3.0, 100)).await;
    assert_eq!(
        requests_since(&app, &before).await,
        json!({"ratings.create": 20, "recommendations.patch": 2, "recommendations.create": 2}),
        "a new rating is one document write; a new user's mark creates their document"
    );
    let before = shim_stats(&db).await;
    ingest(batch(3.0, 100)).await;
    assert_eq!(
        requests_since(&app, &before).await,
        json!({"ratings.create": 20, "ratings.read": 20, "recommendations.patch": 2}),
        "a duplicate is a refused create and a point read, no rating written (marks are: one patch per user)"
    );
    let before = shim_stats(&db).await;
    ingest(batch(4.0, 200)).await;
    assert_eq!(
        requests_since(&app, &before).await,
        json!({"ratings.create": 20, "ratings.read": 20, "ratings.replace": 20, "recommendations.patch": 2}),
        "a newer event replaces the rating under its etag"
    );

    ingest(training_events()).await;
    let (_, body) = app.fire("RetrainModel", timer(true)).await;
    assert_eq!(body["ReturnValue"]["status"], "promoted", "{body}");
    let before = shim_stats(&db).await;
    let (_, body) = app.fire("RecommendAllUsers", timer(true)).await;
    assert_eq!(body["ReturnValue"]["outcome"], "done", "{body}");
    let spent = requests_since(&app, &before).await;
    assert_eq!(
        (
            &spent["recommendations.read"],
            &spent["recommendations.replace"]
        ),
        (&json!(42), &json!(42)),
        "each user's document (40 + 2) read once and replaced once with the list in it: {spent}"
    );
    let (status, body) = app.get("/recommendations/3?n=5").await; // warms the title cache
    assert_eq!((status, &body["source"]), (200, &json!("batch")), "{body}");
    let before = shim_stats(&db).await;
    for _ in 0..5 {
        let (status, body) = app.get("/recommendations/3?n=5").await;
        assert_eq!((status, &body["source"]), (200, &json!("batch")), "{body}");
    }
    assert_eq!(
        requests_since(&app, &before).await,
        json!({"recommendations.read": 5}),
        "a GET is one point read: the user's document holds the list and the rating mark"
    );
}

#[cfg(feature = "cosmos")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cosmos_throttling_is_retried_and_every_event_stored_exactly_once() {
    // The shim answers every third document write of this database with 429
    // and x-ms-retry-after-ms.
    let Some(app) = start_cosmos("throttle", |_| {}).await else {
        return;
    };
    let before = shim_throttled().await;
    let mut events: Vec<Value> = Vec::new();
    for u in 1..=20 {
        for m in 1..=10 {
            events.push(event(u, m, 3.0, 1_000 + (u * 10 + m) as i64));
        }
    }
    for u in 1..=5 {
        events.push(event(u, 1, 3.0, 1_000 + (u * 10 + 1) as i64)); // duplicate
        events.push(event(u, 2, 0.5, 10)); // late, older
        events.push(event(u, 3, 5.0, 9_000)); // newer: wins, the earlier one in the batch is unchanged
    }
    events.push(json!({"UserId": 1, "MovieId": 1, "Rating": 7, "Timestamp": 1})); // poison
    let batch = EventBatch::new("0", 0, bodies(&events));
    let (status, body) = pair(app.deliver(&batch).await);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["ReturnValue"],
        json!({"written": 200, "unchanged": 15, "dead_lettered": 1}),
        "{body}"
    );
    assert!(
        shim_throttled().await >= before + 50,
        "the shim must really have throttled"
    );
    let mut stored = app.store.all_ratings().await.unwrap();
    stored.sort_by_key(|r| (r.user, r.movie));
    assert_eq!(stored.len(), 200, "one rating per (user, movie)");
    for r in &stored {
        let expected = if r.user <= 5 && r.movie == 3 {
            (5.0, 9_000)
        } else {
            (3.0, 1_000 + (r.user * 10 + r.movie) as i64)
        };
        assert_eq!((r.rating, r.timestamp), expected, "{r:?}");
    }
    assert_eq!(app.store.dead_letter_count().await.unwrap(), 1);
    // redelivered under throttling: nothing changes
    let (status, body) = pair(app.deliver(&batch).await);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["ReturnValue"],
        json!({"written": 0, "unchanged": 215, "dead_lettered": 0})
    );
}

#[cfg(feature = "cosmos")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cosmos_throttling_beyond_the_retries_fails_the_invocation_with_a_clear_message() {
    // The shim answers every document write of an "overload" database with 429.
    let Some(app) = start_cosmos("overload", |c| c.throttle_retries = 2).await else {
        return;
    };
    let (status, body) = app
        .ingest(&[event(1, 1, 4.0, 1), event(1, 2, 4.0, 1)])
        .await;
    assert_eq!(status, 500, "the host must retry: {body}");
    assert_host_answer(&body);
    let log = body["Logs"][0].as_str().unwrap();
    assert!(log.contains("429"), "{log}");
    assert!(log.contains("throttled"), "{log}");
    assert!(log.contains("all 2 requests failed"), "{log}");
    assert!(app.store.all_ratings().await.unwrap().is_empty());
}

#[cfg(feature = "cosmos")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cosmos_service_failure_fails_the_invocation_with_a_clear_message() {
    // The shim answers every document write of an "unavailable" database with 503.
    let Some(app) = start_cosmos("unavailable", |_| {}).await else {
        return;
    };
    let (status, body) = app.ingest(&[event(1, 1, 4.0, 1), json!("poison")]).await;
    assert_eq!(status, 500, "the host must retry: {body}");
    let log = body["Logs"][0].as_str().unwrap();
    assert!(log.contains("503"), "{log}");
    assert!(log.contains("the host retries"), "{log}");
    assert!(app.store.all_ratings().await.unwrap().is_empty());
}

/// The dashboard's views and page against what was ingested and trained, on
/// an empty store first (the page must render before anything exists).
async fn dashboard_shows_what_the_store_holds(app: App) {
    let (status, html) = app.page("/").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("No ratings yet."), "{html}");
    assert!(html.contains("No model trained yet."), "{html}");
    assert!(
        html.contains("no recommendations have been published yet"),
        "{html}"
    );

    let events = training_events();
    let mut batch = events.clone();
    batch.push(json!("not an event"));
    app.ingest(&batch).await;
    app.fire("RetrainModel", timer(true)).await;
    app.fire("RecommendAllUsers", timer(true)).await;

    let (status, summary) = app.get("/dashboard/summary").await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["ratings"], events.len());
    assert_eq!(summary["users"], 40);
    assert_eq!(summary["dead_letters"], 1);
    assert_eq!(summary["serving_version"], 1);
    let samples = summary["sample_users"].as_array().unwrap();
    assert_eq!(samples.last().unwrap()["user"], 41, "{summary}");
    assert_eq!(samples.last().unwrap()["label"], "new user");

    let (_, ratings) = app.get("/dashboard/ratings?days=2").await;
    // training_events stamps 1_600_000_000 + ..: 2020-09-13 and 2020-09-14 (UTC)
    let days: Vec<(&str, u64)> = ratings["per_day"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["date"].as_str().unwrap(), d["ratings"].as_u64().unwrap()))
        .collect();
    assert_eq!(days.len(), 2, "{ratings}");
    assert_eq!(
        days[1].0, "2020-09-13",
        "the window ends at the newest rating's day"
    );
    assert_eq!(days[0].1 + days[1].1, events.len() as u64);
    let per_value = |rating: f64| {
        ratings["per_value"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["rating"].as_f64() == Some(rating))
            .unwrap()["ratings"]
            .as_u64()
            .unwrap()
    };
    let liked = events.iter().filter(|e| e["Rating"] == 4.5).count() as u64;
    assert_eq!(per_value(4.5), liked);
    assert_eq!(per_value(1.5), events.len() as u64 - liked);
    assert_eq!(per_value(3.0), 0);

    let (_, recommended) = app.get("/dashboard/recommended?n=5").await;
    assert_eq!(recommended["users"], 40);
    assert_eq!(recommended["model_version"], 1);
    let top = recommended["top_movies"].as_array().unwrap();
    assert_eq!(top.len(), 5, "{recommended}");
    let counts: Vec<u64> = top.iter().map(|m| m["users"].as_u64().unwrap()).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    assert!(counts[0] <= 40);

    let (_, models) = app.get("/dashboard/models").await;
    let versions = models["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 1, "{models}");
    assert_eq!(versions[0]["status"], "promoted");
    assert_eq!(versions[0]["serving"], true);
    assert!(versions[0]["rmse"].as_f64().unwrap() < 1.0);
    assert!(
        versions[0]["ndcg_at_k"].as_f64().unwrap()
            > versions[0]["popular_ndcg_at_k"].as_f64().unwrap(),
        "{models}"
    );

    let (status, user) = app.get("/dashboard/user?user=3&n=5&limit=4").await;
    assert_eq!(status, 200, "{user}");
    let rated = events.iter().filter(|e| e["UserId"] == 3).count();
    assert_eq!(user["rated"], rated);
    let history = user["history"].as_array().unwrap();
    assert_eq!(history.len(), 4);
    let (_, direct) = app.get("/recommendations/3?n=5").await;
    assert_eq!(
        user["recommendations"]["items"], direct["items"],
        "the dashboard shows exactly what the API answers"
    );
    assert_eq!(user["recommendations"]["source"], "batch");
    let (status, bad) = app.get("/dashboard/user?user=0").await;
    assert_eq!(status, 400, "{bad}");
    assert!(
        bad["hint"]
            .as_str()
            .unwrap()
            .contains("/recommendations/42"),
        "{bad}"
    );

    // new ratings show at once (the tests cache nothing)
    app.ingest(&[event(41, 1, 3.0, 1_700_000_000)]).await;
    let (_, summary) = app.get("/dashboard/summary").await;
    assert_eq!(summary["ratings"], events.len() + 1);
    assert_eq!(summary["users"], 41);

    let (status, html) = app.page("/dashboard?user=41&n=5").await;
    assert_eq!(status, 200);
    assert!(html.contains("Ratings by user 41"), "{html}");
    assert!(
        html.contains(r#"data-source="fold-in""#),
        "user 41 rated after the batch: {html}"
    );
    let (status, html) = app.page("/dashboard?user=abc").await;
    assert_eq!(status, 400);
    assert!(
        html.contains("user id &quot;abc&quot; is not a positive 32-bit integer"),
        "{html}"
    );
    assert!(
        html.contains("Model registry"),
        "the rest of the page is still shown"
    );
}

/// What a user of the API sees: the bundled ratings split 90/10 (seeded), the
/// training part ingested through IngestRatings as the host sends it, the
/// timers retrain and publish, and the lists `GET /recommendations/{user}`
/// serves are scored on the held-out part (liked = rated 4 or more; NDCG@10).
/// They must beat one most-popular list for everyone, computed here from the
/// same training part with each user's rated movies left out. SQLite only:
/// 90,000 ratings take minutes through the local Cosmos DB server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_lists_beat_the_most_popular_list_on_a_holdout() {
    use std::collections::{HashMap, HashSet};
    let app = start_sqlite().await;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/ml-latest-small/ratings.csv"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let rows: Vec<(i32, i32, f64, i64)> = text
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.trim().split(',').collect();
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                f[3].parse().unwrap(),
            )
        })
        .collect();
    // A fixed split, independent of the app's code: every 10th rating by a hash of (user, movie).
    let held = |u: i32, m: i32| {
        let h =
            ((u as u64 * 2_654_435_761) ^ (m as u64 * 40_503)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (h >> 32) % 10 == 0
    };
    let (test, train): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| held(r.0, r.1));
    for (i, chunk) in train.chunks(5_000).enumerate() {
        let events: Vec<Value> = chunk.iter().map(|r| event(r.0, r.1, r.2, r.3)).collect();
        let batch = EventBatch::new("0", (i * 5_000) as i64, bodies(&events));
        let (status, answer) = pair(app.deliver(&batch).await);
        assert_eq!(status, 200, "{answer}");
    }
    let (_, retrain) = app.fire("RetrainModel", timer(true)).await;
    assert_eq!(retrain["ReturnValue"]["status"], "promoted", "{retrain}");
    let (_, publish) = app.fire("RecommendAllUsers", timer(true)).await;
    assert_eq!(publish["ReturnValue"]["outcome"], "done", "{publish}");

    let mut rated: HashMap<i32, HashSet<i32>> = HashMap::new();
    let mut liked_count: HashMap<i32, usize> = HashMap::new();
    for r in &train {
        rated.entry(r.0).or_default().insert(r.1);
        if r.2 >= 4.0 {
            *liked_count.entry(r.1).or_default() += 1;
        }
    }
    let mut popular: Vec<(i32, usize)> = liked_count.into_iter().collect();
    popular.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut relevant: HashMap<i32, HashSet<i32>> = HashMap::new();
    for r in test
        .iter()
        .filter(|r| r.2 >= 4.0 && rated.contains_key(&r.0))
    {
        relevant.entry(r.0).or_default().insert(r.1);
    }
    let ndcg = |list: &[i32], rel: &HashSet<i32>| {
        let dcg: f64 = list
            .iter()
            .enumerate()
            .filter(|(_, m)| rel.contains(m))
            .map(|(p, _)| 1.0 / (p as f64 + 2.0).log2())
            .sum();
        let ideal: f64 = (0..rel.len().min(10))
            .map(|p| 1.0 / (p as f64 + 2.0).log2())
            .sum();
        dcg / ideal
    };
    let (mut served_sum, mut popular_sum) = (0.0, 0.0);
    for (user, rel) in &relevant {
        let (status, body) = app.get(&format!("/recommendations/{user}?n=10")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["source"], "batch", "{body}");
        let items = body["items"].as_array().unwrap();
        let served: Vec<i32> = items
            .iter()
            .map(|i| i["movie_id"].as_i64().unwrap() as i32)
            .collect();
        assert!(
            served.iter().all(|m| !rated[user].contains(m)),
            "user {user} was served a rated movie"
        );
        assert!(
            items
                .iter()
                .all(|i| i["predicted_rating"].as_f64().is_some()),
            "{body}"
        );
        served_sum += ndcg(&served, rel);
        let top: Vec<i32> = popular
            .iter()
            .map(|p| p.0)
            .filter(|m| !rated[user].contains(m))
            .take(10)
            .collect();
        popular_sum += ndcg(&top, rel);
    }
    let (served, popular) = (
        served_sum / relevant.len() as f64,
        popular_sum / relevant.len() as f64,
    );
    eprintln!(
        "{} users: served NDCG@10 {served:.4}, most popular {popular:.4}",
        relevant.len()
    );
    assert!(relevant.len() > 300, "{} users", relevant.len());
    assert!(
        served > popular * 1.1,
        "served NDCG@10 {served:.4} vs most popular {popular:.4}"
    );
}
