//! The job lease, held for exactly as long as a job runs.
//!
//! A job runs as its own task with its lease: a caller that hangs up does not
//! stop it halfway, and the lease is released when the job ends for any
//! reason (done, failed, panicked, or cancelled at shutdown). While the job
//! runs the lease is renewed every third of its time to live, so the time to
//! live can be short: after a crash (kill -9, a lost machine) the next job
//! may start at most one time-to-live after the last renewal. A job whose
//! renewal finds the lease taken (it stalled past its time to live) is
//! cancelled, so two jobs never run at once.

use std::future::Future;
use std::time::Duration;

use anyhow::Context;

use super::{JobOutcome, Skip};
use crate::state::AppState;

/// Why a job stopped before its end.
#[derive(Debug, thiserror::Error)]
pub enum JobStopped {
    #[error("the job was cancelled: the server is shutting down")]
    ShuttingDown,
    #[error("the job lost its lease (it was not renewed within {0:?}) and was stopped")]
    LeaseLost(Duration),
    #[error("the job panicked: {0}")]
    Panicked(String),
}

/// Runs `job` while holding the job lease; skips when another job holds it.
pub async fn with_lease<T, F, Fut>(
    state: &AppState,
    name: &str,
    job: F,
) -> anyhow::Result<JobOutcome<T>>
where
    T: Send + 'static,
    F: FnOnce(AppState) -> Fut,
    Fut: Future<Output = anyhow::Result<JobOutcome<T>>> + Send + 'static,
{
    let ttl = state.settings.limits.job_lease;
    let holder = format!(
        "{name}:{}:{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros()
    );
    if state.jobs.cancel.is_cancelled() {
        return Err(JobStopped::ShuttingDown.into());
    }
    if !state.store.try_acquire_job_lease(&holder, ttl).await? {
        return Ok(JobOutcome::Skipped {
            reason: Skip::LeaseHeld,
        });
    }
    let work = job(state.clone());
    let state = state.clone();
    let name = name.to_string();
    let task = state.jobs.tracker.clone().spawn(async move {
        let result = run_renewing(&state, &holder, ttl, work).await;
        if let Err(e) = state.store.release_job_lease(&holder).await {
            tracing::warn!(job = %name, error = %e, "could not release the job lease; it expires by itself");
        }
        result
    });
    task.await.context("the job's task")?
}

/// Drives `work`, renewing the lease, until it ends or is cancelled.
async fn run_renewing<T>(
    state: &AppState,
    holder: &str,
    ttl: Duration,
    work: impl Future<Output = anyhow::Result<JobOutcome<T>>> + Send + 'static,
) -> anyhow::Result<JobOutcome<T>>
where
    T: Send + 'static,
{
    // The work runs as a task of its own so that a panic is caught as a JoinError.
    let mut work = tokio::spawn(work);
    let mut renew = tokio::time::interval(ttl / 3);
    renew.tick().await;
    loop {
        tokio::select! {
            joined = &mut work => {
                return match joined {
                    Ok(result) => result,
                    Err(e) => Err(JobStopped::Panicked(e.to_string()).into()),
                };
            }
            _ = state.jobs.cancel.cancelled() => {
                work.abort();
                return Err(JobStopped::ShuttingDown.into());
            }
            _ = renew.tick() => match state.store.try_acquire_job_lease(holder, ttl).await {
                Ok(true) => {}
                Ok(false) => {
                    work.abort();
                    return Err(JobStopped::LeaseLost(ttl).into());
                }
                // The store may be back before the lease runs out; the next tick tries again.
                Err(e) => tracing::warn!(error = %e, "could not renew the job lease"),
            },
        }
    }
}
