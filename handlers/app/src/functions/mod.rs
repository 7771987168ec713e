//! The functions, one module each, by their names in `functions/`
//! (`dashboard` serves both `Dashboard` and `DashboardData`).
//!
//! A function module turns its trigger's payload into a job or store call and
//! the result into the host's answer. The same entry points serve the
//! Functions host (through [`crate::http`]) and the standalone scheduler.

pub mod dashboard;
pub mod get_recommendations;
pub mod ingest_ratings;
pub mod recommend_all_users;
pub mod retrain_model;

/// Function names, exactly as the folders under `functions/`.
pub const INGEST_RATINGS: &str = "IngestRatings";
pub const RETRAIN_MODEL: &str = "RetrainModel";
pub const RECOMMEND_ALL_USERS: &str = "RecommendAllUsers";
pub const GET_RECOMMENDATIONS: &str = "GetRecommendations";

use crate::invocation::{InvocationRequest, InvocationResponse};
use crate::state::AppState;

/// Runs a timer-triggered function by name (host invocation or standalone timer).
pub async fn run_timer(
    state: &AppState,
    name: &str,
    request: &InvocationRequest,
) -> anyhow::Result<InvocationResponse> {
    match name {
        RETRAIN_MODEL => retrain_model::invoke(state, request).await,
        RECOMMEND_ALL_USERS => recommend_all_users::invoke(state, request).await,
        other => anyhow::bail!("{other} is not a timer function"),
    }
}

/// The timer payload's past-due flag and last run, for the log line.
pub fn describe_timer(request: &InvocationRequest) -> String {
    let timer = request.data.values().next();
    let past_due = timer
        .and_then(|t| t.get("IsPastDue"))
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let last = timer
        .and_then(|t| t.pointer("/ScheduleStatus/Last"))
        .and_then(|v| v.as_str())
        .map(|s| format!(", last run {s}"))
        .unwrap_or_default();
    format!(
        "timer fired{}{last}",
        if past_due { " (past due)" } else { "" }
    )
}
