//! The local worker pool: shard messages worked in this process, at most
//! `workers` at once, each tried up to [`ATTEMPTS`] times (the Storage
//! queue's default `maxDequeueCount`, so a shard gets as many chances here as
//! under the host) through the same [`super::shard::run`].

use futures::StreamExt;

use super::shard::{self, ShardOutcome};
use super::ShardMessage;
use crate::state::AppState;

/// Tries per shard.
pub const ATTEMPTS: u32 = 5;

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
    let mut attempt = 1;
    loop {
        match shard::run(state, message).await {
            Ok(outcome) => {
                tracing::info!("{outcome}");
                return Ok(outcome);
            }
            Err(e) if attempt < ATTEMPTS => {
                tracing::warn!(
                    version = message.version,
                    shard = message.shard,
                    attempt,
                    error = %format!("{e:#}"),
                    "shard failed; trying again"
                );
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(200 * attempt as u64)).await;
            }
            Err(e) => {
                return Err(e.context(format!(
                    "shard {} of version {} failed {ATTEMPTS} times",
                    message.shard, message.version
                )))
            }
        }
    }
}
