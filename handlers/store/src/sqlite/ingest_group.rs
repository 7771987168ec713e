//! Group commit for ingest: batches that arrive while another is being
//! written wait in a queue, and the next transaction stores all of them.
//!
//! Why: a transaction's fixed cost (the write lock, the commit's log append,
//! a hand-off to the blocking pool and back) was about as much as storing 100
//! ratings, and the rating marks (one row per user of a batch) doubled the rows
//! a batch writes. Concurrent batches now share one transaction, one hand-off
//! and one mark. Each batch still gets its own outcome, and all of a batch is
//! stored or none of it: if a shared transaction fails, its batches are written
//! again one transaction each, so one batch's failure is only its own.
//!
//! The first caller to find no writer at work becomes the writer: it drains
//! the queue on the blocking pool until it is empty. Owns only the queue; the
//! SQL is `ratings.rs`'s.

use std::sync::Mutex;

use tokio::sync::oneshot;

use crate::traits::Result;
use crate::types::{DeadLetter, IngestOutcome, RatingRecord};
use crate::StoreError;

/// One ingest call waiting for its batch to be stored.
pub(super) struct IngestJob {
    /// The batch's newest event per (user, movie), in (user, movie) order.
    pub ratings: Vec<RatingRecord>,
    /// Events of the batch dropped for a newer one of the same rating.
    pub superseded: usize,
    pub dead_letters: Vec<DeadLetter>,
    pub reply: oneshot::Sender<Result<IngestOutcome>>,
}

#[derive(Default)]
struct QueueState {
    jobs: Vec<IngestJob>,
    /// A writer is draining the queue.
    writing: bool,
}

/// The batches waiting for the next transaction.
#[derive(Default)]
pub(super) struct IngestQueue {
    state: Mutex<QueueState>,
}

impl IngestQueue {
    /// Queues `job`; true when the caller must start the writer.
    pub fn push(&self, job: IngestJob) -> bool {
        let mut state = self.state.lock().expect("ingest queue lock");
        state.jobs.push(job);
        !std::mem::replace(&mut state.writing, true)
    }

    /// Runs `write` on every group of queued jobs until none is left. Called
    /// by the writer only (after `push` returned true).
    pub fn drain(&self, mut write: impl FnMut(Vec<IngestJob>)) {
        let _writer = Writer(self);
        loop {
            let jobs = {
                let mut state = self.state.lock().expect("ingest queue lock");
                if state.jobs.is_empty() {
                    state.writing = false;
                    return;
                }
                std::mem::take(&mut state.jobs)
            };
            write(jobs);
        }
    }
}

/// Ends a writer's turn however it ends: after a panic, the queued jobs are
/// answered with an error (dropping their reply) and the next push starts a
/// new writer, so no ingest waits forever.
struct Writer<'a>(&'a IngestQueue);

impl Drop for Writer<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut state = match self.0.state.lock() {
                Ok(state) => state,
                Err(poisoned) => poisoned.into_inner(),
            };
            state.jobs.clear();
            state.writing = false;
        }
    }
}

/// What a job's caller gets when its reply never came (the writer stopped).
pub(super) fn writer_stopped() -> StoreError {
    StoreError::backend(
        super::BACKEND,
        "store an ingest batch",
        "the ingest writer stopped before storing this batch; send it again",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> (IngestJob, oneshot::Receiver<Result<IngestOutcome>>) {
        let (reply, answer) = oneshot::channel();
        let job = IngestJob {
            ratings: vec![],
            superseded: 0,
            dead_letters: vec![],
            reply,
        };
        (job, answer)
    }

    #[test]
    fn only_the_first_caller_writes_and_it_takes_what_queued_meanwhile() {
        let queue = IngestQueue::default();
        let (first, _a) = job();
        let (second, _b) = job();
        assert!(queue.push(first));
        assert!(!queue.push(second));
        let mut groups = vec![];
        queue.drain(|jobs| groups.push(jobs.len()));
        assert_eq!(groups, vec![2]);
        let (third, _c) = job();
        assert!(queue.push(third), "a drained queue needs a new writer");
    }

    #[test]
    fn a_writer_that_panics_fails_the_waiting_batches_and_frees_the_queue() {
        let queue = IngestQueue::default();
        let (first, answer) = job();
        assert!(queue.push(first));
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            queue.drain(|_| panic!("disk on fire"))
        }));
        assert!(panicked.is_err());
        assert!(answer.blocking_recv().is_err(), "the caller hears of it");
        let (next, _n) = job();
        assert!(queue.push(next), "the next batch starts a new writer");
    }
}
