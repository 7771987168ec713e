//! The HTTP surface, the same for the Functions host and standalone mode:
//!
//! - `GET /recommendations/{user}?n=10`: GetRecommendations (forwarded as is by
//!   the host, which has `enableForwardingHttpRequest` and an empty route prefix);
//! - `POST /IngestRatings`, `/RetrainModel`, `/RecommendAllUsers`: the host's
//!   invocations of the non-HTTP functions;
//! - `POST /events`: standalone mode's stand-in for the Event Hub;
//! - `GET /` and `GET /dashboard`: the Dashboard page; `GET /dashboard/{view}`:
//!   DashboardData, its figures as JSON;
//! - `GET /healthz`.
//!
//! Errors become JSON answers in one place, [`ApiError`].

mod error;
pub mod params;
mod routes;

pub use error::ApiError;
pub use routes::router;
