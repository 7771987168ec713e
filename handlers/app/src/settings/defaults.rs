//! Every setting the app reads, with its default, as data: [`table`].
//!
//! Each default is defined once: the app's own choices are the constants
//! here, the timers' in [`super::schedules`], the model parameters in
//! `movierec_core` ([`AlsParams::tuned`], [`AlsParams::ranking`]), the limits
//! in [`Limits::default`] and the Cosmos DB client's tuning in
//! `movierec_store::CosmosConfig::new`. [`table`] renders them as the
//! variables would spell them, so what repeats them outside Rust (the README's
//! configuration table, infra/*.bicep, the local.settings.json that
//! `movierec package` writes) is checked against it
//! (handlers/app/tests/it/settings_agree.rs).

use movierec_core::als::AlsParams;

use super::schedules::SCHEDULE_DEFAULTS;
use super::{Limits, Online, Shards, AB_SALT, TRAINER_DEFAULT};

/// The embedded SQLite store's directory (MOVIEREC_STORE).
pub const STORE_DIR: &str = ".movierec";
/// The Cosmos DB database (MOVIEREC_COSMOS_DATABASE).
pub const COSMOS_DATABASE: &str = "movierec";
/// Length of each user's stored list (MOVIEREC_TOP_N): 50, so a GET's
/// second to fifth page of 10, or a genre filter, is answered from the
/// published list (README, Serving: filters).
pub const TOP_N: usize = 50;
/// MOVIEREC_PROMOTION_MARGIN: 2%.
pub const PROMOTION_MARGIN: f64 = 0.02;
/// Share of ratings held out to evaluate a new model (MOVIEREC_HOLDOUT_FRACTION).
pub const HOLDOUT_FRACTION: f64 = 0.1;
/// Seed of the holdout split (MOVIEREC_HOLDOUT_SEED).
pub const HOLDOUT_SEED: u64 = 42;
/// Tune the ranking model's regularisation at every retrain (MOVIEREC_RANKING_TUNE).
pub const RANKING_TUNE: bool = true;
/// Count requests, ingests and jobs and answer `GET /metrics` (MOVIEREC_METRICS).
pub const METRICS: bool = true;
/// Share of requests without a caller's trace context that open a span when
/// spans are exported (MOVIEREC_TRACE_SAMPLE). A span per request costs a GET
/// about a third of its throughput at this server's rates; a hundredth of
/// them is enough to see where time goes.
pub const TRACE_SAMPLE: f64 = 0.01;
/// Spans go to Application Insights when the host's settings name one
/// (MOVIEREC_APPINSIGHTS_SPANS; `crate::telemetry::app_insights`).
pub const APPINSIGHTS_SPANS: bool = true;
/// The data set `serve` imports into an empty store (MOVIEREC_BOOTSTRAP_DATA),
/// relative to the working directory: the project root, or the packaged app
/// folder, which `movierec package --with-data` lays out the same way.
pub const BOOTSTRAP_DATA: &str = "data/ml-latest-small";
/// How long the dashboard reuses store-wide counts (MOVIEREC_DASHBOARD_CACHE_SECONDS).
pub const DASHBOARD_CACHE_SECONDS: u64 = 60;

/// Where settings are read besides [`super::Settings::from_env`].
pub const READ_BY_SETTINGS: &str = "settings::Settings::from_env";

/// One setting.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// The environment variable (app setting).
    pub name: &'static str,
    /// The default as the variable would spell it. `None`: no fixed default:
    /// required, unset unless given, taken from another variable, or
    /// depending on the mode (the README's table says which).
    pub default: Option<String>,
    /// What reads it.
    pub read_by: &'static str,
}

fn setting(name: &'static str, default: impl ToString) -> Setting {
    Setting {
        name,
        default: Some(default.to_string()),
        read_by: READ_BY_SETTINGS,
    }
}

fn no_default(name: &'static str, read_by: &'static str) -> Setting {
    Setting {
        name,
        default: None,
        read_by,
    }
}

