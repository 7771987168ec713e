//! Standalone mode: the same functions with no Functions host.
//!
//! [`function_json`] reads the `functions/*/function.json` files the host
//! would read; [`ncrontab`] turns their timer schedules into `cron` schedules;
//! [`scheduler`] fires the timers; [`queues`] carries their queue outputs
//! to the queue-triggered functions; [`bootstrap`] fills an empty store from the
//! bundled MovieLens set and runs both jobs once, so that `movierec serve`
//! answers with real recommendations from its first request.
//!
//! Owns: what the host would do without a host. Must not touch: what a job
//! or a function does (it calls `crate::jobs` and `crate::functions`), or HTTP.

pub mod bootstrap;
pub mod function_json;
pub mod ncrontab;
pub mod queues;
pub mod scheduler;
