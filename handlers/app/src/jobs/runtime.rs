//! The one way a job is run: [`Job::run`].
//!
//! Every trigger names a [`Job`] and calls it: the Functions host's
//! invocations (`crate::functions`), the standalone scheduler and local
//! queues (`crate::standalone`), `serve`'s bootstrap, the command line and
//! the tests. The runtime, not the job, decides what a run needs:
//!
//! - the store's job lease (`lease.rs`) for the jobs that must never overlap
//!   (retrain, import, the recommend-for-all coordinator), with its renewal
//!   and the [`super::JobCancel`] that stops the kernels when the server shuts down,
//!   the lease is lost or the caller cancels ([`Job::run_until`]);
//! - no lease for a shard, which writes only its users' lists under a
//!   version nobody reads yet; it stops at shutdown or when its caller
//!   cancels;
//! - tries ([`Job::run_with_attempts`]): as many as a Storage queue delivers
//!   a message, for the triggers that stand in for a queue;
//! - the typed [`JobError`];
//! - each run counted by job and outcome, with its duration
//!   (`crate::telemetry`, `GET /metrics`), and run in its span
//!   (`crate::telemetry::traces`), under the invocation's when there is one.
//!
//! A run's result is a [`Ran`]: the job's own report, its log line, the
//! answer's value and the shard messages a coordinator hands on, which the
//! trigger sends where its bindings say (a queue output, the local queues,
//! or [`publish_here`]'s pool).

use std::sync::atomic::{AtomicUsize, Ordering};

use futures::StreamExt;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::error::Failure;
use super::import_model::{self, ImportRequest};
use super::lease::leased;
use super::recommend_all::{self, shard, RecommendReport, ShardMessage, ShardOutcome};
use super::retrain::{self, RetrainReport};
use super::retry::{with_attempts, ATTEMPTS};
use super::{JobError, JobOutcome, JobStopped};
use crate::state::AppState;
use crate::telemetry::traces;

/// A job, as every trigger names it.
#[derive(Debug, Clone)]
pub enum Job {
    /// RetrainModel: train, evaluate and maybe promote (or, with
    /// `MOVIEREC_TRAINER=external`, import the newest external model).
    Retrain,
    /// RecommendAllUsers: the coordinator, which plans, resends or publishes.
    PublishLists,
    /// RecommendShard: one shard's lists.
    WriteShard(ShardMessage),
    /// `movierec model import DIR`.
    Import(ImportRequest),
}

/// What a run did, per job.
#[derive(Debug, Clone)]
pub enum Ran {
    Retrain(JobOutcome<RetrainReport>),
    PublishLists(JobOutcome<RecommendReport>),
    WriteShard(ShardOutcome),
    Import(JobOutcome<RetrainReport>),
}

