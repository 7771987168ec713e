//! Spans, exported through OpenTelemetry: one per request (`crate::http::spans`)
//! and per job run (`crate::jobs::runtime`), with the store calls on the
//! serving and ingest paths under them ([`store_call`]), and the log lines
//! written inside a span as its events.
//!
//! On when the standard OpenTelemetry settings name a collector:
//! `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`);
//! spans then go over OTLP/HTTP in protobuf. And when the host's Application
//! Insights settings name a resource ([`super::app_insights`]); both at once
//! is allowed. `OTEL_SDK_DISABLED=true` turns both off. Spans are batched on
//! the exporters' own threads (`OTEL_BSP_*` tune them,
//! `OTEL_TRACES_SAMPLER` samples, `OTEL_SERVICE_NAME` names the service,
//! "movierec" otherwise). Off, the spans' call sites are never enabled: a
//! store call pays one relaxed load for its span.
//!
//! The spans are `debug` spans of the targets [`REQUEST_TARGET`], [`JOB_TARGET`]
//! and [`STORE_TARGET`], so that the log filter (`MOVIEREC_LOG`, `info`)
//! leaves them out of the log lines; under the Functions host `main` adds
//! [`REQUEST_TARGET`] to it, so that every line logged during an invocation
//! carries the host's invocation id.
//!
//! Owns the exporter's set-up and the spans' targets and names. Must not
//! decide what a span records: the HTTP layer and the jobs do.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{SpanExporter, WithExportConfig};
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// The request spans' target.
pub const REQUEST_TARGET: &str = "movierec::request";
/// The job spans' target.
pub const JOB_TARGET: &str = "movierec::job";
/// The store calls' target.
pub const STORE_TARGET: &str = "movierec::store";

/// The service name when `OTEL_SERVICE_NAME` does not give one.
const SERVICE_NAME: &str = "movierec";

/// Why spans cannot be exported as configured.
#[derive(Debug, thiserror::Error)]
pub enum TracesError {
    #[error("OpenTelemetry is configured (OTEL_EXPORTER_OTLP_ENDPOINT) but its exporter cannot be built; fix or unset the OTEL_EXPORTER_OTLP_* settings")]
    Otlp(#[source] opentelemetry_otlp::ExporterBuildError),
    #[cfg(feature = "appinsights")]
    #[error("spans cannot go to Application Insights")]
    AppInsights(#[source] super::app_insights::AppInsightsError),
}

/// The exporter, running: spans still queued are sent when it is shut down.
pub struct Exporting(SdkTracerProvider);

impl Exporting {
    /// Sends what is queued and stops the exporter's thread.
    pub fn shutdown(self) {
        if let Err(e) = self.0.shutdown() {
            tracing::warn!(error = %e, "the OpenTelemetry exporter did not shut down cleanly");
        }
    }
}

/// Whether `OTEL_SDK_DISABLED=true` turns every exporter off.
fn sdk_disabled() -> bool {
    std::env::var("OTEL_SDK_DISABLED").is_ok_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Whether the environment asks for spans over OTLP.
pub fn otlp_configured() -> bool {
    let set = |name| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    !sdk_disabled()
        && (set("OTEL_EXPORTER_OTLP_ENDPOINT") || set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
}

/// The layer that turns movierec's spans into OpenTelemetry spans and the
/// exporters behind it, when one is configured; the layer takes movierec's own
/// targets from `debug` up, and nothing of other crates.
#[allow(clippy::type_complexity)]
pub fn layer<S>() -> Result<Option<(impl Layer<S>, Exporting)>, TracesError>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    let mut provider = SdkTracerProvider::builder();
    let mut exporting = false;
    if otlp_configured() {
        let exporter = SpanExporter::builder()
            .with_http()
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .build()
            .map_err(TracesError::Otlp)?;
        provider = provider.with_batch_exporter(exporter);
        exporting = true;
    }
    #[cfg(feature = "appinsights")]
    if let Some(app_insights) = super::app_insights::AppInsights::from_env()
        .map_err(TracesError::AppInsights)?
        .filter(|_| !sdk_disabled())
    {
        let exporter = app_insights.exporter().map_err(TracesError::AppInsights)?;
        provider = provider.with_batch_exporter(exporter);
        exporting = true;
    }
    if !exporting {
        return Ok(None);
    }
    let name = std::env::var("OTEL_SERVICE_NAME")
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| SERVICE_NAME.to_string());
    let resource = Resource::builder()
        .with_service_name(name)
        .with_attribute(opentelemetry::KeyValue::new(
            "service.version",
            env!("CARGO_PKG_VERSION"),
        ))
        .build();
    let provider = provider.with_resource(resource).build();
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let layer = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("movierec"))
        .with_filter(Targets::new().with_target("movierec", tracing::Level::DEBUG));
    Ok(Some((layer, Exporting(provider))))
}

/// A store call's span, under the request's or job's: `call` is the store
/// method. None when spans are off (one relaxed load), and none outside a
/// span: a request that was not sampled traces none of its store calls.
pub fn store_call(call: &'static str) -> tracing::Span {
    if !tracing::span_enabled!(target: STORE_TARGET, tracing::Level::DEBUG) {
        return tracing::Span::none();
    }
    let parent = tracing::Span::current();
    if parent.is_none() {
        return parent;
    }
    tracing::debug_span!(target: STORE_TARGET, parent: &parent, "store", otel.name = call, db.operation.name = call)
}
