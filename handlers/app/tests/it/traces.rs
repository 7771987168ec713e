//! Spans over OpenTelemetry: `movierec serve` with OTEL_EXPORTER_OTLP_ENDPOINT
//! set sends its spans to an OTLP/HTTP receiver, here one built on the
//! official protobuf definitions (`opentelemetry-proto`; no OpenTelemetry
//! Collector is packaged in the registries this project reaches). The
//! receiver checks what a user of the traces relies on: the request span
//! continues the caller's trace, names the route, the status, the list's
//! source and the host's invocation id; the store calls and the jobs are
//! spans under it; a log line written during a request is an event of its span.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use serde_json::json;
use tokio::sync::Notify;

use crate::common::{start_serve, traced_ingest, SMALL_MODELS as SMALL};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

/// A span as received, with its service's name.
#[derive(Debug, Clone)]
struct Received {
    service: String,
    span: Span,
}

impl Received {
    fn attr(&self, key: &str) -> Option<String> {
        attribute(&self.span.attributes, key)
    }
    fn trace_id(&self) -> String {
        hex(&self.span.trace_id)
    }
    fn id(&self) -> String {
        hex(&self.span.span_id)
    }
    fn parent(&self) -> String {
        hex(&self.span.parent_span_id)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn attribute(attributes: &[KeyValue], key: &str) -> Option<String> {
    let value = attributes.iter().find(|kv| kv.key == key)?.value.as_ref()?;
    match value.value.as_ref()? {
        AnyValue::StringValue(s) => Some(s.clone()),
        AnyValue::IntValue(i) => Some(i.to_string()),
        AnyValue::BoolValue(b) => Some(b.to_string()),
        AnyValue::DoubleValue(d) => Some(d.to_string()),
        other => Some(format!("{other:?}")),
    }
}

/// An OTLP/HTTP receiver on a free port: `POST /v1/traces` in protobuf.
struct Receiver {
    url: String,
    spans: Arc<(Mutex<Vec<Received>>, Notify)>,
}

impl Receiver {
    async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let spans = Arc::new((Mutex::new(Vec::new()), Notify::new()));
        let app = axum::Router::new()
            .route("/v1/traces", post(receive))
            .with_state(spans.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { url, spans }
    }

    /// Waits until the spans received match `found`, and returns what it found.
    async fn wait_for<T>(&self, what: &str, found: impl Fn(&[Received]) -> Option<T>) -> T {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let arrived = self.spans.1.notified();
            if let Some(hit) = found(&self.spans.0.lock().unwrap()) {
                return hit;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if tokio::time::timeout(left, arrived).await.is_err() {
                let names: Vec<String> = self
                    .spans
                    .0
                    .lock()
                    .unwrap()
                    .iter()
                    .map(|r| r.span.name.clone())
                    .collect();
                panic!("no {what} within 60 s; spans received: {names:?}");
            }
        }
    }
}

async fn receive(
    State(spans): State<Arc<(Mutex<Vec<Received>>, Notify)>>,
    body: Bytes,
) -> ([(&'static str, &'static str); 1], Vec<u8>) {
    let request =
        ExportTraceServiceRequest::decode(body).expect("an OTLP trace export in protobuf");
    let mut received = spans.0.lock().unwrap();
    for resource in request.resource_spans {
        let service = resource
            .resource
            .as_ref()
            .and_then(|r| attribute(&r.attributes, "service.name"))
            .unwrap_or_default();
        for scope in resource.scope_spans {
            for span in scope.spans {
                received.push(Received {
                    service: service.clone(),
                    span,
                });
            }
        }
    }
    spans.1.notify_waiters();
    (
        [("content-type", "application/x-protobuf")],
        ExportTraceServiceResponse::default().encode_to_vec(),
    )
}

fn exporting_to(receiver: &Receiver) -> Vec<(&'static str, String)> {
    vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url.clone()),
        ("OTEL_BSP_SCHEDULE_DELAY", "100".to_string()),
        // every request traced, not a hundredth
        ("MOVIEREC_TRACE_SAMPLE", "1".to_string()),
    ]
}

/// The first span named `name` in the caller's trace.
fn in_trace<'a>(spans: &'a [Received], name: &str) -> Option<&'a Received> {
    spans
        .iter()
        .find(|r| r.span.name == name && r.trace_id() == TRACE_ID)
}

