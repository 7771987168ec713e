//! What this instance counts, for `GET /metrics` in Prometheus' text format:
//! requests by route, list source and status with their latency, the events
//! ingest stored, found unchanged or dead-lettered, and job runs by outcome
//! with their duration ([`Telemetry`]); and, read at each scrape, the serving
//! version and the snapshot caches' hits and loads ([`InstanceFigures`]).
//!
//! Owns the registry and the names and labels of what is counted (`labels`).
//! Callers report into it: the HTTP layer (`crate::http::metrics`), ingest
//! (`crate::functions::ingest_ratings`) and the job runtime
//! (`crate::jobs::runtime`). It must not read the store, the serving path or
//! the jobs itself: what it shows of them is handed to [`Telemetry::encode`]
//! by the route.
//!
//! Off (MOVIEREC_METRICS=false), each record is one branch and `GET /metrics`
//! answers 404. The figures are this process's own: under the Functions host
//! every instance counts its own requests, so a scrape of the app's URL
//! reaches one instance of several.

#[cfg(feature = "appinsights")]
pub mod app_insights;
mod labels;
pub mod traces;

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use crate::snapshot::SnapshotCount;
use labels::{CacheLabels, IngestLabels, JobLabels, JobName, RequestLabels, RouteLabels};

/// The content type of [`Telemetry::encode`]'s text (OpenMetrics 1.0, which
/// Prometheus reads).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Request latency buckets: 100 µs doubling to 3.3 s.
fn request_buckets() -> impl Iterator<Item = f64> {
    exponential_buckets(0.0001, 2.0, 16)
}

/// Job duration buckets: 0.1 s doubling to 27 minutes.
fn job_buckets() -> impl Iterator<Item = f64> {
    exponential_buckets(0.1, 2.0, 15)
}

/// The process's counters; see the module doc.
pub struct Telemetry {
    enabled: bool,
    registry: Registry,
    requests: Requests,
    ingest_events: Family<IngestLabels, Counter>,
    job_runs: Family<JobLabels, Counter>,
    job_seconds: Family<JobName, Histogram>,
}

/// The two request families (the `Arc`s inside are shared by the clones).
#[derive(Clone)]
struct Requests {
    counts: Family<RequestLabels, Counter>,
    seconds: Family<RouteLabels, Histogram>,
}

impl Requests {
    fn record(&self, route: &'static str, source: &'static str, status: u16, took: Duration) {
        self.counts
            .get_or_create(&RequestLabels {
                route,
                source,
                status,
            })
            .inc();
        self.seconds
            .get_or_create(&RouteLabels { route, source })
            .observe(took.as_secs_f64());
    }
}

/// One route's counters. Its usual answers (status 200, by list source) go
/// to series resolved when the route was built: an atomic add and a
/// histogram's observe, no label lookup. Other statuses are looked up. A
/// clone (one per request, as a handler's state) is one `Arc`.
#[derive(Clone)]
pub struct RouteCounter(Arc<RouteSeries>);

struct RouteSeries {
    enabled: bool,
    route: &'static str,
    requests: Requests,
    ok: Vec<(&'static str, Counter, Histogram)>,
}

impl RouteCounter {
    /// The route's pattern, as its label says it.
    pub fn route(&self) -> &'static str {
        self.0.route
    }

    /// One answer of this route, counted under `route` instead (an
    /// invocation, by the function it names).
    pub fn record_as(&self, route: &'static str, status: u16, took: Duration) {
        if self.0.enabled {
            self.0.requests.record(route, "", status, took);
        }
    }

    /// One answer of this route: its list's `source` (`""` if none), status
    /// and time to the answer.
    pub fn record(&self, source: &'static str, status: u16, took: Duration) {
        let series = &*self.0;
        if !series.enabled {
            return;
        }
        if status == 200 {
            if let Some((_, count, seconds)) = series.ok.iter().find(|(s, ..)| *s == source) {
                count.inc();
                seconds.observe(took.as_secs_f64());
                return;
            }
        }
        series.requests.record(series.route, source, status, took);
    }
}

/// What the route reads of the rest of the instance at a scrape.
#[derive(Debug, Clone, Default)]
pub struct InstanceFigures {
    /// The published model version, which this instance serves.
    pub serving_version: Option<u64>,
    /// Each snapshot cache's hits and loads.
    pub caches: Vec<SnapshotCount>,
    /// Served lists not recorded as impressions: the queue was full or the
    /// store refused them (`crate::impressions`).
    pub impressions_dropped: u64,
}

