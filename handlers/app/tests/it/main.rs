//! movierec's integration tests: one test binary with a module per area, so the release app
//! is linked once and `common` compiled once (`cargo test --release -p movierec --test it`;
//! one area: `... --test it contract::`). Each module's doc says what it checks.

mod common;

mod ab_arms;
mod app_definition;
mod app_insights;
mod cancel;
mod catalogue_import;
mod cli;
mod contract;
mod dashboard;
mod deploy;
mod end_to_end;
mod faults;
mod handoff;
mod hostile;
mod infra;
mod metrics;
mod model_cache;
mod online;
mod openapi;
mod settings_agree;
mod shards;
mod spark_handoff;
mod spark_import;
mod spark_interop;
mod traces;