impl Job {
    /// The job's name in logs and errors.
    pub fn name(&self) -> &'static str {
        match self {
            Job::Retrain => "retrain",
            Job::PublishLists => "recommend-for-all",
            Job::WriteShard(_) => "shard",
            Job::Import(_) => "import",
        }
    }

    /// Runs the job once; only the server's shutdown stops it.
    pub async fn run(self, state: &AppState) -> Result<Ran, JobError> {
        self.run_until(state, CancellationToken::new()).await
    }

    /// Runs the job once, stopped (kernels included) when `caller` is
    /// cancelled, at shutdown, or when its lease is lost.
    pub async fn run_until(
        self,
        state: &AppState,
        caller: CancellationToken,
    ) -> Result<Ran, JobError> {
        let name = self.name();
        match self {
            Job::Retrain => retrain_until(state, caller).await.map(Ran::Retrain),
            Job::PublishLists => coordinate(state, caller).await.map(Ran::PublishLists),
            Job::WriteShard(message) => {
                let stopped = |reason| JobError::Stopped { job: name, reason };
                let _running = ShardRunning::new(&state.jobs.shards_running);
                let run = async {
                    tokio::select! {
                        // A run asked to stop does not start.
                        biased;
                        _ = state.jobs.cancel.cancelled() => Err(stopped(JobStopped::ShuttingDown)),
                        _ = caller.cancelled() => Err(stopped(JobStopped::CallerCancelled)),
                        written = shard::run(state, &message) => {
                            written.map_err(|e| JobError::failed(name, e))
                        }
                    }
                };
                counted(state, name, run).await.map(Ran::WriteShard)
            }
            Job::Import(request) => {
                let run = leased(state, name, caller, |state, _cancel| {
                    import_model::import_requested(state, request)
                });
                counted(state, name, run).await.map(Ran::Import)
            }
        }
    }

    /// Runs the job until it succeeds or [`ATTEMPTS`] runs failed, 200 ms × n
    /// apart, as a Storage queue delivers a message (`maxDequeueCount`); a
    /// run stopped from outside is not tried again.
    pub async fn run_with_attempts(self, state: &AppState) -> Result<Ran, JobError> {
        let name = self.name();
        let job = &self;
        // A stopped run ends the tries at once: it is returned inside Ok.
        let result = with_attempts(
            |_| async {
                match job.clone().run(state).await {
                    Err(e) if e.is_stopped() => Ok(Err(e)),
                    other => other.map(Ok),
                }
            },
            |attempt, e: &JobError| {
                tracing::warn!(
                    job = name,
                    ?job,
                    attempt,
                    error = e as &dyn std::error::Error,
                    "failed; trying again"
                )
            },
        )
        .await;
        match result {
            Ok(ran_or_stopped) => ran_or_stopped,
            Err(e) => {
                tracing::error!(
                    job = name,
                    ?job,
                    error = &e as &dyn std::error::Error,
                    "failed {ATTEMPTS} times; given up"
                );
                Err(e)
            }
        }
    }
}

impl Ran {
    /// The run's one log line.
    pub fn line(&self) -> String {
        match self {
            Ran::Retrain(outcome) | Ran::Import(outcome) => outcome.to_string(),
            Ran::PublishLists(outcome) => outcome.to_string(),
            Ran::WriteShard(outcome) => outcome.to_string(),
        }
    }

    /// The run's report as an answer's value (the host's `ReturnValue`).
    pub fn to_json(&self) -> serde_json::Value {
        let value = match self {
            Ran::Retrain(outcome) | Ran::Import(outcome) => serde_json::to_value(outcome),
            Ran::PublishLists(outcome) => serde_json::to_value(outcome),
            Ran::WriteShard(outcome) => serde_json::to_value(outcome),
        };
        value.expect("reports are plain structs of numbers and strings")
    }

    /// The shard messages a coordinator's run hands on.
    pub fn shards(&self) -> &[ShardMessage] {
        match self {
            Ran::PublishLists(JobOutcome::Done(report)) => &report.messages,
            _ => &[],
        }
    }
}

/// A retrain, run once: [`Job::Retrain`] with its report.
pub async fn retrain(state: &AppState) -> Result<JobOutcome<RetrainReport>, JobError> {
    retrain_until(state, CancellationToken::new()).await
}

async fn retrain_until(
    state: &AppState,
    caller: CancellationToken,
) -> Result<JobOutcome<RetrainReport>, JobError> {
    let name = Job::Retrain.name();
    counted(state, name, leased(state, name, caller, retrain::retrain)).await
}

/// The coordinator: says so without the lease when there is nothing to do.
async fn coordinate(
    state: &AppState,
    caller: CancellationToken,
) -> Result<JobOutcome<RecommendReport>, JobError> {
    let name = Job::PublishLists.name();
    let run = async {
        let idle = recommend_all::nothing_to_do(state).await;
        if let Some(reason) = idle.map_err(|e| JobError::failed(name, e))? {
            return Ok(JobOutcome::Skipped { reason });
        }
        leased(state, name, caller, recommend_all::coordinate).await
    };
    counted(state, name, run).await
}