impl Telemetry {
    pub fn new(enabled: bool) -> Self {
        let mut registry = Registry::with_prefix("movierec");
        let requests = Requests {
            counts: Family::default(),
            seconds: Family::new_with_constructor(
                (|| Histogram::new(request_buckets())) as fn() -> Histogram,
            ),
        };
        let ingest_events = Family::<IngestLabels, Counter>::default();
        let job_runs = Family::<JobLabels, Counter>::default();
        let job_seconds = Family::<JobName, Histogram>::new_with_constructor(
            (|| Histogram::new(job_buckets())) as fn() -> Histogram,
        );
        registry.register(
            "http_requests",
            "HTTP requests answered, by route, list source (GET /recommendations) and status",
            requests.counts.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from the request's arrival to its answer, by route and list source",
            requests.seconds.clone(),
        );
        registry.register(
            "ingest_events",
            "Rating events ingested, by outcome (stored, unchanged, dead_lettered)",
            ingest_events.clone(),
        );
        registry.register(
            "job_runs",
            "Job runs, by job and outcome (done, skipped, stopped, failed)",
            job_runs.clone(),
        );
        registry.register(
            "job_duration_seconds",
            "Job run durations, by job",
            job_seconds.clone(),
        );
        Telemetry {
            enabled,
            registry,
            requests,
            ingest_events,
            job_runs,
            job_seconds,
        }
    }

    /// The counters of `route`, with its 200 answers of each of `sources`
    /// resolved now (`[""]` for a route without lists).
    pub fn route(&self, route: &'static str, sources: &[&'static str]) -> RouteCounter {
        let ok = if self.enabled {
            sources
                .iter()
                .map(|&source| {
                    let labels = RequestLabels {
                        route,
                        source,
                        status: 200,
                    };
                    let count = self.requests.counts.get_or_create_owned(&labels);
                    let seconds = self
                        .requests
                        .seconds
                        .get_or_create_owned(&RouteLabels { route, source });
                    (source, count, seconds)
                })
                .collect()
        } else {
            Vec::new()
        };
        RouteCounter(Arc::new(RouteSeries {
            enabled: self.enabled,
            route,
            requests: self.requests.clone(),
            ok,
        }))
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// One ingested batch's events.
    pub fn record_ingest(&self, stored: usize, unchanged: usize, dead_lettered: usize) {
        if !self.enabled {
            return;
        }
        for (outcome, n) in [
            ("stored", stored),
            ("unchanged", unchanged),
            ("dead_lettered", dead_lettered),
        ] {
            self.ingest_events
                .get_or_create(&IngestLabels { outcome })
                .inc_by(n as u64);
        }
    }

    /// One job run and how it ended.
    pub fn record_job(&self, job: &'static str, outcome: &'static str, took: Duration) {
        if !self.enabled {
            return;
        }
        self.job_runs
            .get_or_create(&JobLabels { job, outcome })
            .inc();
        self.job_seconds
            .get_or_create(&JobName { job })
            .observe(took.as_secs_f64());
    }

    /// Everything counted, and `figures`, in the text format; `None` when off.
    pub fn encode(&self, figures: &InstanceFigures) -> Option<String> {
        if !self.enabled {
            return None;
        }
        let mut read = Registry::with_prefix("movierec");
        read.register_collector(Box::new(figures.clone()));
        let mut text = String::with_capacity(16 << 10);
        encode_registry(&mut text, &self.registry).expect("a String takes any text");
        encode_registry(&mut text, &read).expect("a String takes any text");
        encode_eof(&mut text).expect("a String takes any text");
        Some(text)
    }
}

/// The figures read at a scrape, written as the registry's own: one family
/// per name, the caches as a label.
impl Collector for InstanceFigures {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        if let Some(version) = self.serving_version {
            let gauge = ConstGauge::new(version as i64);
            gauge.encode(encoder.encode_descriptor(
                "serving_model_version",
                "The model version this instance serves.",
                None,
                gauge.metric_type(),
            )?)?;
        }
        let dropped = ConstCounter::new(self.impressions_dropped);
        dropped.encode(encoder.encode_descriptor(
            "impressions_dropped",
            "Served lists not recorded as impressions (queue full, or the store refused them).",
            None,
            dropped.metric_type(),
        )?)?;
        for (name, help, pick) in [
            (
                "snapshot_hits",
                "Reads answered by a snapshot this instance held, by cache.",
                (|c| c.hits) as fn(&SnapshotCount) -> u64,
            ),
            (
                "snapshot_loads",
                "Snapshots this instance loaded from the store, by cache.",
                |c| c.loads,
            ),
        ] {
            let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
            for count in &self.caches {
                let counter = ConstCounter::new(pick(count));
                counter.encode(family.encode_family(&CacheLabels { cache: count.cache })?)?;
            }
        }
        Ok(())
    }
}
