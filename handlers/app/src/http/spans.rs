//! Each request's span (`crate::telemetry::traces`): the route as registered,
//! the method, the status, for an invocation the function's name, the host's
//! invocation id, and the caller's trace context continued. Under the
//! Functions host that context is the `traceparent` .NET's HttpClient adds to
//! every request the host makes while its invocation's activity is current,
//! and a forwarded HTTP request keeps its caller's; a standalone caller's is
//! continued the same way. The recommendations route opens its own span from
//! the same parts, without the layer ([`request_span`]), and adds the list's
//! source and arm (`routes.rs`).
//!
//! Which requests open a span ([`Sampling`]): under the host, every one (its
//! log lines name the invocation; what is exported follows the host's
//! `traceparent` sampled flag, through the SDK's parent-based sampler);
//! standalone, a request whose caller sent a `traceparent` follows its sampled
//! flag, and of the others a share (MOVIEREC_TRACE_SAMPLE, a hundredth by
//! default): a span per request would cost GETs a third of their throughput.
//!
//! When nothing takes these spans (no exporter, not under the host) the
//! routes are built without the layer ([`traced`]) and the recommendations
//! route records nothing: a GET costs what it did without them.

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::MethodRouter;
use opentelemetry_http::HeaderExtractor;
use tracing::{Instrument, Span};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::metrics::FUNCTION_ROUTE;
use crate::functions::Function;
use crate::state::AppState;
use crate::telemetry::traces::REQUEST_TARGET;

/// The header the host puts on every invocation and forwarded request.
pub const INVOCATION_ID: &str = "x-azure-functions-invocationid";

/// Whether anything takes request spans (decided once, when the subscriber is set).
pub fn wanted() -> bool {
    tracing::span_enabled!(target: REQUEST_TARGET, tracing::Level::DEBUG)
}

/// Which requests open a span; see the module doc.
#[derive(Debug, Clone, Copy)]
pub struct Sampling {
    /// Every request (under the host).
    pub every: bool,
    /// Share of requests without a `traceparent` (MOVIEREC_TRACE_SAMPLE).
    pub share: f64,
}

impl Sampling {
    /// Whether the request with `headers` opens a span.
    pub fn opens_span(&self, headers: &HeaderMap) -> bool {
        if self.every {
            return true;
        }
        match headers.get("traceparent").map(|v| v.as_bytes()) {
            // version-traceid-parentid-flags: the caller's decision is the
            // flags' low bit, in their second hex digit
            Some(value) if value.len() >= 55 => char::from(value[54])
                .to_digit(16)
                .is_some_and(|digit| digit & 1 == 1),
            Some(_) => false,
            None => self.share > 0.0 && rand::random::<f64>() < self.share,
        }
    }
}

/// A request's span, its parent the caller's trace context when it sent one.
pub fn request_span(method: &str, route: &'static str, headers: &HeaderMap) -> Span {
    let span = tracing::debug_span!(
        target: REQUEST_TARGET,
        "request",
        otel.name = %format_args!("{method} {route}"),
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        http.request.method = method,
        http.route = route,
        http.response.status_code = tracing::field::Empty,
        faas.invocation_id = tracing::field::Empty,
        faas.name = tracing::field::Empty,
        movierec.list.source = tracing::field::Empty,
        movierec.arm = tracing::field::Empty,
    );
    if span.is_disabled() {
        return span;
    }
    if let Some(id) = headers.get(INVOCATION_ID).and_then(|v| v.to_str().ok()) {
        span.record("faas.invocation_id", id);
    }
    let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&HeaderExtractor(headers))
    });
    // Without an exporter (the host's log lines only) there is no context to join.
    let _ = span.set_parent(parent);
    span
}

/// Records the answer's status on a request span.
pub fn record_status(span: &Span, status: u16) {
    if span.is_disabled() {
        return;
    }
    span.record("http.response.status_code", status);
    if status >= 500 {
        span.record("otel.status_code", "error");
    }
}

/// `method_router` with a span for each request `sampling` picks, when [`wanted`].
pub fn traced(
    sampling: Sampling,
    route: &'static str,
    method_router: MethodRouter<AppState>,
) -> MethodRouter<AppState> {
    if !wanted() {
        return method_router;
    }
    method_router.layer(axum::middleware::from_fn_with_state(
        Route { route, sampling },
        open_span,
    ))
}

/// What the layer of one route knows: its pattern, and which requests to trace.
#[derive(Clone, Copy)]
struct Route {
    route: &'static str,
    sampling: Sampling,
}

/// The layer: runs the request inside its span and records the answer.
async fn open_span(
    State(Route { route, sampling }): State<Route>,
    request: Request,
    next: Next,
) -> Response {
    if !sampling.opens_span(request.headers()) {
        return next.run(request).await;
    }
    let span = request_span(request.method().as_str(), route, request.headers());
    if route == FUNCTION_ROUTE {
        let name = request.uri().path().trim_start_matches('/');
        if let Some(function) = Function::from_name(name) {
            span.record("faas.name", function.name());
        }
    }
    let response = next.run(request).instrument(span.clone()).await;
    record_status(&span, response.status().as_u16());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_traceparent(flags: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = format!("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-{flags}");
        headers.insert("traceparent", value.parse().unwrap());
        headers
    }

    #[test]
    fn a_callers_sampled_flag_decides_and_the_share_picks_among_the_rest() {
        let none = Sampling {
            every: false,
            share: 0.0,
        };
        assert!(none.opens_span(&with_traceparent("01")));
        assert!(none.opens_span(&with_traceparent("0b")), "low bit set");
        assert!(!none.opens_span(&with_traceparent("00")));
        assert!(!none.opens_span(&with_traceparent("0a")), "low bit clear");
        assert!(!none.opens_span(&HeaderMap::new()));
        let all = Sampling {
            every: false,
            share: 1.0,
        };
        assert!(all.opens_span(&HeaderMap::new()));
        assert!(
            !all.opens_span(&with_traceparent("00")),
            "the caller said no"
        );
        let host = Sampling {
            every: true,
            share: 0.0,
        };
        assert!(
            host.opens_span(&with_traceparent("00")),
            "every invocation names itself in the logs"
        );
        let tenth = Sampling {
            every: false,
            share: 0.1,
        };
        let opened = (0..20_000)
            .filter(|_| tenth.opens_span(&HeaderMap::new()))
            .count();
        assert!((1_600..2_400).contains(&opened), "{opened} of 20,000");
    }
}
