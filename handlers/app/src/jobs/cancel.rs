//! A job run's stop signal, as the core's kernels read it.
//!
//! Aborting a job's task stops its async part at the next await, but not the
//! training it started on the blocking pool: that thread computes until the
//! kernels return. So every run gets a [`JobCancel`], raised by the lease
//! runner (`lease.rs`) when the server shuts down, the lease is
//! lost or the caller cancels, and handed to the kernels as their
//! [`Progress`]: they look at it before every row and stop within milliseconds.
//!
//! An `AtomicBool` rather than the cancellation token itself: the kernels ask
//! from every rayon thread, and the token's check takes a lock.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use movierec_core::{Progress, ProgressEvent};

#[derive(Clone, Debug, Default)]
pub struct JobCancel(Arc<AtomicBool>);

impl JobCancel {
    /// Tells the kernels to stop.
    pub fn raise(&self) {
        self.0.store(true, Ordering::Release);
    }

    pub fn is_raised(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// Listens to nothing (a job logs its own line when done); only stops.
impl Progress for JobCancel {
    fn report(&self, _event: ProgressEvent) {}

    fn cancelled(&self) -> bool {
        self.is_raised()
    }
}
