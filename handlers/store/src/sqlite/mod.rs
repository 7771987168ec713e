//! The embedded default backend: one SQLite database file in WAL mode.
//!
//! A small r2d2 pool of connections serves concurrent readers (WAL lets them
//! read while one writer writes); write transactions start `IMMEDIATE` so two
//! writers queue on the busy timeout instead of failing. Every call runs on
//! tokio's blocking pool, never on the async workers. One file per role:
//! `ratings.rs`, `catalog.rs`, `registry.rs`, `recommendations.rs`.

mod catalog;
mod ratings;
mod recommendations;
mod registry;
mod schema;

use std::path::{Path, PathBuf};

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;

use crate::StoreError;

const BACKEND: &str = "SQLite";
/// Name of the database file inside the store directory.
pub const DB_FILE: &str = "movierec.db";

/// The SQLite store. Cheap to clone (a pool handle).
#[derive(Clone)]
pub struct SqliteStore {
    pool: r2d2::Pool<SqliteConnectionManager>,
    path: PathBuf,
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
        std::fs::create_dir_all(dir).map_err(|e| backend("create the store directory", e))?;
        let path = dir.join(DB_FILE);
        let manager = SqliteConnectionManager::file(&path).with_init(|c| {
            c.execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
                 PRAGMA busy_timeout = 10000;",
            )
        });
        let pool = r2d2::Pool::builder()
            .max_size(8)
            .build(manager)
            .map_err(|e| backend(&format!("open {}", path.display()), e))?;
        let store = SqliteStore { pool, path };
        let conn = store
            .pool
            .get()
            .map_err(|e| backend("open a connection", e))?;
        schema::migrate(&conn).map_err(|e| backend("create the schema", e))?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` with a pooled connection right here, for point reads that take
    /// tens of microseconds: handing those to the blocking pool costs more than
    /// the read itself and doubles GET latency under load. Anything that scans
    /// or writes goes through [`SqliteStore::run`] instead.
    fn run_inline<T>(
        &self,
        operation: &'static str,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let mut conn = self.pool.get().map_err(|e| backend_op(operation, e))?;
        f(&mut conn).map_err(|e| backend_op(operation, e))
    }

    /// Runs `f` with a pooled connection on the blocking thread pool.
    async fn run<T, F>(&self, operation: &'static str, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(|e| backend_op(operation, e))?;
            f(&mut conn).map_err(|e| backend_op(operation, e))
        })
        .await
        .map_err(|e| backend_op(operation, e))?
    }
}

fn backend(operation: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend {
        backend: BACKEND,
        operation: "open",
        message: format!("{operation}: {e}"),
    }
}

fn backend_op(operation: &'static str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend {
        backend: BACKEND,
        operation,
        message: e.to_string(),
    }
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
}
