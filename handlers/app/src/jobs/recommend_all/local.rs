//! The local worker pool: shard messages worked in this process, at most
//! `workers` at once, each tried up to [`ATTEMPTS`] times
//! ([`crate::jobs::retry`]) through the same [`super::shard::run`].

use futures::StreamExt;

use super::shard::{self, ShardOutcome};
use super::ShardMessage;
use crate::jobs::retry::{with_attempts, ATTEMPTS};
use crate::state::AppState;

/// Works `messages`; the outcome of each, or the error of its last try.
pub async fn work(
    state: &AppState,
    messages: Vec<ShardMessage>,
    workers: usize,
) -> anyhow::Result<Vec<ShardOutcome>> {
    let outcomes: Vec<anyhow::Result<ShardOutcome>> = futures::stream::iter(messages)
        .map(|message| async move { with_retries(state, &message).await })
        .buffer_unordered(workers.max(1))
        .collect()
        .await;
    outcomes.into_iter().collect()
}

/// One message, tried until it succeeds or [`ATTEMPTS`] tries failed.
pub async fn with_retries(
    state: &AppState,
    message: &ShardMessage,
) -> anyhow::Result<ShardOutcome> {
    let outcome = with_attempts(
        |_| shard::run(state, message),
        |attempt, e: &anyhow::Error| {
            tracing::warn!(
                version = message.version,
                shard = message.shard,
                attempt,
                error = %format!("{e:#}"),
                "shard failed; trying again"
            )
        },
    )
    .await
    .map_err(|e| {
        e.context(format!(
            "shard {} of version {} failed {ATTEMPTS} times",
            message.shard, message.version
        ))
    })?;
    tracing::info!("{outcome}");
    Ok(outcome)
}
