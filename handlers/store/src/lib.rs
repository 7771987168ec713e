//! # movierec-store: where movierec keeps its state
//!
//! Owns persistence: the ratings (one per user and movie, newest timestamp
//! wins), dead-lettered events, the movie catalogue, the model registry with
//! model files, and the published recommendation lists. It knows nothing of
//! ALS, HTTP or Azure Functions; callers hand it plain records.
//!
//! ## Layout
//! - [`types`]: the records stored.
//! - [`model_metrics`]: a model version's figures, the one record with a
//!   shape of its own, read back typed by every backend.
//! - `error`: [`StoreError`], every backend's one error type; the library error
//!   that caused it stays attached as its `source`.
//! - [`traits`]: one small trait per role ([`RatingStore`], [`DeadLetterStore`],
//!   [`CatalogStore`], [`ModelRegistry`], [`RecommendationStore`],
//!   [`ImpressionStore`]) and [`Store`],
//!   which is all of them: what the app holds as `Arc<dyn Store>`.
//! - [`sqlite`]: the embedded default backend (SQLite in WAL mode).
//! - [`cosmos`] (feature `cosmos`): Cosmos DB for NoSQL, the Azure backend.
//! - `conformance` (compiled for this crate's tests only): the behaviour every
//!   backend must show, written once and run against each backend by the
//!   `conformance_tests!` macro.

mod batch;
#[cfg(test)]
mod conformance;
#[cfg(feature = "cosmos")]
pub mod cosmos;
mod error;
pub mod model_metrics;
pub mod sqlite;
pub mod traits;
pub mod types;

#[cfg(feature = "cosmos")]
pub use cosmos::{CosmosAuth, CosmosConfig, CosmosStore};
pub use error::StoreError;
pub use model_metrics::*;
pub use sqlite::{SqliteOptions, SqliteStore};
pub use traits::{
    CatalogStore, DeadLetterStore, ImpressionStore, MarkerStore, ModelRegistry, RatingStore,
    RecommendationStore, Store, RATING_PAGE,
};
pub use types::*;

/// A new rating mark (see [`RatingStore::rating_marks`]): the time in
/// nanoseconds, raised past the last mark this process gave, so two ingests
/// never give one user the same mark. Only inequality matters: marks are never
/// ordered.
pub(crate) fn new_rating_mark() -> i64 {
    use std::sync::atomic::{AtomicI64, Ordering};
    static LAST: AtomicI64 = AtomicI64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0);
    let previous = LAST
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
            Some(now.max(last + 1))
        })
        .expect("the update always succeeds");
    now.max(previous + 1)
}

/// Now, in Unix seconds.
pub(crate) fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
