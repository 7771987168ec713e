//! The generator's loop: take events from the source at the pace asked,
//! batch them, send each batch with retries, report progress, and stop at
//! the count, the duration, the end of a replay, or Ctrl-C (after the batch
//! in hand has been sent). Nothing is dropped silently: a batch that still
//! fails after the retries ends the run with an error that says how many
//! events were sent and how many were not.
//!
//! Owns the order of things and the counting; it does not know how any
//! target sends (see [`crate::sink`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::time::Instant;

use crate::error::{report, RunError, SendError};
use crate::event::{poison_event, rating_event, unix_now, OutgoingEvent};
use crate::pace::Pacer;
use crate::progress::Progress;
use crate::sink::Sink;
use crate::source::Source;
use crate::summary::{Stored, Summary};

#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Stop after this many events.
    pub count: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Events per second; `None` is as fast as the target takes them.
    pub rate: Option<f64>,
    /// Events per send.
    pub batch: usize,
    /// Share of events sent deliberately broken.
    pub poison_rate: f64,
    pub seed: u64,
    /// Attempts after the first for one batch.
    pub retries: u32,
}

/// Runs until a stop condition; the summary is returned even on failure,
/// beside the error.
pub async fn run(
    source: &mut Source,
    sink: Sink,
    options: &RunOptions,
) -> (Summary, Result<(), RunError>) {
    let interrupted = Arc::new(AtomicBool::new(false));
    let notify = Arc::new(tokio::sync::Notify::new());
    let watcher = {
        let (interrupted, notify) = (interrupted.clone(), notify.clone());
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                interrupted.store(true, Ordering::SeqCst);
                notify.notify_waiters();
            }
        })
    };
    let result = run_loop(source, sink, options, &interrupted, &notify).await;
    watcher.abort();
    result
}

async fn run_loop(
    source: &mut Source,
    mut sink: Sink,
    options: &RunOptions,
    interrupted: &AtomicBool,
    notify: &tokio::sync::Notify,
) -> (Summary, Result<(), RunError>) {
    let started = Instant::now();
    let deadline = options.duration.map(|d| started + d);
    let mut pacer = Pacer::new(options.rate);
    let mut poison_rng = ChaCha8Rng::seed_from_u64(options.seed ^ 0x0005_EED0_FBAD);
    let mut summary = Summary::default();
    let mut progress = Progress::new();
    let mut ended = false;
    let outcome = loop {
        if interrupted.load(Ordering::SeqCst) {
            break Ok("interrupted");
        }
        if ended {
            break Ok("end of input");
        }
        let remaining = options.count.map_or(u64::MAX, |c| c - summary.sent);
        if remaining == 0 {
            break Ok("count");
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break Ok("duration");
        }
        let n = remaining.min(options.batch as u64);
        let due = pacer.due(n);
        if let Some(due) = due {
            let until = deadline.map_or(due, |d| due.min(d));
            tokio::select! {
                _ = tokio::time::sleep_until(until) => {}
                _ = notify.notified() => continue,
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break Ok("duration");
            }
        }
        let now = unix_now();
        let mut batch: Vec<OutgoingEvent> = Vec::with_capacity(n as usize);
        let mut poison = 0u64;
        for _ in 0..n {
            let Some((user, movie, rating)) = source.next_rating() else {
                ended = true;
                break;
            };
            if options.poison_rate > 0.0 && poison_rng.random::<f64>() < options.poison_rate {
                batch.push(poison_event(summary.poison + poison, user, movie, now));
                poison += 1;
            } else {
                batch.push(rating_event(user, movie, rating, now));
            }
        }
        if batch.is_empty() {
            continue;
        }
        if let Err((retries, source)) =
            send_with_retries(&mut sink, &batch, options.retries, &mut summary).await
        {
            summary.failed = batch.len() as u64;
            break Err(RunError::Batch {
                events: summary.failed,
                retries,
                sent_before: summary.sent,
                source,
            });
        }
        summary.sent += batch.len() as u64;
        summary.poison += poison;
        summary.valid += batch.len() as u64 - poison;
        summary.batches += 1;
        progress.tick(&summary, started);
    };
    let closed = sink.close().await.map_err(RunError::Close);
    summary.seconds = started.elapsed().as_secs_f64();
    summary.events_per_second = summary.sent as f64 / summary.seconds.max(1e-9);
    let result = match outcome {
        Ok(reason) => {
            summary.stopped_by = reason.to_string();
            closed
        }
        Err(e) => {
            summary.stopped_by = "error".into();
            Err(e)
        }
    };
    (summary, result)
}

/// Sends one batch, retrying what is worth retrying with doubling waits
/// (100 ms up to 5 s). A failure for good comes with the retries spent.
async fn send_with_retries(
    sink: &mut Sink,
    batch: &[OutgoingEvent],
    retries: u32,
    summary: &mut Summary,
) -> Result<(), (u32, SendError)> {
    let mut wait = Duration::from_millis(100);
    let mut attempt = 0;
    loop {
        match sink.send(batch).await {
            Ok(answer) => {
                if let Some(answer) = answer {
                    summary.app.get_or_insert_with(Stored::default).add(&answer);
                }
                return Ok(());
            }
            Err(e) if e.retryable() && attempt < retries => {
                attempt += 1;
                summary.retries += 1;
                tracing::warn!(attempt, error = %report(&e), "send failed; retrying");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(5));
            }
            Err(e) => return Err((attempt, e)),
        }
    }
}
