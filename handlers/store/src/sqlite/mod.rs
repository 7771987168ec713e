//! The embedded default backend: one SQLite database file in WAL mode.
//!
//! Two connection pools: readers (`query_only`, for scans and the
//! dashboard) and one writer (ingest, jobs, the lease). Point reads (a GET's
//! one statement) use a read-only connection of the calling worker thread's
//! own, so that a GET takes no pool lock. WAL lets readers read
//! while one writer writes, and the pools keep a flood of writes, each waiting
//! its turn for the database's one write lock, from taking the connections
//! GETs need. Write transactions start `IMMEDIATE` so two writers queue on the
//! busy timeout instead of failing. After a write, a write-ahead log grown past
//! [`SqliteOptions::wal_limit_bytes`] is checkpointed and truncated (steady
//! readers can otherwise keep SQLite's own checkpoints from ever resetting it).
//! Every call that scans or writes runs on tokio's blocking pool. Concurrent
//! ingest batches share one transaction (`ingest_group.rs`). One file per
//! role: `ratings.rs`, `catalog.rs`, `registry.rs`, `recommendations.rs`,
//! `markers.rs`.

mod catalog;
mod impressions;
mod ingest_group;
mod items;
mod markers;
mod ratings;
mod recommendations;
mod registry;
mod schema;

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;
use thread_local::ThreadLocal;

use crate::error::{BoxError, Explained};
use crate::StoreError;

const BACKEND: &str = "SQLite";
/// Name of the database file inside the store directory.
pub const DB_FILE: &str = "movierec.db";

/// How the SQLite store is run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteOptions {
    /// The write-ahead log is checkpointed and truncated past this size.
    pub wal_limit_bytes: u64,
    /// Reader connections (GETs and scans).
    pub readers: u32,
    /// Writer connections. One: SQLite has one write lock, so a second
    /// writer only waits on it, and it would keep the checkpoint that
    /// follows a write from finding the database free of writers.
    pub writers: u32,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            wal_limit_bytes: 64 << 20,
            readers: 8,
            writers: 1,
        }
    }
}

/// How long a call waits for a pooled connection before failing.
const POOL_WAIT: Duration = Duration::from_secs(30);
const PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
    PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;";

type Pool = r2d2::Pool<SqliteConnectionManager>;

/// A read-only connection to the database at `path`.
fn open_reader(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.execute_batch(PRAGMAS)?;
    conn.execute_batch("PRAGMA query_only = ON;")?;
    Ok(conn)
}