/// Every setting the app reads, in the README's order.
pub fn table() -> Vec<Setting> {
    let tuned = AlsParams::tuned();
    let ranking = AlsParams::ranking();
    let limits = Limits::default();
    let shards = Shards::default();
    let online = Online::default();
    let mut table = vec![
        setting("MOVIEREC_STORE", STORE_DIR),
        no_default("MOVIEREC_COSMOS_ENDPOINT", READ_BY_SETTINGS),
        setting("MOVIEREC_COSMOS_DATABASE", COSMOS_DATABASE),
        no_default("MOVIEREC_COSMOS_CLIENT_ID", READ_BY_SETTINGS),
        no_default("MOVIEREC_COSMOS_KEY", READ_BY_SETTINGS),
        no_default("MOVIEREC_COSMOS_REGION", READ_BY_SETTINGS),
        no_default("MOVIEREC_COSMOS_CREATE", READ_BY_SETTINGS),
    ];
    table.extend(cosmos_tuning());
    table.push(setting("MOVIEREC_TOP_N", TOP_N));
    for (name, schedule) in SCHEDULE_DEFAULTS {
        table.push(Setting {
            name,
            default: Some(schedule.to_string()),
            read_by: "the Functions host (function.json), standalone::scheduler",
        });
    }
    table.extend([
        setting("MOVIEREC_PROMOTION_MARGIN", PROMOTION_MARGIN),
        setting("MOVIEREC_HOLDOUT_FRACTION", HOLDOUT_FRACTION),
        setting("MOVIEREC_HOLDOUT_SEED", HOLDOUT_SEED),
        setting("MOVIEREC_RANK", tuned.rank),
        setting("MOVIEREC_ITERATIONS", tuned.iterations),
        setting("MOVIEREC_REG", tuned.reg),
        setting("MOVIEREC_BIAS_REG", tuned.bias_reg),
        setting("MOVIEREC_REG_EXPONENT", tuned.reg_exponent),
        setting("MOVIEREC_BIASES", tuned.biases),
        setting("MOVIEREC_SEED", tuned.seed),
        setting("MOVIEREC_RANKING_RANK", ranking.rank),
        setting("MOVIEREC_RANKING_ITERATIONS", ranking.iterations),
        setting("MOVIEREC_RANKING_REG", ranking.reg),
        setting("MOVIEREC_RANKING_ALPHA", ranking.alpha),
        setting(
            "MOVIEREC_RANKING_UNOBSERVED_WEIGHT",
            ranking.unobserved_weight,
        ),
        setting("MOVIEREC_RANKING_TUNE", RANKING_TUNE),
        setting("MOVIEREC_METRICS", METRICS),
        setting("MOVIEREC_TRACE_SAMPLE", TRACE_SAMPLE),
        Setting {
            read_by:
                "telemetry::app_insights, from main (read before the settings, with the span exporters)",
            ..setting("MOVIEREC_APPINSIGHTS_SPANS", APPINSIGHTS_SPANS)
        },
        setting("MOVIEREC_IMPRESSIONS_SAMPLE", online.impressions_sample),
        setting(
            "MOVIEREC_IMPRESSIONS_PER_SECOND",
            online.impressions_per_second,
        ),
        setting(
            "MOVIEREC_IMPRESSIONS_RETENTION_DAYS",
            online.impressions_retention.as_secs() / 86_400,
        ),
        setting(
            "MOVIEREC_LIKED_WITHIN_MINUTES",
            online.liked_within.as_secs() / 60,
        ),
        // unset: no A/B test
        no_default("MOVIEREC_AB_TEST", READ_BY_SETTINGS),
        setting("MOVIEREC_AB_SALT", AB_SALT),
        setting("MOVIEREC_TRAINER", TRAINER_DEFAULT),
        // required with MOVIEREC_TRAINER=external
        no_default("MOVIEREC_EXTERNAL_MODELS", READ_BY_SETTINGS),
        setting("MOVIEREC_SHARD_USERS", shards.users),
        setting("MOVIEREC_SHARD_WORKERS", shards.workers),
        setting(
            "MOVIEREC_SHARD_RESEND_SECONDS",
            shards.resend_after.as_secs(),
        ),
        setting("MOVIEREC_MAX_EVENTS_BYTES", limits.events_body_bytes),
        setting(
            "MOVIEREC_MAX_INVOCATION_BYTES",
            limits.invocation_body_bytes,
        ),
        setting(
            "MOVIEREC_DEAD_LETTERS_PER_BATCH",
            limits.dead_letters_per_batch,
        ),
        setting(
            "MOVIEREC_DEAD_LETTER_RETENTION_DAYS",
            limits
                .dead_letter_retention
                .map_or(0, |r| r.as_secs() / 86_400),
        ),
        setting("MOVIEREC_MODEL_VERSIONS_KEPT", limits.model_versions_kept),
        setting("MOVIEREC_JOB_LEASE_SECONDS", limits.job_lease.as_secs()),
        setting("MOVIEREC_MAX_CONNECTIONS", limits.max_connections),
        setting(
            "MOVIEREC_HEADER_TIMEOUT_SECONDS",
            limits.header_timeout.as_secs(),
        ),
        setting(
            "MOVIEREC_BODY_TIMEOUT_SECONDS",
            limits.body_timeout.as_secs(),
        ),
        setting(
            "MOVIEREC_SQLITE_WAL_LIMIT_MB",
            limits.sqlite_wal_limit_bytes >> 20,
        ),
        setting("MOVIEREC_BOOTSTRAP_DATA", BOOTSTRAP_DATA),
        // true: bootstrap under the host too; false: never; unset: standalone only
        no_default("MOVIEREC_BOOTSTRAP", "server::run"),
        setting("MOVIEREC_DASHBOARD_CACHE_SECONDS", DASHBOARD_CACHE_SECONDS),
        // unset: ./functions, else the executable's folder
        no_default("MOVIEREC_FUNCTIONS_DIR", READ_BY_SETTINGS),
        // unset: info for serve, warn otherwise
        no_default(
            "MOVIEREC_LOG",
            "main, and the ratings generator's (the tracing filter)",
        ),
        no_default(
            "MOVIEREC_EVENTHUB_NAMESPACE",
            "the ratings generator (its --namespace)",
        ),
        no_default(
            "FUNCTIONS_CUSTOMHANDLER_PORT",
            "main, server::mode_and_addr (set by the Functions host)",
        ),
    ]);
    table
}