/// A run's outcome, as `crate::telemetry` counts it.
trait Counted {
    /// It did nothing this time (another holds the lease, nothing to do, a
    /// shard already written).
    fn skipped(&self) -> bool;
}

impl<T> Counted for JobOutcome<T> {
    fn skipped(&self) -> bool {
        matches!(self, JobOutcome::Skipped { .. })
    }
}

impl Counted for ShardOutcome {
    fn skipped(&self) -> bool {
        matches!(self, ShardOutcome::Ignored { .. })
    }
}

/// Runs `run`, job `name`'s one run, in its span, and counts it by outcome
/// with its duration (`movierec_job_runs_total`, `movierec_job_duration_seconds`).
async fn counted<T: Counted>(
    state: &AppState,
    name: &'static str,
    run: impl std::future::Future<Output = Result<T, JobError>>,
) -> Result<T, JobError> {
    let span = tracing::debug_span!(
        target: traces::JOB_TARGET,
        "job",
        otel.name = name,
        movierec.job = name,
        movierec.outcome = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    );
    let started = std::time::Instant::now();
    let result = run.instrument(span.clone()).await;
    let outcome = match &result {
        Ok(ran) if ran.skipped() => "skipped",
        Ok(_) => "done",
        Err(e) if e.is_stopped() => "stopped",
        Err(_) => "failed",
    };
    span.record("movierec.outcome", outcome);
    if outcome == "failed" {
        span.record("otel.status_code", "error");
    }
    state.telemetry.record_job(name, outcome, started.elapsed());
    result
}

/// The coordinator and its shards in this process (`serve`'s bootstrap, the
/// tests): plans, works every shard left on a pool of
/// `MOVIEREC_SHARD_WORKERS`, each with [`Job::run_with_attempts`], and
/// reports the published version.
pub async fn publish_here(state: &AppState) -> Result<JobOutcome<RecommendReport>, JobError> {
    let job = Job::PublishLists.name();
    let started = std::time::Instant::now();
    let report = match coordinate(state, CancellationToken::new()).await? {
        JobOutcome::Done(report) => report,
        skipped => return Ok(skipped),
    };
    let pending = recommend_all::left_to_work(state, &report)
        .await
        .map_err(|e| JobError::failed(job, e))?;
    let workers = state.settings.shards.workers.max(1);
    let worked: Vec<Result<Ran, JobError>> = futures::stream::iter(pending)
        .map(|message| Job::WriteShard(message).run_with_attempts(state))
        .buffer_unordered(workers)
        .collect()
        .await;
    for ran in worked {
        tracing::info!("{}", ran?.line());
    }
    let serving = state.store.serving_version().await;
    let published = serving.map_err(|e| JobError::failed(job, e))? == Some(report.version);
    if !published {
        let version = report.version;
        return Err(JobError::failed(job, Failure::NotPublished { version }));
    }
    Ok(JobOutcome::Done(RecommendReport {
        written: report.shards,
        published,
        seconds: started.elapsed().as_secs_f64(),
        messages: Vec::new(),
        ..report
    }))
}

/// A shard counted as running while this lives. Shards run unleased, many at
/// once: the last one to end hands what the publication freed back to the
/// system, as `leased` does after a leased job (`crate::allocator`); a drop,
/// so that a shard whose task is aborted still counts as ended.
struct ShardRunning<'a>(&'a AtomicUsize);

impl<'a> ShardRunning<'a> {
    fn new(running: &'a AtomicUsize) -> Self {
        running.fetch_add(1, Ordering::SeqCst);
        ShardRunning(running)
    }
}

impl Drop for ShardRunning<'_> {
    fn drop(&mut self) {
        if self.0.fetch_sub(1, Ordering::SeqCst) == 1 {
            drop(tokio::task::spawn_blocking(
                crate::allocator::release_freed_memory,
            ));
        }
    }
}
