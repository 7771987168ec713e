//! Fires timer functions on their NCRONTAB schedules, as the host would, by
//! running their jobs ([`Function::timer_job`]) with the job runtime. The
//! two jobs share the store's lease, so a timer that fires while the other
//! job runs is skipped, never run concurrently.

use chrono::Utc;
use tokio::task::JoinHandle;

use super::function_json::{resolve_setting, FunctionDef, FunctionJsonError};
use super::ncrontab::{self, ScheduleError};
use super::queues::LocalQueues;
use crate::functions::Function;
use crate::jobs::Job;
use crate::state::AppState;

/// Defaults for the schedule settings function.json refers to, defined in
/// [`crate::settings::schedules`].
pub use crate::settings::SCHEDULE_DEFAULTS;

/// A timer of function.json that cannot be scheduled.
#[derive(Debug, thiserror::Error)]
pub enum TimerError {
    #[error("{0} has a timer trigger, but no job runs on a timer under that name")]
    NoJob(String),
    #[error(transparent)]
    Setting(#[from] FunctionJsonError),
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
}

/// One timer function and its parsed schedule.
pub struct Timer {
    pub function: Function,
    pub job: Job,
    pub expression: String,
    pub schedule: cron::Schedule,
    pub run_on_startup: bool,
}

/// The timers among `defs`, with schedules resolved and checked.
pub fn timers(defs: &[FunctionDef]) -> Result<Vec<Timer>, TimerError> {
    let mut timers = Vec::new();
    for def in defs {
        let Some(trigger) = def.trigger().filter(|t| t.kind == "timerTrigger") else {
            continue;
        };
        let (function, job) = Function::from_name(&def.name)
            .and_then(|f| Some((f, f.timer_job()?)))
            .ok_or_else(|| TimerError::NoJob(def.name.clone()))?;
        let raw = trigger.schedule.as_deref().unwrap_or_default();
        let expression = resolve_setting(raw, SCHEDULE_DEFAULTS)?;
        let schedule = ncrontab::parse(&expression)?;
        timers.push(Timer {
            function,
            job,
            expression,
            schedule,
            run_on_startup: trigger.run_on_startup,
        });
    }
    Ok(timers)
}

/// Starts one task per timer; abort the handles to stop them. A timer's
/// queue outputs go to `queues`.
pub fn spawn(state: AppState, timers: Vec<Timer>, queues: LocalQueues) -> Vec<JoinHandle<()>> {
    timers
        .into_iter()
        .map(|timer| {
            let state = state.clone();
            let queues = queues.clone();
            tokio::spawn(async move {
                tracing::info!(
                    function = timer.function.name(),
                    schedule = timer.expression,
                    "timer scheduled"
                );
                if timer.run_on_startup {
                    fire(&state, &queues, &timer).await;
                }
                loop {
                    let Some(next) = timer.schedule.upcoming(Utc).next() else {
                        return;
                    };
                    let wait = (next - Utc::now()).to_std().unwrap_or_default();
                    tokio::time::sleep(wait).await;
                    fire(&state, &queues, &timer).await;
                }
            })
        })
        .collect()
}

async fn fire(state: &AppState, queues: &LocalQueues, timer: &Timer) {
    let function = timer.function.name();
    match timer.job.clone().run(state).await {
        Ok(ran) => {
            tracing::info!(function, "{}", ran.line());
            queues.send_shards(timer.function, ran.shards());
        }
        Err(e) => tracing::error!(
            function,
            error = &e as &dyn std::error::Error,
            "timer function failed"
        ),
    }
}
