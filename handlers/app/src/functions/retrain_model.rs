//! `RetrainModel` (timerTrigger, schedule from MOVIEREC_RETRAIN_SCHEDULE):
//! runs the retrain job and reports its decision.

use serde_json::json;

use crate::invocation::{InvocationRequest, InvocationResponse};
use crate::jobs::{retrain, JobOutcome};
use crate::state::AppState;

pub async fn invoke(
    state: &AppState,
    request: &InvocationRequest,
) -> anyhow::Result<InvocationResponse> {
    let mut logs = vec![super::describe_timer(request)];
    let outcome = retrain::run(state).await?;
    logs.push(match &outcome {
        JobOutcome::Done(r) => format!(
            "model version {} {}: {}",
            r.version,
            r.status.as_str(),
            r.decision
        ),
        JobOutcome::Skipped { reason } => format!("retrain skipped: {reason}"),
    });
    Ok(InvocationResponse::new(logs, json!(outcome)))
}
