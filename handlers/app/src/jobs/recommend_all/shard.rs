//! RecommendShard's job: write one shard's lists under its version, record
//! the shard as written, and publish the version when it was the last one.
//!
//! Safe to run twice, anywhere: a shard already written, of a version no
//! longer being published, or of a published version does nothing; two
//! copies running at once write the same lists (the cut and `generated_at`
//! come from the plan). Publishing is one store call that switches readers
//! at once, made only when every shard's marker is there.

use serde::Serialize;

use super::lists::user_lists;
use super::plan::{mark_written, Plan, ShardMessage};
use super::PublishError;
use crate::state::AppState;

/// Users' lists written to the store per call.
const WRITE_BATCH: usize = 2_000;

/// What one shard delivery did.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ShardOutcome {
    Written {
        version: u64,
        shard: u32,
        users: u32,
        seconds: f64,
        /// This shard was the last: the version is now published.
        published: bool,
    },
    /// Nothing to do; why.
    Ignored {
        version: u64,
        shard: u32,
        reason: String,
    },
}

impl std::fmt::Display for ShardOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShardOutcome::Written {
                version,
                shard,
                users,
                seconds,
                published,
            } => {
                write!(
                    f,
                    "wrote shard {shard} of version {version}: {users} users in {seconds:.2} s"
                )?;
                if *published {
                    write!(f, "; every shard is written: version {version} published")?;
                }
                Ok(())
            }
            ShardOutcome::Ignored {
                version,
                shard,
                reason,
            } => write!(f, "shard {shard} of version {version} ignored: {reason}"),
        }
    }
}

pub async fn run(state: &AppState, message: &ShardMessage) -> Result<ShardOutcome, PublishError> {
    let started = std::time::Instant::now();
    let (version, shard) = (message.version, message.shard);
    let ignored = |reason: String| {
        Ok(ShardOutcome::Ignored {
            version,
            shard,
            reason,
        })
    };
    let store = state.store.as_ref();
    if store.serving_version().await? == Some(version) {
        return ignored(format!("version {version} is already published"));
    }
    let Some(plan) = Plan::current(store).await?.filter(|p| p.version == version) else {
        return ignored(format!("version {version} is not being published (a newer plan replaced it, or it was published)"));
    };
    if plan.message(shard) != *message {
        return ignored(format!(
            "the message does not match the plan of version {version}: {plan:?}"
        ));
    }
    if plan.is_written(store, shard).await? {
        return finish(state, &plan, started, shard, 0).await;
    }

    let model = state.serving.model_version(version).await?;
    let mut ids: Vec<i32> = model.models.ranking.users.ids().to_vec();
    ids.sort_unstable();
    let start = (shard as usize * plan.users_per_shard as usize).min(ids.len());
    let end = (start + plan.users_per_shard as usize).min(ids.len());
    let users = ids[start..end].to_vec();
    let (Some(&first), Some(&last)) = (users.first(), users.last()) else {
        // A plan never cuts an empty shard; were it to, it counts as written.
        mark_written(store, version, shard, 0).await?;
        return finish(state, &plan, started, shard, 0).await;
    };
    // The marks first: a rating stored after this read gives its user a new
    // mark, so their list reads as made before it and serving folds them in.
    let marks = store.rating_marks(first, last).await?;
    let rated = store.ratings_of_users(first, last).await?;
    let (top_n, generated_at) = (state.settings.top_n, plan.generated_at);
    let for_lists = model.clone();
    let mut lists = tokio::task::spawn_blocking(move || {
        user_lists(
            &for_lists.models,
            &users,
            &rated,
            top_n,
            version,
            generated_at,
        )
    })
    .await
    .map_err(|source| PublishError::ListsPanicked {
        version,
        shard,
        source,
    })?;
    for list in &mut lists {
        list.rating_mark = marks.get(&list.user).copied();
    }
    for chunk in lists.chunks(WRITE_BATCH) {
        store.write_recommendations(version, chunk).await?;
    }
    mark_written(store, version, shard, lists.len() as u32).await?;
    finish(state, &plan, started, shard, lists.len() as u32).await
}

/// Publishes the version if every shard is written (whoever sees that
/// first; publishing twice is harmless), then reports.
async fn finish(
    state: &AppState,
    plan: &Plan,
    started: std::time::Instant,
    shard: u32,
    users: u32,
) -> Result<ShardOutcome, PublishError> {
    let published = publish_if_complete(state, plan).await?;
    if users == 0 && !published {
        return Ok(ShardOutcome::Ignored {
            version: plan.version,
            shard,
            reason: "already written (a repeated delivery)".into(),
        });
    }
    Ok(ShardOutcome::Written {
        version: plan.version,
        shard,
        users,
        seconds: started.elapsed().as_secs_f64(),
        published,
    })
}

/// True if this call found every shard written and published the version.
/// The version's models are then held for serving (they are already, when
/// this instance wrote shards of it), so its first GET does not load them.
pub(super) async fn publish_if_complete(
    state: &AppState,
    plan: &Plan,
) -> Result<bool, PublishError> {
    let store = state.store.as_ref();
    let written = plan.written(store).await?;
    if written.iter().any(Option::is_none) {
        return Ok(false);
    }
    store.publish_recommendations(plan.version).await?;
    state.serving.model_version(plan.version).await?;
    let users: u64 = written.iter().flatten().map(|&u| u as u64).sum();
    tracing::info!(
        version = plan.version,
        shards = plan.shards,
        users,
        "published recommendations"
    );
    plan.clear(store).await?;
    Ok(true)
}
