//! The label sets of [`super::Telemetry`]'s families. Every value is a
//! `&'static str` or a number, so a record builds its key without allocating,
//! and the set of series stays bounded (routes as the router names them, not
//! paths).

use prometheus_client::encoding::EncodeLabelSet;

/// A request: its route, the list's source (`""` for other routes) and the status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: &'static str,
    pub source: &'static str,
    pub status: u16,
}

/// A latency series: the route and the list's source.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: &'static str,
    pub source: &'static str,
}

/// What became of ingested events: `stored`, `unchanged` or `dead_lettered`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct IngestLabels {
    pub outcome: &'static str,
}

/// A job run: the job (as `Job::name` says it) and how it ended.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobLabels {
    pub job: &'static str,
    pub outcome: &'static str,
}

/// A job's duration series.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobName {
    pub job: &'static str,
}

/// A snapshot cache: `model` or `catalogue`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CacheLabels {
    pub cache: &'static str,
}
