//! What the fake host puts on the wire, read back byte by byte by a raw TCP
//! server that records each request and answers from a script.

use std::sync::{Arc, Mutex};

use movierec_fakehost::{EventBatch, FakeHost, TimerPayload, HOST_VERSION};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
struct Recorded {
    request_line: String,
    /// In the order sent, names as sent.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Data chunks of a chunked body.
    chunks: usize,
}

impl Recorded {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// A server answering the n-th request with `answers[n]` (the last one after that).
async fn recorder(answers: Vec<(u16, Value)>) -> (FakeHost, Arc<Mutex<Vec<Recorded>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen: Arc<Mutex<Vec<Recorded>>> = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            let mut reader = BufReader::new(socket);
            let mut request_line = String::new();
            reader.read_line(&mut request_line).await.unwrap();
            let mut headers = Vec::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).await.unwrap();
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                let (n, v) = line.split_once(':').unwrap();
                headers.push((n.to_string(), v.trim().to_string()));
            }
            let find = |name: &str| {
                headers
                    .iter()
                    .find(|(n, _): &&(String, String)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.clone())
            };
            let (mut body, mut chunks) = (Vec::new(), 0);
            if find("transfer-encoding").as_deref() == Some("chunked") {
                loop {
                    let mut size = String::new();
                    reader.read_line(&mut size).await.unwrap();
                    let size = usize::from_str_radix(size.trim(), 16).unwrap();
                    let mut data = vec![0; size + 2];
                    reader.read_exact(&mut data).await.unwrap();
                    if size == 0 {
                        break;
                    }
                    chunks += 1;
                    body.extend_from_slice(&data[..size]);
                }
            } else if let Some(n) = find("content-length") {
                body = vec![0; n.parse().unwrap()];
                reader.read_exact(&mut body).await.unwrap();
            }
            let n = {
                let mut seen = log.lock().unwrap();
                seen.push(Recorded {
                    request_line: request_line.trim_end().to_string(),
                    headers,
                    body,
                    chunks,
                });
                seen.len() - 1
            };
            let (status, answer) = answers[n.min(answers.len() - 1)].clone();
            let text = answer.to_string();
            let response = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
            let mut socket = reader.into_inner();
            socket.write_all(response.as_bytes()).await.unwrap();
            socket.shutdown().await.unwrap();
        }
    });
    (FakeHost::new(&url), seen)
}

fn ok(logs: &[&str]) -> (u16, Value) {
    (
        200,
        json!({"Outputs": {}, "Logs": logs, "ReturnValue": null}),
    )
}

