//! The timers' schedules, defined once. function.json names them
//! (`"schedule": "%MOVIEREC_RETRAIN_SCHEDULE%"`), and the Functions host
//! resolves `%NAME%` from the app settings itself, with no default of its own:
//! so Azure (infra/main.bicep) and `func start` (the local.settings.json that
//! `movierec package` writes from this table) set them, and the standalone
//! scheduler falls back to them when they are unset.

/// RetrainModel's schedule (NCRONTAB, 6 fields): every 6 hours.
pub const RETRAIN_SCHEDULE: &str = "0 0 */6 * * *";

/// RecommendAllUsers' schedule: every 5 minutes (a no-op unless a new model
/// was promoted).
pub const RECOMMEND_SCHEDULE: &str = "0 */5 * * * *";

/// Each schedule setting function.json refers to, with its default.
pub const SCHEDULE_DEFAULTS: &[(&str, &str)] = &[
    ("MOVIEREC_RETRAIN_SCHEDULE", RETRAIN_SCHEDULE),
    ("MOVIEREC_RECOMMEND_SCHEDULE", RECOMMEND_SCHEDULE),
];
