//! The HTTP surface, the same for the Functions host and standalone mode:
//!
//! - `GET /recommendations/{user}?n=10`: GetRecommendations (forwarded as is by
//!   the host, which has `enableForwardingHttpRequest` and an empty route prefix);
//! - `POST /IngestRatings`, `/RetrainModel`, `/RecommendAllUsers`: the host's
//!   invocations of the non-HTTP functions;
//! - `POST /events`: standalone mode's stand-in for the Event Hub;
//! - `GET /` and `GET /dashboard`: the Dashboard page; `GET /dashboard/{view}`:
//!   DashboardData, its figures as JSON;
//! - `GET /healthz`; under the host, `GET /` without an invocation id is the
//!   host's health ping and gets a constant answer.
//!
//! Body limits are per route (events, host batches, timers); slow bodies time
//! out; standalone writes pass [`guard`] first; every answer carries security
//! headers.
//!
//! Errors become JSON answers in one place, [`ApiError`].

mod error;
pub mod guard;
pub mod params;
mod routes;

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
pub use routes::router;
