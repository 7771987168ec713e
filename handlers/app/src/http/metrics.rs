//! `GET /metrics`, and the layer that counts each route's answers into
//! `crate::telemetry`: by route (the pattern as registered, or the function's
//! name for an invocation) and status, with the time to the answer. The
//! recommendations route counts its own, by list source too
//! ([`recommendations_counter`]).
//!
//! With MOVIEREC_METRICS=false the routes are built without the layer, so a
//! GET costs what it did before, and `GET /metrics` answers 404.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;

use crate::functions::Function;
use crate::serving::Source;
use crate::state::AppState;
use crate::telemetry::{InstanceFigures, RouteCounter, CONTENT_TYPE};

/// What the layer of one route knows: its counters.
#[derive(Clone)]
struct Counted(RouteCounter);

/// `method_router`, counted as `route` when metrics are on: a layer of its
/// own per route, so the label is the pattern as registered, with nothing
/// read from the request to find it.
pub fn counted(
    state: &AppState,
    route: &'static str,
    method_router: MethodRouter<AppState>,
) -> MethodRouter<AppState> {
    if !state.telemetry.enabled() {
        return method_router;
    }
    let counter = state.telemetry.route(route, &[""]);
    method_router.layer(axum::middleware::from_fn_with_state(
        Counted(counter),
        count,
    ))
}

/// The layer: times the request and counts its answer.
async fn count(State(Counted(counter)): State<Counted>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let function = match counter.route() {
        // `/{function}` matches any name: an invocation is counted by the
        // function it names.
        FUNCTION_ROUTE => Function::from_name(request.uri().path().trim_start_matches('/')),
        _ => None,
    };
    let response = next.run(request).await;
    let (status, took) = (response.status().as_u16(), started.elapsed());
    match function {
        Some(function) => counter.record_as(function.name(), status, took),
        None => counter.record("", status, took),
    }
    response
}

/// `GET /recommendations/{user}`'s counters, with every list source's 200
/// resolved now. That route counts its own answers (`routes.rs`): a layer
/// would cost the hot path a boxed future, and the list's source would have
/// to reach it in the response's extensions (an allocation).
pub fn recommendations_counter(state: &AppState) -> RouteCounter {
    let sources = Source::ALL.map(Source::as_str);
    state.telemetry.route(RECOMMENDATIONS_ROUTE, &sources)
}

/// The recommendations' route.
pub const RECOMMENDATIONS_ROUTE: &str = "/recommendations/{user}";

/// The invocations' route.
pub const FUNCTION_ROUTE: &str = "/{function}";

/// `GET /metrics`: everything counted, and the serving version and snapshot
/// caches read now, in Prometheus' text format; 404 when metrics are off.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let figures = InstanceFigures {
        // A failed read leaves the gauge out of this scrape, not the rest.
        serving_version: state.serving.serving_version().await.ok().flatten(),
        caches: state.serving.snapshot_counts(),
        impressions_dropped: state.impressions.dropped(),
    };
    match state.telemetry.encode(&figures) {
        Some(text) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "metrics are off (MOVIEREC_METRICS=false)\n",
        )
            .into_response(),
    }
}
