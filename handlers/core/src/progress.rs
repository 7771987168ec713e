//! Progress reporting from long computations.
//!
//! The core never prints: it reports events to a [`Progress`] sink that the
//! caller provides. Who listens today: the command line (`movierec train`,
//! `evaluate`, `recommend`, and its ratings loading) prints them to stderr when
//! that is a terminal. The app's jobs (retraining, the all-users lists, the
//! standalone bootstrap's import) pass [`NoProgress`] and log one line of their
//! own with `tracing` when done; so do [`crate::tuning`]'s candidate fits and
//! the tests.
//!
//! Owns the event type and the sink trait only; it must not print, log or
//! depend on any other module of the crate.

/// One step of long-running work.
#[derive(Debug, Clone, PartialEq)]
pub enum ProgressEvent {
    /// An ALS iteration finished (both half-steps).
    Iteration {
        /// 1-based iteration number.
        iteration: usize,
        /// Total iterations planned.
        of: usize,
        /// Root mean squared error on the training ratings after this iteration
        /// (explicit mode), or `None` (implicit mode, where it means nothing).
        train_rmse: Option<f64>,
        /// Seconds this iteration took.
        seconds: f64,
    },
    /// Top-N lists computed for `done` of `total` users.
    Recommended { done: usize, total: usize },
    /// Rows read from an input file so far.
    RowsRead { rows: usize },
}

/// A sink for [`ProgressEvent`]s, and the caller's way to stop the work. Must
/// be cheap: it is called from the training loop.
pub trait Progress: Sync {
    fn report(&self, event: ProgressEvent);

    /// True once the caller wants the work stopped. Training asks before each
    /// half-iteration and before each row inside one, the all-users lists
    /// before each batch of users; a cancelled training returns
    /// `AlsError::Cancelled`, cancelled lists stop arriving. It is asked from
    /// every rayon thread, so it must be an atomic load, not a lock.
    fn cancelled(&self) -> bool {
        false
    }
}

/// Discards every event.
pub struct NoProgress;

impl Progress for NoProgress {
    fn report(&self, _event: ProgressEvent) {}
}

/// A closure listens and never cancels.
impl<F: Fn(ProgressEvent) + Sync> Progress for F {
    fn report(&self, event: ProgressEvent) {
        self(event)
    }
}
