//! # http: the app's one HTTP surface, the same for the Functions host and standalone mode
//!
//! - `GET /recommendations/{user}?n=&offset=&genre=&exclude=`: GetRecommendations
//!   (forwarded as is by the host, which has `enableForwardingHttpRequest` and
//!   an empty route prefix), to `crate::serving`;
//! - `GET /movies/{movie}/similar?n=`: SimilarMovies, to `crate::serving`;
//! - `POST /movies`: UpsertMovies, movie patches, to `crate::catalogue`;
//! - `GET /openapi.json`: OpenApi, the document of all of these
//!   (handlers/app/openapi.json, tested against them in tests/it/openapi.rs);
//! - `POST /IngestRatings`, `/RetrainModel`, `/RecommendAllUsers`: the host's
//!   invocations of the non-HTTP functions;
//! - `POST /events`: standalone mode's stand-in for the Event Hub;
//! - `GET /` and `GET /dashboard`: the Dashboard page; `GET /dashboard/{view}`:
//!   DashboardData, its figures as JSON;
//! - `GET /metrics`: what this instance counted, in Prometheus' text format
//!   ([`metrics`], from `crate::telemetry`);
//! - `GET /healthz`; under the host, `GET /` without an invocation id is the
//!   host's health ping and gets a constant answer.
//!
//! Each request runs in its span when spans are taken ([`spans`]: an
//! OpenTelemetry exporter, or the host's invocation id on the log lines).
//!
//! Body limits are per route (events, host batches, timers); slow bodies time
//! out; standalone writes pass [`guard`] first; every answer carries security
//! headers.
//!
//! Owns: routes, body limits, the standalone write guard, and the mapping of
//! every layer's error to a status ([`ApiError::status`], the only one).
//! Must not touch: what an answer holds (`crate::serving`,
//! `crate::dashboard`, `crate::functions` decide that) or the store directly.

mod error;
pub mod guard;
pub mod metrics;
mod routes;
pub mod spans;

/// Who the app answers: the Functions host (on its port, behind its keys),
/// or clients directly (standalone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Answering a Functions host on its port.
    Host,
    /// On our own: timers, bootstrap, `POST /events`.
    Standalone,
}

pub use error::ApiError;
pub use routes::{router, OPENAPI_DOCUMENT};
