//! [`JobError`]: how a job run failed, as every trigger reads it.
//!
//! Three kinds, because the triggers treat them differently: a job stopped
//! from outside (shutdown, a lost lease, its caller) is not its own fault; a
//! store failure is worth trying again once the store is back (the HTTP
//! answer is a 503, the host's retry delivers the message again); anything
//! else is the job's own failure, with its chain of causes kept. Owns the
//! classification only; what a job does is its own module's.

use movierec_store::StoreError;

use super::JobStopped;

/// Each variant's text carries its whole cause (`{:#}` of the chain), so a
/// log line or an answer built from the error alone says everything; the
/// cause is kept as a field, not as `source()`, so that walking the chain
/// does not say it twice.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Stopped before its end by something outside it.
    #[error("{job} stopped: {reason}")]
    Stopped {
        job: &'static str,
        reason: JobStopped,
    },
    /// The store failed under it; trying again later can succeed.
    #[error("{job} failed, the store failed: {cause:#}")]
    Store {
        job: &'static str,
        cause: anyhow::Error,
    },
    /// The job's own failure.
    #[error("{job} failed: {cause:#}")]
    Failed {
        job: &'static str,
        cause: anyhow::Error,
    },
}

impl JobError {
    /// A job's failure, filed as a store failure when a [`StoreError`] is
    /// among its causes (the jobs' own steps still report with `anyhow`
    /// context, which keeps the store's error inside the chain).
    pub fn failed(job: &'static str, cause: anyhow::Error) -> Self {
        if cause.chain().any(|c| c.is::<StoreError>()) {
            JobError::Store { job, cause }
        } else {
            JobError::Failed { job, cause }
        }
    }

    pub fn store(job: &'static str, error: StoreError) -> Self {
        JobError::Store {
            job,
            cause: error.into(),
        }
    }

    /// Whether the run stopped from outside rather than failed.
    pub fn is_stopped(&self) -> bool {
        matches!(self, JobError::Stopped { .. })
    }
}
