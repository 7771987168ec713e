//! [`JobError`]: how a job run failed, as every trigger reads it.
//!
//! Three kinds, because the triggers treat them differently: a job stopped
//! from outside (shutdown, a lost lease, its caller) is not its own fault; a
//! store failure is worth trying again once the store is back (the HTTP
//! answer is a 503, the host's retry delivers the message again); anything
//! else is the job's own failure. The job's own error is kept as the source
//! ([`Failure`]), so a log line (`error = &e as &dyn Error`) or the command
//! line (`{:#}`) names every layer. Owns the classification only; what a job
//! does is its own module's.

use movierec_store::StoreError;

use super::import_error::ImportError;
use super::recommend_all::PublishError;
use super::retrain_error::RetrainError;
use super::JobStopped;

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Stopped before its end by something outside it.
    #[error("{job} stopped")]
    Stopped {
        job: &'static str,
        #[source]
        reason: JobStopped,
    },
    /// The store failed under it; trying again later can succeed.
    #[error("{job} failed: the store failed")]
    Store {
        job: &'static str,
        #[source]
        cause: Box<Failure>,
    },
    /// The job's own failure.
    #[error("{job} failed")]
    Failed {
        job: &'static str,
        #[source]
        cause: Box<Failure>,
    },
}

/// A job's own error, by job.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Retrain(#[from] RetrainError),
    #[error(transparent)]
    Publish(#[from] PublishError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(
        "version {version} is not published after its shards ran: a shard failed (see the log)"
    )]
    NotPublished { version: u64 },
}

impl Failure {
    /// Whether the store failed under it.
    pub fn is_store(&self) -> bool {
        match self {
            Failure::Store(_) => true,
            Failure::Retrain(e) => e.is_store(),
            Failure::Publish(e) => e.is_store(),
            Failure::Import(e) => e.is_store(),
            Failure::NotPublished { .. } => false,
        }
    }
}

impl JobError {
    /// A job's failure, filed as a store failure when it is one.
    pub fn failed(job: &'static str, failure: impl Into<Failure>) -> Self {
        let cause = Box::new(failure.into());
        if cause.is_store() {
            JobError::Store { job, cause }
        } else {
            JobError::Failed { job, cause }
        }
    }

    /// Whether the run stopped from outside rather than failed.
    pub fn is_stopped(&self) -> bool {
        matches!(self, JobError::Stopped { .. })
    }
}
