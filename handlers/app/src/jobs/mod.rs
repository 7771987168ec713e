//! The two scheduled jobs, independent of how they are triggered (a Functions
//! host timer, the standalone scheduler, or the bootstrap of `serve`).
//!
//! Both hold the store's job lease while they run ([`with_lease`]), so a
//! retrain and a recommend-for-all never overlap, on one instance or across
//! several (the original demo scheduled both at the same minute), and release
//! it when they end, however they end. CPU-heavy work runs on
//! the blocking pool, never on the async workers.

pub mod evaluation;
pub mod housekeeping;
mod lease;
pub mod model_io;
pub mod recommend_all;
pub mod retrain;

use serde::Serialize;

pub use lease::{with_lease, JobStopped, LEASE_HELD};

/// What a job run did.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum JobOutcome<T> {
    Done(T),
    Skipped { reason: String },
}

/// Cancels the running jobs at shutdown and waits for them to let go of the lease.
#[derive(Clone, Default)]
pub struct JobControl {
    pub cancel: tokio_util::sync::CancellationToken,
    pub tracker: tokio_util::task::TaskTracker,
}

impl JobControl {
    /// Cancels every running job and waits up to `grace` for them to end
    /// (their leases released); true if they all did.
    pub async fn shut_down(&self, grace: std::time::Duration) -> bool {
        self.cancel.cancel();
        self.tracker.close();
        tokio::time::timeout(grace, self.tracker.wait())
            .await
            .is_ok()
    }
}