/// The SQLite store. Cheap to clone (pool handles).
#[derive(Clone)]
pub struct SqliteStore {
    readers: Pool,
    /// One reader connection per thread that makes point reads (the
    /// runtime's workers): no pool lock to take on every GET.
    inline_readers: Arc<ThreadLocal<RefCell<Connection>>>,
    writers: Pool,
    path: PathBuf,
    wal_limit_bytes: u64,
    ingest_queue: Arc<ingest_group::IngestQueue>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the store in directory `dir`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        Self::open_with(dir, SqliteOptions::default())
    }

    /// Opens the store with `options`. A file that is not a usable database
    /// fails here at once, with its path, instead of when a pool gives up.
    pub fn open_with(dir: &Path, options: SqliteOptions) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| backend("create the store directory", e))?;
        let path = dir.join(DB_FILE);
        let broken = |e: BoxError| {
            let text = format!(
                "{} is not a usable SQLite database ({e}); move it aside to start an empty store, or point MOVIEREC_STORE at another directory",
                path.display()
            );
            StoreError::backend(BACKEND, "open", Explained::new(text, e))
        };
        {
            let conn = Connection::open(&path).map_err(|e| broken(e.into()))?;
            conn.execute_batch(PRAGMAS).map_err(|e| broken(e.into()))?;
            schema::migrate(&conn).map_err(|e| broken(e.into()))?;
        }
        let pool = |size: u32, read_only: bool| {
            let manager = SqliteConnectionManager::file(&path).with_init(move |c| {
                c.execute_batch(PRAGMAS)?;
                if read_only {
                    c.execute_batch("PRAGMA query_only = ON;")?;
                }
                Ok(())
            });
            // No test on check-out: a connection to a local file does not go
            // stale, and the test (an empty statement) was parsed on every GET.
            r2d2::Pool::builder()
                .max_size(size)
                .test_on_check_out(false)
                .min_idle(Some(0))
                .connection_timeout(POOL_WAIT)
                .build(manager)
                .map_err(|e| broken(e.into()))
        };
        Ok(SqliteStore {
            readers: pool(options.readers.max(1), true)?,
            inline_readers: Arc::default(),
            writers: pool(options.writers.max(1), false)?,
            wal_limit_bytes: options.wal_limit_bytes,
            path,
            ingest_queue: Arc::default(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` with a reader connection right here, for point reads that take
    /// tens of microseconds: handing those to the blocking pool costs more than
    /// the read itself and doubles GET latency under load. Anything that scans
    /// goes through [`SqliteStore::run`], anything that writes through
    /// [`SqliteStore::write`].
    fn run_inline<T>(
        &self,
        operation: &'static str,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let conn = self
            .inline_readers
            .get_or_try(|| open_reader(&self.path).map(RefCell::new))
            .map_err(|e| backend_op(operation, e))?;
        f(&mut conn.borrow_mut()).map_err(|e| backend_op(operation, e))
    }

    /// Runs the read `f` with a reader connection on the blocking thread pool.
    async fn run<T, F>(&self, operation: &'static str, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        self.pooled_read(operation, false, f).await
    }

    /// [`Self::run`] for a scan (a whole table, a range of users, a model's
    /// files), after which the connection drops its page cache. A pooled
    /// reader keeps its last read's pages (up to 2 MiB) while idle, and scans
    /// rotate through the pool: each retrain's RSS stepped up until every
    /// reader held a full cache (heaptrack, README "Memory across
    /// retrains"). Point reads keep theirs: they touch a few pages, and some
    /// serve GETs (the popular list).
    async fn scan<T, F>(&self, operation: &'static str, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        self.pooled_read(operation, true, f).await
    }

    async fn pooled_read<T, F>(
        &self,
        operation: &'static str,
        release_cache: bool,
        f: F,
    ) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = store.readers.get().map_err(|e| backend_op(operation, e))?;
            let result = f(&mut conn).map_err(|e| backend_op(operation, e));
            if release_cache {
                let _ = conn.release_memory();
            }
            result
        })
        .await
        .map_err(|e| backend_op(operation, e))?
    }

    /// Runs the write `f` with a writer connection on the blocking thread
    /// pool, then keeps the write-ahead log under its limit.
    async fn write<T, F>(&self, operation: &'static str, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.write_here(operation, f))
            .await
            .map_err(|e| backend_op(operation, e))?
    }

    /// [`SqliteStore::write`] on the calling thread (a blocking one).
    fn write_here<T>(
        &self,
        operation: &'static str,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let mut conn = self.writers.get().map_err(|e| backend_op(operation, e))?;
        let result = f(&mut conn).map_err(|e| backend_op(operation, e))?;
        if std::fs::metadata(wal_path(&self.path)).is_ok_and(|m| m.len() > self.wal_limit_bytes) {
            // TRUNCATE waits (busy timeout) for readers of older snapshots,
            // then empties the log. A failure leaves a longer log, not a
            // failed write: the write above is committed.
            let checkpoint = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                r.get::<_, i64>(0)
            });
            match checkpoint {
                Ok(0) => tracing::debug!("checkpointed and truncated the write-ahead log"),
                Ok(_) => tracing::info!(
                    "write-ahead log checkpoint was busy; retried after the next write"
                ),
                Err(e) => tracing::warn!(error = %e, "write-ahead log checkpoint failed"),
            }
        }
        Ok(result)
    }
}

/// SQLite's write-ahead log beside the database file.
pub fn wal_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// A failure while opening: `step` says which, `e` why.
fn backend(step: &str, e: impl Into<BoxError>) -> StoreError {
    let e = e.into();
    StoreError::backend(BACKEND, "open", Explained::new(format!("{step}: {e}"), e))
}

fn backend_op(operation: &'static str, e: impl Into<BoxError>) -> StoreError {
    StoreError::backend(BACKEND, operation, e)
}

/// Turns a JSON decode failure inside a query into a rusqlite error.
pub(crate) fn json_err(e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

#[cfg(test)]
mod tests {
    use super::SqliteStore;

    async fn make() -> (SqliteStore, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        (SqliteStore::open(dir.path()).unwrap(), dir)
    }

    crate::conformance_tests!(make);

    fn rating(user: i32, movie: i32, rating: f32, timestamp: i64) -> crate::RatingRecord {
        crate::RatingRecord {
            user,
            movie,
            rating,
            timestamp,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_batches_are_all_stored_each_with_its_own_outcome() {
        use crate::RatingStore;
        let (store, _dir) = make().await;
        let calls: Vec<_> = (0..32)
            .map(|b| {
                let store = store.clone();
                tokio::spawn(async move {
                    let mut batch: Vec<_> =
                        (0..10).map(|i| rating(b * 100 + i, 1, 4.0, 10)).collect();
                    batch.push(rating(b * 100, 1, 2.0, 5)); // older: unchanged
                    store.ingest(&batch, &[]).await.unwrap()
                })
            })
            .collect();
        for call in calls {
            let outcome = call.await.unwrap();
            assert_eq!((outcome.written, outcome.unchanged), (10, 1), "{outcome:?}");
        }
        assert_eq!(store.rating_count().await.unwrap(), 320);
        assert_eq!(
            store.rating_marks(0, 10_000).await.unwrap().len(),
            320,
            "every user marked"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_that_fails_in_a_shared_transaction_fails_alone() {
        use super::ingest_group::IngestJob;
        use crate::RatingStore;
        let (store, _dir) = make().await;
        let job = |ratings| {
            let (reply, answer) = tokio::sync::oneshot::channel();
            let job = IngestJob {
                ratings,
                superseded: 0,
                dead_letters: vec![],
                reply,
            };
            (job, answer)
        };
        // NaN is stored as NULL, which the rating column refuses.
        let (bad, bad_answer) = job(vec![rating(1, 1, 4.0, 10), rating(1, 2, f32::NAN, 10)]);
        let (good, good_answer) = job(vec![rating(2, 1, 3.0, 10)]);
        assert!(store.ingest_queue.push(bad));
        assert!(!store.ingest_queue.push(good), "queued behind the first");
        let writer = store.clone();
        tokio::task::spawn_blocking(move || writer.write_ingest_queue())
            .await
            .unwrap();
        let refused = bad_answer.await.unwrap().unwrap_err().to_string();
        assert!(refused.contains("NOT NULL"), "{refused}");
        assert_eq!(good_answer.await.unwrap().unwrap().written, 1);
        let stored = store.all_ratings().await.unwrap();
        assert_eq!(
            stored,
            vec![rating(2, 1, 3.0, 10)],
            "all of a batch or none of it"
        );
    }

    #[tokio::test]
    async fn reopening_keeps_the_data() {
        use crate::{RatingRecord, RatingStore};
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        store
            .ingest(
                &[RatingRecord {
                    user: 1,
                    movie: 2,
                    rating: 4.0,
                    timestamp: 10,
                }],
                &[],
            )
            .await
            .unwrap();
        drop(store);
        let again = SqliteStore::open(dir.path()).unwrap();
        assert_eq!(again.rating_count().await.unwrap(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_write_ahead_log_stays_under_its_limit_while_readers_read() {
        use crate::{RatingRecord, RatingStore};
        let dir = tempfile::tempdir().unwrap();
        let limit = 1 << 20;
        let store = SqliteStore::open_with(
            dir.path(),
            super::SqliteOptions {
                wal_limit_bytes: limit,
                ..Default::default()
            },
        )
        .unwrap();
        // Readers that never stop, as GETs under load.
        let reading = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (store, reading) = (store.clone(), reading.clone());
                tokio::spawn(async move {
                    while reading.load(std::sync::atomic::Ordering::Relaxed) {
                        store.user_ratings(1).await.unwrap();
                    }
                })
            })
            .collect();
        let mut largest = 0;
        for batch in 0..200 {
            let ratings: Vec<RatingRecord> = (0..500)
                .map(|i| RatingRecord {
                    user: batch * 500 + i + 1,
                    movie: 1,
                    rating: 4.0,
                    timestamp: 1,
                })
                .collect();
            store.ingest(&ratings, &[]).await.unwrap();
            let wal = std::fs::metadata(super::wal_path(store.path())).map_or(0, |m| m.len());
            largest = largest.max(wal);
        }
        reading.store(false, std::sync::atomic::Ordering::Relaxed);
        for r in readers {
            r.await.unwrap();
        }
        assert_eq!(store.rating_count().await.unwrap(), 100_000);
        // One write past the limit is what triggers the checkpoint.
        assert!(
            largest < 3 * limit,
            "the WAL reached {largest} bytes with a limit of {limit}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_are_served_while_every_writer_waits_for_the_lock() {
        use crate::{RatingRecord, RatingStore};
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let rating = RatingRecord {
            user: 1,
            movie: 2,
            rating: 4.0,
            timestamp: 10,
        };
        store.ingest(&[rating], &[]).await.unwrap();
        // Another process holds the write lock: every writer connection queues on it.
        let blocker = rusqlite::Connection::open(store.path()).unwrap();
        blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
        let writers: Vec<_> = (0..8)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    let r = RatingRecord {
                        user: 100 + i,
                        ..rating
                    };
                    store.ingest(&[r], &[]).await
                })
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        // Reads still have connections of their own (the writers wait up to the 10 s busy timeout).
        let read = tokio::time::timeout(std::time::Duration::from_secs(3), async {
            for _ in 0..20 {
                assert_eq!(store.user_ratings(1).await.unwrap(), vec![rating]);
            }
        })
        .await;
        blocker.execute_batch("COMMIT").unwrap();
        assert!(read.is_ok(), "reads waited behind the blocked writers");
        for w in writers {
            w.await.unwrap().unwrap();
        }
        assert_eq!(store.rating_count().await.unwrap(), 9);
    }

    #[tokio::test]
    async fn a_model_record_whose_figures_do_not_read_is_an_error_naming_its_version() {
        use crate::{ModelMetrics, ModelRecord, ModelRegistry, ModelStatus};
        let (store, dir) = make().await;
        let record = ModelRecord {
            version: 3,
            created_at: 1,
            status: ModelStatus::Promoted,
            decision: "first".into(),
            params: serde_json::json!({}),
            metrics: ModelMetrics::default(),
        };
        store.record_model(&record, &[]).await.unwrap();
        assert_eq!(store.promoted_model().await.unwrap(), Some(record));
        // a figure of the wrong type, as a hand edit would leave it
        let conn = rusqlite::Connection::open(dir.path().join(super::DB_FILE)).unwrap();
        conn.execute(
            "UPDATE models SET metrics = json_set(metrics, '$.ndcg_at_k', '0.3')",
            [],
        )
        .unwrap();
        for err in [
            store.promoted_model().await.unwrap_err(),
            store.models().await.unwrap_err(),
        ] {
            let err = err.to_string();
            assert!(
                err.contains("model version 3") && err.contains("invalid type"),
                "{err}"
            );
        }
    }

    #[test]
    fn a_file_that_is_not_a_database_fails_at_once_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(super::DB_FILE), vec![b'x'; 8192]).unwrap();
        let started = std::time::Instant::now();
        let err = SqliteStore::open(dir.path()).unwrap_err().to_string();
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        assert!(
            err.contains("movierec.db") && err.contains("not a usable SQLite database"),
            "{err}"
        );
        assert!(err.contains("move it aside"), "{err}");
    }
}
