//! How one version's lists are cut into shards, and the store's record of
//! which shards are written: markers (`MarkerStore`), one for the plan and
//! one per written shard, so any instance can tell how far a version got.
//!
//! The cut is fixed by the plan: shard `k` is the users at positions
//! `k * users_per_shard ..` of the ranking model's users sorted by id. The
//! model of a version never changes, so a shard names the same users however
//! often it is delivered, and writes the same lists.

use movierec_store::Store;
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

/// A plan or shard marker that does not read: the publication cannot go on
/// until it is fixed or removed.
#[derive(Debug, thiserror::Error)]
#[error("the recommend-for-all marker {name:?} does not read ({why}): remove it and run RecommendAllUsers again")]
pub struct UnreadableMarker {
    pub name: String,
    pub why: String,
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
    pub async fn current(store: &dyn Store) -> anyhow::Result<Option<Plan>> {
        match store.marker(PLAN).await? {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
                UnreadableMarker {
                    name: PLAN.into(),
                    why: e.to_string(),
                }
                .into()
            }),
        }
    }

    pub async fn save(&self, store: &dyn Store) -> anyhow::Result<()> {
        store
            .set_marker(PLAN, Some(&serde_json::to_string(self)?))
            .await?;
        Ok(())
    }

    /// For each shard, the users it wrote, or `None` while it is not written:
    /// one read of the version's shard markers, whatever their number.
    pub async fn written(&self, store: &dyn Store) -> anyhow::Result<Vec<Option<u32>>> {
        let prefix = written_prefix(self.version);
        let mut written = vec![None; self.shards as usize];
        for (name, value) in store.markers_with_prefix(&prefix).await? {
            let unreadable = |why: String| UnreadableMarker {
                name: name.clone(),
                why,
            };
            let shard: usize = name[prefix.len()..]
                .parse()
                .map_err(|e| unreadable(format!("shard number: {e}")))?;
            let users: u32 = value
                .parse()
                .map_err(|e| unreadable(format!("user count {value:?}: {e}")))?;
            if let Some(slot) = written.get_mut(shard) {
                *slot = Some(users);
            }
        }
        Ok(written)
    }

    /// Whether shard `shard` is written (one marker read).
    pub async fn is_written(&self, store: &dyn Store, shard: u32) -> anyhow::Result<bool> {
        Ok(store
            .marker(&written_marker(self.version, shard))
            .await?
            .is_some())
    }

    /// Removes this plan's markers (after its version is published, or when
    /// a newer plan replaces it); the plan marker only if it is still this one.
    pub async fn clear(&self, store: &dyn Store) -> anyhow::Result<()> {
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

/// Records that shard `shard` of `version` wrote `users` lists.
pub async fn mark_written(
    store: &dyn Store,
    version: u64,
    shard: u32,
    users: u32,
) -> anyhow::Result<()> {
    store
        .set_marker(&written_marker(version, shard), Some(&users.to_string()))
        .await?;
    Ok(())
}
