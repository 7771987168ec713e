//! The storage traits: small, one per role. Every backend implements all of
//! them; [`Store`] is their sum and is what the app holds.
//!
//! Contract shared by every method: an `Err` means nothing the call was asked
//! to do may be assumed done, and calling again with the same input is safe
//! (the ingest path relies on this for at-least-once delivery).

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;

use crate::types::*;
use crate::StoreError;

pub type Result<T> = std::result::Result<T, StoreError>;

/// Ratings per page of [`RatingStore::each_rating_page`].
pub const RATING_PAGE: usize = 10_000;

#[async_trait]
pub trait RatingStore: Send + Sync {
    /// Stores one ingest batch: each rating is upserted keyed by (user, movie),
    /// replacing the stored one only when its timestamp is newer; each dead letter
    /// is recorded once by id. Safe to repeat.
    async fn ingest(
        &self,
        ratings: &[RatingRecord],
        dead_letters: &[DeadLetter],
    ) -> Result<IngestOutcome>;
    /// One user's ratings, any order.
    async fn user_ratings(&self, user: i32) -> Result<Vec<RatingRecord>>;
    /// Every rating, for training.
    async fn all_ratings(&self) -> Result<Vec<RatingRecord>>;
    /// Every rating, handed to `page` in pages of at most [`RATING_PAGE`]
    /// (any order): a full read that never holds more than a page, for export.
    async fn each_rating_page(
        &self,
        page: &mut (dyn FnMut(Vec<RatingRecord>) + Send),
    ) -> Result<()>;
    /// The ratings of the users whose ids are in `first..=last`, any order:
    /// what one shard of recommend-for-all leaves out of its users' lists.
    async fn ratings_of_users(&self, first: i32, last: i32) -> Result<Vec<RatingRecord>>;
    /// The rating mark of each user of `first..=last` who has one. Every
    /// ingest that stores a rating of a user gives them a new mark, after
    /// the rating is stored. A list made from ratings read *after* the marks
    /// carries its user's mark ([`UserRecommendations::rating_mark`]); while
    /// the user's mark is unchanged, no rating of theirs is missing from it.
    async fn rating_marks(&self, first: i32, last: i32) -> Result<HashMap<i32, i64>>;
    async fn rating_count(&self) -> Result<u64>;
    /// Counts of the stored ratings by value, day and user (one full scan: on
    /// Cosmos DB about 1 RU per 100 ratings, so callers cache it).
    async fn rating_summary(&self) -> Result<RatingSummary>;
}

#[async_trait]
pub trait DeadLetterStore: Send + Sync {
    /// The newest dead letters first, at most `limit`.
    async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>>;
    async fn dead_letter_count(&self) -> Result<u64>;
    /// Deletes the dead letters received before `received_before` (Unix
    /// seconds); returns how many went.
    async fn prune_dead_letters(&self, received_before: i64) -> Result<u64>;
}

#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// Adds or replaces movies by id, then changes the catalogue's revision.
    async fn upsert_movies(&self, movies: &[Movie]) -> Result<()>;
    /// The movies among `ids` that are known.
    async fn movies(&self, ids: &[i32]) -> Result<HashMap<i32, Movie>>;
    /// Every movie, hidden ones included.
    async fn all_movies(&self) -> Result<Vec<Movie>>;
    async fn movie_count(&self) -> Result<u64>;
    /// A token that changes whenever `upsert_movies` stores anything (one
    /// point read): readers keep a copy of the catalogue until it changes.
    /// `None` before the first upsert.
    async fn catalogue_revision(&self) -> Result<Option<String>>;
}

