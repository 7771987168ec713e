//! `RetrainModel` and `RecommendAllUsers`, the two timer functions (schedules
//! from MOVIEREC_RETRAIN_SCHEDULE and MOVIEREC_RECOMMEND_SCHEDULE): each runs
//! its job ([`super::Function::timer_job`]) and reports the outcome in one
//! line. The host invokes them with a timer payload; the standalone
//! scheduler runs the job itself.

use serde::Deserialize;

use super::{FunctionError, Invoked};
use crate::invocation::{InvocationRequest, InvocationResponse};
use crate::jobs::Job;
use crate::state::AppState;

/// The name of RecommendAllUsers' queue output binding (its function.json).
pub const SHARDS_OUTPUT: &str = "shards";

/// A host invocation of a timer function, which runs `job`.
pub async fn invoke(
    state: &AppState,
    job: Job,
    request: &InvocationRequest,
) -> Result<Invoked, FunctionError> {
    let fired = TimerInfo::from_request(request).describe();
    let ran = job.run(state).await?;
    let shards = ran.shards().to_vec();
    let mut response = InvocationResponse::new(vec![fired, ran.line()], ran.to_json());
    if !shards.is_empty() {
        // An array: the host adds one queue message per element.
        let messages = shards.iter().map(|m| serde_json::json!(m)).collect();
        response
            .outputs
            .insert(SHARDS_OUTPUT.into(), serde_json::Value::Array(messages));
    }
    Ok(Invoked { response, shards })
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
