//! The two scheduled jobs, independent of how they are triggered (a Functions
//! host timer, the standalone scheduler, or the bootstrap of `serve`).
//!
//! Both hold the store's job lease while they run, so a retrain and a
//! recommend-for-all never overlap, on one instance or across several (the
//! original demo scheduled both at the same minute). CPU-heavy work runs on
//! the blocking pool, never on the async workers.

pub mod evaluation;
pub mod model_io;
pub mod recommend_all;
pub mod retrain;

use std::time::Duration;

use serde::Serialize;

use crate::state::AppState;

/// How long a job may hold the lease before another may take it over (a
/// crashed instance must not block the jobs forever).
pub const LEASE_TTL: Duration = Duration::from_secs(2 * 3600);

/// What a job run did.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum JobOutcome<T> {
    Done(T),
    Skipped { reason: String },
}

/// Runs `job` while holding the job lease; skips when another job holds it.
pub async fn with_lease<T, F, Fut>(
    state: &AppState,
    holder: &str,
    job: F,
) -> anyhow::Result<JobOutcome<T>>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<JobOutcome<T>>>,
{
    let holder = format!(
        "{holder}:{}:{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros()
    );
    if !state
        .store
        .try_acquire_job_lease(&holder, LEASE_TTL)
        .await?
    {
        return Ok(JobOutcome::Skipped {
            reason: "another job (retrain or recommend-for-all) is running".into(),
        });
    }
    let result = job().await;
    if let Err(e) = state.store.release_job_lease(&holder).await {
        tracing::warn!(error = %e, "could not release the job lease; it expires by itself");
    }
    result
}
