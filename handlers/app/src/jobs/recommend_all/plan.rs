//! How one version's lists are cut into shards, and the store's record of
//! which shards are written: markers (`MarkerStore`), one for the plan and
//! one per written shard, so any instance can tell how far a version got.
//!
//! The cut is fixed by the plan: shard `k` is the users at positions
//! `k * users_per_shard ..` of the ranking model's users sorted by id. The
//! model of a version never changes, so a shard names the same users however
//! often it is delivered, and writes the same lists.

use movierec_store::{Store, StoreError};
use serde::{Deserialize, Serialize};

/// The one queue message: a shard of a version to write. Its
/// `generated_at` is the plan's, so a redelivered shard writes identical lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardMessage {
    pub version: u64,
    pub shard: u32,
    pub shards: u32,
    pub users_per_shard: u32,
    pub generated_at: i64,
}

/// The version being published and how it is cut.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub version: u64,
    pub shards: u32,
    pub users_per_shard: u32,
    /// Users of the ranking model: all the shards' users together.
    pub users: u32,
    pub generated_at: i64,
    /// When the shards not yet written were last sent (Unix seconds).
    pub sent_at: i64,
}

const PLAN: &str = "recommend-all:plan";

/// The names of `version`'s shard markers start with this (and end with the
/// shard's number).
fn written_prefix(version: u64) -> String {
    format!("recommend-all:v{version}:shard:")
}

fn written_marker(version: u64, shard: u32) -> String {
    format!("{}{shard}", written_prefix(version))
}

/// Why the publication plan could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Store(#[from] movierec_store::StoreError),
    /// The plan marker holds something else than a plan. The coordinator
    /// replaces it with a new plan; until it runs, shards fail with this.
    #[error("the publication plan (marker {PLAN:?}) does not read ({0}); the next RecommendAllUsers run plans again")]
    Unreadable(String),
}

impl Plan {
    pub fn message(&self, shard: u32) -> ShardMessage {
        ShardMessage {
            version: self.version,
            shard,
            shards: self.shards,
            users_per_shard: self.users_per_shard,
            generated_at: self.generated_at,
        }
    }

    /// The plan in progress, if any; an error naming the marker if it does
    /// not read as a plan.
    pub async fn current(store: &dyn Store) -> Result<Option<Plan>, PlanError> {
        match store.marker(PLAN).await? {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| PlanError::Unreadable(e.to_string())),
        }
    }

    /// The plan in progress for the coordinator, which plans again over an
    /// unreadable one (logged, naming the marker).
    pub async fn current_or_replan(store: &dyn Store) -> Result<Option<Plan>, PlanError> {
        match Plan::current(store).await {
            Err(unreadable @ PlanError::Unreadable(_)) => {
                tracing::warn!(error = %unreadable, "planning the publication again");
                Ok(None)
            }
            other => other,
        }
    }

    pub async fn save(&self, store: &dyn Store) -> Result<(), StoreError> {
        let text = serde_json::to_string(self).expect("a plan is numbers");
        store.set_marker(PLAN, Some(&text)).await
    }

    /// For each shard, the users it wrote, or `None` while it is not written:
    /// one read of the version's shard markers, whatever their number.
    pub async fn written(&self, store: &dyn Store) -> Result<Vec<Option<u32>>, PlanError> {
        let prefix = written_prefix(self.version);
        let mut written = vec![None; self.shards as usize];
        for (name, value) in store.markers_with_prefix(&prefix).await? {
            let shard = name[prefix.len()..].parse::<usize>().ok();
            if let Some(slot) = shard.and_then(|k| written.get_mut(k)) {
                *slot = users_written(&name, &value);
            }
        }
        Ok(written)
    }

    /// Whether shard `shard` is written (one marker read).
    pub async fn is_written(&self, store: &dyn Store, shard: u32) -> Result<bool, PlanError> {
        let name = written_marker(self.version, shard);
        let value = store.marker(&name).await?;
        Ok(value.is_some_and(|v| users_written(&name, &v).is_some()))
    }

    /// Removes this plan's markers (after its version is published, or when
    /// a newer plan replaces it); the plan marker only if it is still this one.
    pub async fn clear(&self, store: &dyn Store) -> Result<(), PlanError> {
        for k in 0..self.shards {
            store
                .set_marker(&written_marker(self.version, k), None)
                .await?;
        }
        if Plan::current(store).await?.as_ref() == Some(self) {
            store.set_marker(PLAN, None).await?;
        }
        Ok(())
    }
}

/// A shard marker's user count. One that does not read counts as not
/// written (logged, naming it): the shard is sent again and rewrites it.
fn users_written(name: &str, value: &str) -> Option<u32> {
    let users = value.parse().ok();
    if users.is_none() {
        tracing::warn!(marker = name, value, "a shard marker does not read as a user count; the shard counts as not written and is sent again");
    }
    users
}

/// Records that shard `shard` of `version` wrote `users` lists.
pub async fn mark_written(
    store: &dyn Store,
    version: u64,
    shard: u32,
    users: u32,
) -> Result<(), StoreError> {
    store
        .set_marker(&written_marker(version, shard), Some(&users.to_string()))
        .await
}
