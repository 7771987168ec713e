//! The jobs, independent of how they are triggered (a Functions host timer or
//! queue message, the standalone scheduler and queues, the command line, or
//! the bootstrap of `serve`): retrain ([`retrain`], or the import of a model
//! trained outside the app, [`import_model`]: a job's folder through the
//! gate, a plain Spark ALSModel at the operator's word, [`import_plain`]) and
//! recommend-for-all (the coordinator and its shards, [`recommend_all`]).
//!
//! Every trigger runs a job the same way, [`Job::run`] (`runtime.rs`), which
//! owns the lease, the tries, the cancel signal and the typed [`JobError`].
//! Retrain, import and the recommend-for-all coordinator hold the store's job
//! lease while they run, so they never overlap, on one
//! instance or across several (the original demo scheduled both at the same
//! minute), and release it when they end, however they end. Shards take no
//! lease: each writes only its users' lists under a version nobody reads yet.
//! CPU-heavy work runs on the blocking pool, never on the async workers.
//!
//! Owns: training, evaluation and promotion, publishing the lists, the lease,
//! retention. Must not touch: how a job is triggered (`crate::functions`,
//! `crate::standalone`) or HTTP; the model versions they publish are read
//! through `crate::serving::Serving::model_version`, the one copy per
//! instance that GETs use too. A job's training stops when its [`JobCancel`]
//! is raised (`cancel.rs`).

mod arm_models;
mod cancel;
pub mod error;
pub mod evaluation;
pub mod housekeeping;
pub mod import_error;
pub mod import_model;
pub mod import_plain;
mod lease;
pub mod new_movies;
pub mod recommend_all;
pub mod retrain;
mod retrain_error;
mod retrain_report;
pub mod retry;
pub mod runtime;
mod training;

use serde::Serialize;

pub use cancel::JobCancel;
pub use error::JobError;
pub use lease::JobStopped;
pub use runtime::{Job, Ran};

/// What a job run did.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum JobOutcome<T> {
    Done(T),
    Skipped { reason: Skip },
}

/// Why a job did nothing this time (the answer's `reason`, as its text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Skip {
    /// Another job holds the store's job lease.
    #[error("another job (retrain or recommend-for-all) is running")]
    LeaseHeld,
    #[error("only {stored} ratings stored; need {needed}")]
    TooFewRatings { stored: usize, needed: usize },
    #[error("no model has been promoted yet")]
    NothingPromoted,
    #[error("version {0} is already published")]
    AlreadyPublished(u64),
    /// Where it looked: a directory, or a container without its query.
    #[error("no complete model folder (with _SUCCESS) under {0}")]
    NoExternalModel(String),
    #[error("{0} is already imported")]
    AlreadyImported(String),
}

/// Written as its text, as the answers always were.
impl Serialize for Skip {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A job's report: what its log line says when it ran.
pub trait Report: Serialize + std::fmt::Display {
    /// The job's name in a "skipped" line.
    const JOB: &'static str;
}

/// The one log line of a run, for the host's `Logs` and the scheduler's log.
impl<T: Report> std::fmt::Display for JobOutcome<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JobOutcome::Done(report) => report.fmt(f),
            JobOutcome::Skipped { reason } => write!(f, "{} skipped: {reason}", T::JOB),
        }
    }
}
