//! `RetrainModel` and `RecommendAllUsers`, the two timer functions (schedules
//! from MOVIEREC_RETRAIN_SCHEDULE and MOVIEREC_RECOMMEND_SCHEDULE): each runs
//! its job and reports the outcome in one line. The host invokes them with a
//! timer payload; the standalone scheduler calls [`run_job`] directly.

use serde::Deserialize;

use super::Function;
use crate::invocation::{InvocationRequest, InvocationResponse};
use crate::jobs::recommend_all::ShardMessage;
use crate::jobs::{recommend_all, retrain, JobOutcome};
use crate::state::AppState;

/// What a timer job did: its log line, its outcome as the answer's
/// `ReturnValue`, and the shards RecommendAllUsers hands on (its `shards`
/// queue output binding).
pub struct JobRun {
    pub line: String,
    pub outcome: serde_json::Value,
    pub shards: Vec<ShardMessage>,
}

/// The name of RecommendAllUsers' queue output binding (its function.json).
pub const SHARDS_OUTPUT: &str = "shards";

/// Runs `function`'s job.
pub async fn run_job(state: &AppState, function: Function) -> anyhow::Result<JobRun> {
    fn run<T: crate::jobs::Report>(
        outcome: crate::jobs::JobOutcome<T>,
        shards: Vec<ShardMessage>,
    ) -> anyhow::Result<JobRun> {
        Ok(JobRun {
            line: outcome.to_string(),
            outcome: serde_json::to_value(&outcome)?,
            shards,
        })
    }
    match function {
        Function::RetrainModel => run(retrain::run(state).await?, Vec::new()),
        Function::RecommendAllUsers => {
            let outcome = recommend_all::run(state).await?;
            let shards = match &outcome {
                JobOutcome::Done(report) => report.messages.clone(),
                JobOutcome::Skipped { .. } => Vec::new(),
            };
            run(outcome, shards)
        }
        other => anyhow::bail!("{} is not a timer function", other.name()),
    }
}

/// A host invocation of a timer function.
pub async fn invoke(
    state: &AppState,
    function: Function,
    request: &InvocationRequest,
) -> anyhow::Result<InvocationResponse> {
    let fired = TimerInfo::from_request(request).describe();
    let run = run_job(state, function).await?;
    let mut response = InvocationResponse::new(vec![fired, run.line], run.outcome);
    if !run.shards.is_empty() {
        // An array: the host adds one queue message per element.
        response
            .outputs
            .insert(SHARDS_OUTPUT.into(), serde_json::to_value(&run.shards)?);
    }
    Ok(response)
}

/// The parts of the host's timer payload the log line reports. The host
/// writes .NET dates (no offset), so `Last` is kept as the text it sent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TimerInfo {
    #[serde(rename = "IsPastDue")]
    is_past_due: bool,
    #[serde(rename = "ScheduleStatus")]
    schedule_status: Option<ScheduleStatus>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ScheduleStatus {
    #[serde(rename = "Last")]
    last: Option<String>,
}

impl TimerInfo {
    /// The first binding's payload; anything unreadable reads as an on-time first run.
    fn from_request(request: &InvocationRequest) -> Self {
        request
            .data
            .values()
            .next()
            .and_then(|t| serde_json::from_value(t.clone()).ok())
            .unwrap_or_default()
    }

    fn describe(&self) -> String {
        let last = self
            .schedule_status
            .as_ref()
            .and_then(|s| s.last.as_deref())
            .map(|s| format!(", last run {s}"))
            .unwrap_or_default();
        let past_due = if self.is_past_due { " (past due)" } else { "" };
        format!("timer fired{past_due}{last}")
    }
}
