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

/// A job's own error, which says whether the store failed under it.
pub trait JobFailure: Into<anyhow::Error> {
    fn is_store_failure(&self) -> bool;
}

/// The jobs whose steps still report with `anyhow` context (retrain, the
/// imports) keep the store's error inside the chain, where it is looked for.
impl JobFailure for anyhow::Error {
    fn is_store_failure(&self) -> bool {
        self.chain().any(|c| c.is::<StoreError>())
    }
}

impl JobError {
    /// A job's failure, filed as a store failure when it is one.
    pub fn failed(job: &'static str, failure: impl JobFailure) -> Self {
        let from_store = failure.is_store_failure();
        let cause = failure.into();
        if from_store {
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