/// MOVIEREC_COSMOS_CONCURRENCY and MOVIEREC_COSMOS_THROTTLE_RETRIES: the
/// Cosmos DB client's defaults.
#[cfg(feature = "cosmos")]
fn cosmos_tuning() -> [Setting; 2] {
    use movierec_store::{CosmosAuth, CosmosConfig};
    let config = CosmosConfig::new(
        String::new(),
        COSMOS_DATABASE,
        CosmosAuth::Identity { client_id: None },
    );
    [
        setting("MOVIEREC_COSMOS_CONCURRENCY", config.concurrency),
        setting("MOVIEREC_COSMOS_THROTTLE_RETRIES", config.throttle_retries),
    ]
}

/// Without Cosmos DB support the build reads neither.
#[cfg(not(feature = "cosmos"))]
fn cosmos_tuning() -> [Setting; 2] {
    [
        no_default("MOVIEREC_COSMOS_CONCURRENCY", "(not in this build)"),
        no_default("MOVIEREC_COSMOS_THROTTLE_RETRIES", "(not in this build)"),
    ]
}

/// The default of `name` as the variable would spell it (`None`: no such
/// setting, or no fixed default).
pub fn default_of(name: &str) -> Option<String> {
    table()
        .into_iter()
        .find(|s| s.name == name)
        .and_then(|s| s.default)
}
