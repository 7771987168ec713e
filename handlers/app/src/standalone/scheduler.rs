//! Fires timer functions on their NCRONTAB schedules, as the host would, with
//! the host's timer payload. The two jobs share the store's lease, so a timer
//! that fires while the other job runs is skipped, never run concurrently.

use chrono::Utc;
use serde_json::json;
use tokio::task::JoinHandle;

use super::function_json::{resolve_setting, FunctionDef};
use super::ncrontab;
use crate::functions::run_timer;
use crate::invocation::InvocationRequest;
use crate::state::AppState;

/// Defaults for the schedule settings function.json refers to.
pub const SCHEDULE_DEFAULTS: &[(&str, &str)] = &[
    ("MOVIEREC_RETRAIN_SCHEDULE", "0 0 */6 * * *"),
    ("MOVIEREC_RECOMMEND_SCHEDULE", "0 */5 * * * *"),
];

/// One timer function and its parsed schedule.
pub struct Timer {
    pub function: String,
    pub expression: String,
    pub schedule: cron::Schedule,
    pub run_on_startup: bool,
}

/// The timers among `defs`, with schedules resolved and checked.
pub fn timers(defs: &[FunctionDef]) -> anyhow::Result<Vec<Timer>> {
    let mut timers = Vec::new();
    for def in defs {
        let Some(trigger) = def.trigger().filter(|t| t.kind == "timerTrigger") else {
            continue;
        };
        let raw = trigger.schedule.as_deref().unwrap_or_default();
        let expression = resolve_setting(raw, SCHEDULE_DEFAULTS)?;
        let schedule = ncrontab::parse(&expression)?;
        timers.push(Timer {
            function: def.name.clone(),
            expression,
            schedule,
            run_on_startup: trigger.run_on_startup,
        });
    }
    Ok(timers)
}

/// The payload the host sends a timer function.
fn timer_payload(
    last: Option<chrono::DateTime<Utc>>,
    next: Option<chrono::DateTime<Utc>>,
) -> InvocationRequest {
    let status = last.map(|l| json!({"Last": l.to_rfc3339(), "Next": next.map(|n| n.to_rfc3339()), "LastUpdated": l.to_rfc3339()}));
    serde_json::from_value(json!({
        "Data": {"timer": {"Schedule": {"AdjustForDST": true}, "ScheduleStatus": status, "IsPastDue": false}},
        "Metadata": {"sys": {"UtcNow": Utc::now().to_rfc3339()}}
    }))
    .expect("static payload")
}

/// Starts one task per timer; abort the handles to stop them.
pub fn spawn(state: AppState, timers: Vec<Timer>) -> Vec<JoinHandle<()>> {
    timers
        .into_iter()
        .map(|timer| {
            let state = state.clone();
            tokio::spawn(async move {
                tracing::info!(
                    function = timer.function,
                    schedule = timer.expression,
                    "timer scheduled"
                );
                let mut last = None;
                if timer.run_on_startup {
                    fire(&state, &timer, last, None).await;
                    last = Some(Utc::now());
                }
                loop {
                    let Some(next) = timer.schedule.upcoming(Utc).next() else {
                        return;
                    };
                    let wait = (next - Utc::now()).to_std().unwrap_or_default();
                    tokio::time::sleep(wait).await;
                    fire(&state, &timer, last, timer.schedule.upcoming(Utc).next()).await;
                    last = Some(next);
                }
            })
        })
        .collect()
}

async fn fire(
    state: &AppState,
    timer: &Timer,
    last: Option<chrono::DateTime<Utc>>,
    next: Option<chrono::DateTime<Utc>>,
) {
    match run_timer(state, &timer.function, &timer_payload(last, next)).await {
        Ok(response) => {
            for line in response.logs {
                tracing::info!(function = timer.function, "{line}");
            }
        }
        Err(e) => {
            tracing::error!(function = timer.function, error = %format!("{e:#}"), "timer function failed")
        }
    }
}
