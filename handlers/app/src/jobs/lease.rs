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
//!
//! Cancelled means stopped computing: besides aborting the job's task, the
//! runner raises the run's [`JobCancel`], which the training kernels read
//! before every row (tested in `tests/it/cancel.rs` from `/proc`). It is raised
//! at shutdown, when the lease is lost, and when the caller's token is
//! cancelled.
//!
//! Only the job runtime (`super::runtime`) calls it: a job never takes the
//! lease itself.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::error::Failure;
use super::{JobCancel, JobError, JobOutcome, Skip};
use crate::state::AppState;

/// Why a job stopped before its end.
#[derive(Debug, thiserror::Error)]
pub enum JobStopped {
    #[error("the job was cancelled: the server is shutting down")]
    ShuttingDown,
    #[error("the job lost its lease (it was not renewed within {0:?}) and was stopped")]
    LeaseLost(Duration),
    #[error("the job was cancelled by its caller")]
    CallerCancelled,
    #[error("the job panicked: {0}")]
    Panicked(String),
}

/// Runs `job` while holding the job lease, as the job called `name`;
/// skips when another job holds it; stops it (kernels included) at shutdown,
/// when the lease is lost, or when `caller` is cancelled.
pub(super) async fn leased<T, E, F, Fut>(
    state: &AppState,
    name: &'static str,
    caller: CancellationToken,
    job: F,
) -> Result<JobOutcome<T>, JobError>
where
    T: Send + 'static,
    E: Into<Failure> + Send + 'static,
    F: FnOnce(AppState, JobCancel) -> Fut,
    Fut: Future<Output = Result<JobOutcome<T>, E>> + Send + 'static,
{
    let stopped = |reason| JobError::Stopped { job: name, reason };
    let ttl = state.settings.limits.job_lease;
    let holder = format!(
        "{name}:{}:{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros()
    );
    if state.jobs.cancel.is_cancelled() {
        return Err(stopped(JobStopped::ShuttingDown));
    }
    let acquired = state.store.try_acquire_job_lease(&holder, ttl).await;
    if !acquired.map_err(|e| JobError::failed(name, e))? {
        return Ok(JobOutcome::Skipped {
            reason: Skip::LeaseHeld,
        });
    }
    let cancel = JobCancel::default();
    let work = job(state.clone(), cancel.clone());
    let state = state.clone();
    let task = state.jobs.tracker.clone().spawn(async move {
        let result = match run_renewing(&state, &holder, ttl, &caller, work).await {
            Ok(ended) => ended.map_err(|e| JobError::failed(name, e)),
            Err(reason) => {
                cancel.raise();
                tracing::warn!(job = name, %reason, "job stopped; its computation was told to stop");
                Err(stopped(reason))
            }
        };
        if let Err(e) = state.store.release_job_lease(&holder).await {
            tracing::warn!(job = name, error = %e, "could not release the job lease; it expires by itself");
        }
        // A retrain's peak would otherwise stay resident (crate::allocator).
        crate::allocator::release_after_job().await;
        result
    });
    task.await
        .unwrap_or_else(|e| Err(stopped(JobStopped::Panicked(e.to_string()))))
}

/// Drives `work`, renewing the lease, until it ends (its own result) or is
/// stopped.
async fn run_renewing<R>(
    state: &AppState,
    holder: &str,
    ttl: Duration,
    caller: &CancellationToken,
    work: impl Future<Output = R> + Send + 'static,
) -> Result<R, JobStopped>
where
    R: Send + 'static,
{
    // The work runs as a task of its own so that a panic is caught as a JoinError.
    let mut work = tokio::spawn(work);
    let mut renew = tokio::time::interval(ttl / 3);
    renew.tick().await;
    loop {
        tokio::select! {
            joined = &mut work => {
                return joined.map_err(|e| JobStopped::Panicked(e.to_string()));
            }
            _ = state.jobs.cancel.cancelled() => {
                work.abort();
                return Err(JobStopped::ShuttingDown);
            }
            _ = caller.cancelled() => {
                work.abort();
                return Err(JobStopped::CallerCancelled);
            }
            _ = renew.tick() => match state.store.try_acquire_job_lease(holder, ttl).await {
                Ok(true) => {}
                Ok(false) => {
                    work.abort();
                    return Err(JobStopped::LeaseLost(ttl));
                }
                // The store may be back before the lease runs out; the next tick tries again.
                Err(e) => tracing::warn!(error = %e, "could not renew the job lease"),
            },
        }
    }
}
