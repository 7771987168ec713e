//! Progress reporting from long computations.
//!
//! The core never prints: it reports events to a [`Progress`] sink that the caller
//! provides. The command line prints them to a terminal; services log them with
//! `tracing`; tests ignore them with [`NoProgress`].

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

/// A sink for [`ProgressEvent`]s. Must be cheap: it is called from the training loop.
pub trait Progress: Sync {
    fn report(&self, event: ProgressEvent);
}

/// Discards every event.
pub struct NoProgress;

impl Progress for NoProgress {
    fn report(&self, _event: ProgressEvent) {}
}

impl<F: Fn(ProgressEvent) + Sync> Progress for F {
    fn report(&self, event: ProgressEvent) {
        self(event)
    }
}
