//! `RecommendAllUsers` (timerTrigger, schedule from MOVIEREC_RECOMMEND_SCHEDULE):
//! publishes every user's top-N for a newly promoted model; a no-op when the
//! promoted version is already published.

use serde_json::json;

use crate::invocation::{InvocationRequest, InvocationResponse};
use crate::jobs::{recommend_all, JobOutcome};
use crate::state::AppState;

pub async fn invoke(
    state: &AppState,
    request: &InvocationRequest,
) -> anyhow::Result<InvocationResponse> {
    let mut logs = vec![super::describe_timer(request)];
    let outcome = recommend_all::run(state).await?;
    logs.push(match &outcome {
        JobOutcome::Done(r) => {
            format!(
                "published top-{} for {} users under model version {} in {:.2} s",
                r.top_n, r.users, r.version, r.seconds
            )
        }
        JobOutcome::Skipped { reason } => format!("recommend-for-all skipped: {reason}"),
    });
    Ok(InvocationResponse::new(logs, json!(outcome)))
}