/// The span named `name` in the caller's trace and its child named `child`,
/// once both arrived.
fn with_child(spans: &[Received], name: &str, child: &str) -> Option<(Received, Received)> {
    let parent = in_trace(spans, name)?;
    let child = spans
        .iter()
        .find(|r| r.span.name == child && r.parent() == parent.id())?;
    Some((parent.clone(), child.clone()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_continues_its_callers_trace_with_its_route_source_status_and_store_calls() {
    let receiver = Receiver::start().await;
    let store = tempfile::tempdir().unwrap();
    let otel = exporting_to(&receiver);
    let mut env: Vec<(&str, &str)> = SMALL.to_vec();
    env.extend(otel.iter().map(|(k, v)| (*k, v.as_str())));
    let server = start_serve(store.path(), &env);
    let client = reqwest::Client::new();
    let answer = client
        .get(format!("{}/recommendations/1", server.url))
        .header("traceparent", format!("00-{TRACE_ID}-{CALLER_SPAN}-01"))
        .header(
            "x-azure-functions-invocationid",
            "7d3b2d1e-0c4a-4f7e-9a51-3c1c2f0e8b11",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);

    let (request, user_view) = receiver
        .wait_for("GET span with its store call", |spans| {
            with_child(spans, "GET /recommendations/{user}", "user_view")
        })
        .await;
    assert_eq!(
        request.parent(),
        CALLER_SPAN,
        "the caller's span is the parent"
    );
    assert_eq!(request.span.kind, SpanKind::Server as i32);
    assert_eq!(request.service, "movierec");
    assert_eq!(
        request.attr("http.route").as_deref(),
        Some("/recommendations/{user}")
    );
    assert_eq!(request.attr("http.request.method").as_deref(), Some("GET"));
    assert_eq!(
        request.attr("http.response.status_code").as_deref(),
        Some("200")
    );
    assert_eq!(
        request.attr("movierec.list.source").as_deref(),
        Some("batch")
    );
    assert_eq!(
        request.attr("faas.invocation_id").as_deref(),
        Some("7d3b2d1e-0c4a-4f7e-9a51-3c1c2f0e8b11")
    );
    assert_eq!(user_view.trace_id(), TRACE_ID);
    assert_eq!(
        user_view.attr("db.operation.name").as_deref(),
        Some("user_view")
    );

    // The bootstrap's jobs are spans with their outcome.
    let retrain = receiver
        .wait_for("retrain job span", |spans| {
            spans.iter().find(|r| r.span.name == "retrain").cloned()
        })
        .await;
    assert_eq!(retrain.attr("movierec.outcome").as_deref(), Some("done"));

    // A refused request: its status, an error status for none of it (4xx is the caller's).
    let bad = client
        .get(format!("{}/recommendations/abc", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let refused = receiver
        .wait_for("the 400's span", |spans| {
            spans
                .iter()
                .find(|r| {
                    r.span.name == "GET /recommendations/{user}"
                        && r.attr("http.response.status_code").as_deref() == Some("400")
                })
                .cloned()
        })
        .await;
    assert_ne!(
        refused.trace_id(),
        TRACE_ID,
        "a request without a traceparent starts its own trace"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_the_host_an_invocation_continues_the_hosts_trace_and_carries_its_logs() {
    let receiver = Receiver::start().await;
    let store = tempfile::tempdir().unwrap();
    let otel = exporting_to(&receiver);
    let env: Vec<(&str, &str)> = otel.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let bodies = vec![
        json!({"UserId": 1, "MovieId": 31, "Rating": 2.5, "Timestamp": 1_700_000_000}).to_string(),
        "not json".to_string(),
    ];
    let traceparent = format!("00-{TRACE_ID}-{CALLER_SPAN}-01");
    let _instance = traced_ingest(store.path(), &env, traceparent, bodies).await;

    let (invocation, ingest) = receiver
        .wait_for("the invocation's span and its store call", |spans| {
            with_child(spans, "POST /{function}", "ingest")
        })
        .await;
    assert_eq!(invocation.parent(), CALLER_SPAN);
    assert_eq!(
        invocation.attr("faas.name").as_deref(),
        Some("IngestRatings")
    );
    let id = invocation.attr("faas.invocation_id").unwrap_or_default();
    assert_eq!(id.len(), 36, "the host's invocation id, a GUID: {id:?}");
    assert_eq!(
        invocation.attr("http.response.status_code").as_deref(),
        Some("200")
    );
    assert_eq!(ingest.trace_id(), TRACE_ID);
    // The warning logged for the bad event is an event of the invocation's span.
    let logged: Vec<String> = invocation
        .span
        .events
        .iter()
        .map(|event| event.name.clone())
        .collect();
    assert!(
        logged
            .iter()
            .any(|line| line.contains("dead-lettered bad events")),
        "the invocation's span events: {logged:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_the_host_every_line_logged_during_an_invocation_names_it() {
    use std::io::BufRead;
    // No exporter: the span is there for the log lines alone.
    let store = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_movierec"))
        .arg("serve")
        .current_dir(crate::common::root())
        .env("MOVIEREC_STORE", store.path())
        .env("FUNCTIONS_CUSTOMHANDLER_PORT", port.to_string())
        .env("MOVIEREC_BOOTSTRAP", "false")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let host = movierec_fakehost::FakeHost::new(&format!("http://127.0.0.1:{port}"));
    host.wait_until_ready(Duration::from_secs(30))
        .await
        .unwrap();
    let batch = movierec_fakehost::EventBatch::new("0", 0, ["not json".to_string()]);
    let answer = host.deliver_events("IngestRatings", &batch).await.unwrap();
    assert_eq!(answer.status, 200, "{}", answer.text);
    // The host writes stdout lines to its log as they come: read until the warning.
    let mut reading = tokio::task::spawn_blocking(move || {
        lines
            .map_while(Result::ok)
            .find(|line| line.contains("dead-lettered bad events"))
    });
    // Killing the server ends its stdout, and so the read, if the line never comes.
    let warning = match tokio::time::timeout(Duration::from_secs(60), &mut reading).await {
        Ok(found) => found.unwrap(),
        Err(_) => {
            let _ = child.kill();
            reading.await.unwrap()
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    let warning = warning.expect("the warning about the bad event on stdout within 60 s");
    let id = warning
        .split("faas.invocation_id=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no invocation id in: {warning}"));
    assert_eq!(id.len(), 36, "the host's GUID: {warning}");
    assert!(warning.contains("faas.name=\"IngestRatings\""), "{warning}");
}
