//! Bounds that keep one instance healthy under hostile or runaway input, and
//! the retention of what would otherwise grow without end. Each default is
//! defined here once ([`Limits::default`]); [`Limits::from_env`] reads the
//! settings over it, and [`super::defaults::table`] lists them.

use std::time::Duration;

use super::{check, SettingError, Source};

#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Largest `POST /events` body, and largest standalone write body
    /// (MOVIEREC_MAX_EVENTS_BYTES).
    pub events_body_bytes: usize,
    /// Largest `IngestRatings` invocation body from the Functions host
    /// (MOVIEREC_MAX_INVOCATION_BYTES): a batch of `maxEventBatchSize` events.
    pub invocation_body_bytes: usize,
    /// Bad events of one batch kept one by one; the rest are folded into one
    /// letter (MOVIEREC_DEAD_LETTERS_PER_BATCH).
    pub dead_letters_per_batch: usize,
    /// Dead letters older than this are deleted at each retrain
    /// (MOVIEREC_DEAD_LETTER_RETENTION_DAYS; 0 keeps them forever).
    pub dead_letter_retention: Option<Duration>,
    /// Model versions whose files are kept, newest first, besides the serving
    /// and promoted ones, and as many of each A/B arm's own
    /// (MOVIEREC_MODEL_VERSIONS_KEPT).
    pub model_versions_kept: usize,
    /// How long a job's lease lasts without renewal (MOVIEREC_JOB_LEASE_SECONDS):
    /// after a crash the next job may start this long after the last renewal.
    pub job_lease: Duration,
    /// Open connections served at once; more wait in the listen backlog
    /// (MOVIEREC_MAX_CONNECTIONS).
    pub max_connections: usize,
    /// A connection that sends no complete request head for this long,
    /// idle keep-alive included, is closed (MOVIEREC_HEADER_TIMEOUT_SECONDS).
    pub header_timeout: Duration,
    /// A request body that takes longer than this to arrive is refused
    /// (MOVIEREC_BODY_TIMEOUT_SECONDS).
    pub body_timeout: Duration,
    /// The SQLite write-ahead log is checkpointed and truncated when it grows
    /// past this (MOVIEREC_SQLITE_WAL_LIMIT_MB).
    pub sqlite_wal_limit_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            events_body_bytes: 1 << 20,
            invocation_body_bytes: 16 << 20,
            dead_letters_per_batch: 100,
            dead_letter_retention: Some(Duration::from_secs(30 * 86_400)),
            model_versions_kept: 3,
            job_lease: Duration::from_secs(60),
            max_connections: 512,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            sqlite_wal_limit_bytes: movierec_store::SqliteOptions::default().wal_limit_bytes,
        }
    }
}

impl Limits {
    pub fn from_env() -> Result<Self, SettingError> {
        Self::read(&Source {
            lookup: &|name| std::env::var(name).ok(),
        })
    }

    pub(super) fn read(src: &Source) -> Result<Self, SettingError> {
        let d = Limits::default();
        let seconds = |name: &'static str, default: Duration| -> Result<Duration, SettingError> {
            let s = check(
                name,
                src.parse(name, default.as_secs(), "a whole number of seconds")?,
                |s| s >= 1,
                "at least 1 second",
            )?;
            Ok(Duration::from_secs(s))
        };
        let at_least_one = |name: &'static str, default: usize| {
            check(
                name,
                src.parse(name, default, "a whole number")?,
                |n| n >= 1,
                "at least 1",
            )
        };
        let retention_days = src.parse(
            "MOVIEREC_DEAD_LETTER_RETENTION_DAYS",
            d.dead_letter_retention.map_or(0, |r| r.as_secs() / 86_400),
            "a whole number of days (0 keeps dead letters forever)",
        )?;
        Ok(Limits {
            events_body_bytes: at_least_one("MOVIEREC_MAX_EVENTS_BYTES", d.events_body_bytes)?,
            invocation_body_bytes: at_least_one(
                "MOVIEREC_MAX_INVOCATION_BYTES",
                d.invocation_body_bytes,
            )?,
            dead_letters_per_batch: at_least_one(
                "MOVIEREC_DEAD_LETTERS_PER_BATCH",
                d.dead_letters_per_batch,
            )?,
            dead_letter_retention: (retention_days > 0)
                .then(|| Duration::from_secs(retention_days * 86_400)),
            model_versions_kept: at_least_one(
                "MOVIEREC_MODEL_VERSIONS_KEPT",
                d.model_versions_kept,
            )?,
            job_lease: seconds("MOVIEREC_JOB_LEASE_SECONDS", d.job_lease)?,
            max_connections: at_least_one("MOVIEREC_MAX_CONNECTIONS", d.max_connections)?,
            header_timeout: seconds("MOVIEREC_HEADER_TIMEOUT_SECONDS", d.header_timeout)?,
            body_timeout: seconds("MOVIEREC_BODY_TIMEOUT_SECONDS", d.body_timeout)?,
            sqlite_wal_limit_bytes: at_least_one(
                "MOVIEREC_SQLITE_WAL_LIMIT_MB",
                (d.sqlite_wal_limit_bytes >> 20) as usize,
            )? as u64
                * (1 << 20),
        })
    }
}