#[tokio::test]
async fn an_invocation_is_chunked_with_the_hosts_headers() {
    let (host, seen) = recorder(vec![ok(&["done"])]).await;
    let events: Vec<String> = (0..200)
        .map(|i| json!({"UserId": i, "MovieId": 1, "Rating": 4.0, "Timestamp": i}).to_string())
        .collect();
    let answer = host
        .deliver_events("IngestRatings", &EventBatch::new("1", 40, events.clone()))
        .await
        .unwrap();
    assert_eq!(answer.host_logs(), ["done"]);

    let r = seen.lock().unwrap()[0].clone();
    assert_eq!(r.request_line, "POST /IngestRatings HTTP/1.1");
    assert_eq!(r.header("Transfer-Encoding"), Some("chunked"));
    assert_eq!(r.header("Content-Length"), None);
    assert!(r.chunks > 1, "a large body goes in several chunks");
    assert_eq!(
        r.header("Content-Type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(
        r.header("X-Azure-Functions-HostVersion"),
        Some(HOST_VERSION)
    );
    assert_eq!(
        r.header("User-Agent").unwrap(),
        format!("Azure-Functions-Host/{HOST_VERSION}")
    );
    assert_eq!(
        r.header("X-Azure-Functions-InvocationId").unwrap().len(),
        36
    );
    assert!(r.header("Host").unwrap().starts_with("127.0.0.1:"));

    let body = r.json();
    let data = body["Data"]["events"]
        .as_str()
        .expect("Data.events is one string");
    let decoded: Vec<String> = serde_json::from_str(data).expect("of an array of strings");
    assert_eq!(decoded, events);
    let meta = &body["Metadata"];
    for key in [
        "SequenceNumberArray",
        "OffsetArray",
        "EnqueuedTimeUtcArray",
        "PartitionKeyArray",
        "PropertiesArray",
        "SystemPropertiesArray",
    ] {
        let text = meta[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} is a string"));
        let array: Value = serde_json::from_str(text).unwrap();
        assert_eq!(array.as_array().unwrap().len(), 200, "{key}");
    }
    let sequence: Vec<i64> =
        serde_json::from_str(meta["SequenceNumberArray"].as_str().unwrap()).unwrap();
    assert_eq!(sequence[..2], [40, 41]);
    let times: Vec<String> =
        serde_json::from_str(meta["EnqueuedTimeUtcArray"].as_str().unwrap()).unwrap();
    assert!(!times[0].ends_with('Z'), "{}", times[0]);
    assert!(meta["PartitionContext"].is_object());
    assert_eq!(meta["PartitionContext"]["PartitionId"], "1");
    assert!(meta["sys"].is_object());
    assert!(meta.get("RetryContext").is_none());
}

#[tokio::test]
async fn the_ping_is_a_bare_get_with_only_a_host_header() {
    let (host, seen) = recorder(vec![(200, json!("pong"))]).await;
    let ping = host.ping().await.unwrap();
    assert_eq!(ping.status, 200);
    let r = seen.lock().unwrap()[0].clone();
    assert_eq!(r.request_line, "GET / HTTP/1.1");
    assert_eq!(r.headers.len(), 1, "{:?}", r.headers);
    assert_eq!(r.headers[0].0, "Host");
    assert!(r.body.is_empty());
}

#[tokio::test]
async fn a_failing_batch_is_sent_again_with_a_retry_context() {
    let failed = (
        500,
        json!({"Outputs": {}, "Logs": ["store down"], "ReturnValue": null}),
    );
    let (host, seen) = recorder(vec![failed.clone(), failed, ok(&["stored"])]).await;
    let batch = EventBatch::new("0", 7, ["{}"]);
    let delivery = host
        .deliver_with_retries("IngestRatings", &batch, -1)
        .await
        .unwrap();
    assert_eq!(delivery.retries(), 2);
    assert!(delivery.succeeded());
    assert!(
        delivery.attempts[0].host_logs().is_empty(),
        "dropped with a 500"
    );
    assert_eq!(delivery.last().host_logs(), ["stored"]);
    let seen = seen.lock().unwrap().clone();
    assert!(seen[0].json()["Metadata"].get("RetryContext").is_none());
    for (n, r) in seen.iter().enumerate().skip(1) {
        let retry = &r.json()["Metadata"]["RetryContext"];
        assert_eq!(retry["RetryCount"], n as i64);
        assert_eq!(retry["MaxRetryCount"], -1);
        assert!(retry["Exception"]["InnerException"]["Message"]
            .as_str()
            .unwrap()
            .contains("500 (Internal Server Error)"));
        assert_eq!(r.json()["Data"], seen[0].json()["Data"], "the same batch");
    }
    let distinct: std::collections::HashSet<_> = seen
        .iter()
        .map(|r| {
            r.header("X-Azure-Functions-InvocationId")
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(distinct.len(), 3, "each attempt is its own invocation");

    let (host, seen) = recorder(vec![(503, json!({}))]).await;
    let delivery = host.deliver_with_retries("F", &batch, 2).await.unwrap();
    assert_eq!((delivery.retries(), delivery.succeeded()), (2, false));
    assert_eq!(seen.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn a_timer_is_an_object_in_a_chunked_body() {
    let (host, seen) = recorder(vec![ok(&[])]).await;
    host.fire_timer("RetrainModel", &TimerPayload::new(false, true))
        .await
        .unwrap();
    let r = seen.lock().unwrap()[0].clone();
    assert_eq!(r.request_line, "POST /RetrainModel HTTP/1.1");
    assert_eq!(r.header("Transfer-Encoding"), Some("chunked"));
    let body = r.json();
    assert_eq!(
        body["Data"]["timer"],
        json!({"Schedule": {"AdjustForDST": true}, "ScheduleStatus": null, "IsPastDue": true})
    );
    assert_eq!(body["Metadata"]["sys"]["MethodName"], "RetrainModel");
}

#[tokio::test]
async fn a_forwarded_request_keeps_the_callers_headers_and_adds_the_hosts() {
    let (host, seen) = recorder(vec![(200, json!({"items": []}))]).await;
    let answer = host.get("/recommendations/3?n=5").await.unwrap();
    assert_eq!(answer.json(), json!({"items": []}));
    let r = seen.lock().unwrap()[0].clone();
    assert_eq!(r.request_line, "GET /recommendations/3?n=5 HTTP/1.1");
    assert_eq!(r.header("Host"), Some("localhost:7071"));
    assert_eq!(r.header("Accept"), Some("*/*"));
    assert_eq!(
        r.header("User-Agent").unwrap(),
        format!("curl/8.5.0 Azure-Functions-Host/{HOST_VERSION}")
    );
    assert!(r.header("X-Azure-Functions-InvocationId").is_some());
    assert_eq!(r.header("Transfer-Encoding"), None);
}