#[async_trait]
pub trait ModelRegistry: Send + Sync {
    /// One more than the highest version recorded (1 for an empty registry).
    async fn next_model_version(&self) -> Result<u64>;
    /// Records a version with its files (none for a rejected one). Recording the
    /// same version again replaces it.
    async fn record_model(&self, record: &ModelRecord, files: &[ModelFile]) -> Result<()>;
    /// Every version, newest first.
    async fn models(&self) -> Result<Vec<ModelRecord>>;
    /// The newest promoted version.
    async fn promoted_model(&self) -> Result<Option<ModelRecord>>;
    async fn model_files(&self, version: u64) -> Result<Vec<ModelFile>>;
    /// Deletes a version's files, keeping its record (its metrics stay in the
    /// history). True if it had files. Safe to repeat.
    async fn delete_model_files(&self, version: u64) -> Result<bool>;
    /// Takes the lease that keeps retraining and recommend-for-all from running
    /// at once (also across instances). True if `holder` now holds it; a lease
    /// whose time has run out can be taken over.
    async fn try_acquire_job_lease(&self, holder: &str, ttl: Duration) -> Result<bool>;
    async fn release_job_lease(&self, holder: &str) -> Result<()>;
}

#[async_trait]
pub trait RecommendationStore: Send + Sync {
    /// Writes lists under `version`; readers do not see them until
    /// [`RecommendationStore::publish_recommendations`].
    async fn write_recommendations(
        &self,
        version: u64,
        lists: &[UserRecommendations],
    ) -> Result<()>;
    /// The fallback list for users with no ratings, under `version`.
    async fn write_popular(&self, version: u64, items: &[RecommendedItem]) -> Result<()>;
    /// Switches readers to `version` at once and drops older versions' lists.
    async fn publish_recommendations(&self, version: u64) -> Result<()>;
    /// The version readers see, if any was published.
    async fn serving_version(&self) -> Result<Option<u64>>;
    /// A user's list under the serving version.
    async fn recommendations(&self, user: i32) -> Result<Option<UserRecommendations>>;
    /// A user's list under the serving version with their current rating
    /// mark and the catalogue's revision: what a GET reads (one statement on
    /// SQLite; one point read of the user's document on Cosmos DB, whose
    /// revision is the cached one of [`CatalogStore::catalogue_revision`]).
    async fn user_view(&self, user: i32) -> Result<UserView>;
    /// The popular list under the serving version, with that version.
    async fn popular(&self) -> Result<Option<(u64, Vec<RecommendedItem>)>>;
    /// Every user's list under the serving version, any order (empty when
    /// nothing is published). A full read: callers keep it per version.
    async fn published_recommendations(&self) -> Result<Vec<UserRecommendations>>;
}

/// Small named values that record progress across restarts (such as how far
/// the bootstrap import got).
#[async_trait]
pub trait MarkerStore: Send + Sync {
    async fn marker(&self, name: &str) -> Result<Option<String>>;
    /// Sets (`Some`) or removes (`None`) a marker.
    async fn set_marker(&self, name: &str, value: Option<&str>) -> Result<()>;
    /// Every marker whose name starts with `prefix`, as (name, value), in one
    /// read: a version's shard markers are read this way, so that finishing a
    /// shard costs one call however many shards there are.
    async fn markers_with_prefix(&self, prefix: &str) -> Result<Vec<(String, String)>>;
}

/// The lists answers served (impressions), kept for the online figures and
/// pruned by age.
#[async_trait]
pub trait ImpressionStore: Send + Sync {
    /// Records served lists; one recorded before (same user and time) is
    /// kept once. Safe to repeat.
    async fn record_served(&self, lists: &[ServedList]) -> Result<()>;
    /// The lists served at or after `since_ms`, oldest first.
    async fn served_since(&self, since_ms: i64) -> Result<Vec<ServedList>>;
    /// Deletes the lists served before `before_ms`; returns how many.
    async fn prune_served(&self, before_ms: i64) -> Result<u64>;
}

/// Everything movierec stores.
pub trait Store:
    RatingStore
    + DeadLetterStore
    + CatalogStore
    + ModelRegistry
    + RecommendationStore
    + MarkerStore
    + ImpressionStore
{
}

impl<T> Store for T where
    T: RatingStore
        + DeadLetterStore
        + CatalogStore
        + ModelRegistry
        + RecommendationStore
        + MarkerStore
        + ImpressionStore
{
}
