//! [`FakeHost`]: the requests the Functions host sends a custom handler.

use std::future::Future;
use std::time::{Duration, Instant};

use hyper::{Method, Request};
use serde_json::Value;

use crate::answer::{Delivery, Forwarded, HostAnswer, Ping};
use crate::dotnet::guid;
use crate::events::{EventBatch, RetryContext};
use crate::timer::TimerPayload;
use crate::wire::{self, Client, Error, Result};

/// `X-Azure-Functions-HostVersion` (`ScriptHost.Version`, a 4.x host).
pub const HOST_VERSION: &str = "4.1037.1.23605";

/// How many times [`FakeHost::deliver_with_retries`] sends a batch again
/// under `maxRetryCount: -1` (the host retries forever).
pub const FOREVER_CAP: u32 = 100;

/// Speaks to a handler at `base_url` as the host does.
#[derive(Clone)]
pub struct FakeHost {
    base: String,
    client: Client,
    /// The host waits `functionTimeout` + 1 minute for an invocation.
    pub timeout: Duration,
    /// Bytes per chunk of an invocation body.
    pub chunk_size: usize,
    /// The W3C trace context the host's requests carry: .NET's HttpClient
    /// (`DiagnosticsHandler`) adds `traceparent` to every request made while
    /// an activity is current, as the invocation's is whenever Application
    /// Insights or OpenTelemetry is set up; it keeps a forwarded request's own.
    pub traceparent: Option<String>,
}

impl FakeHost {
    /// `base_url` as `http://127.0.0.1:<port>` (the host's `BuildAndGetUri`).
    pub fn new(base_url: &str) -> Self {
        FakeHost {
            base: base_url.trim_end_matches('/').to_string(),
            client: wire::client(),
            timeout: Duration::from_secs(600),
            chunk_size: 4096,
            traceparent: None,
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The ping (`DefaultHttpWorkerService.SendPingRequestAsync`): `GET /`
    /// with no header but `Host`, sent every 25 ms until the handler answers
    /// at start (`IsWorkerReady`) and by the host monitor (`PingAsync`).
    pub async fn ping(&self) -> Result<Ping> {
        let request = Request::get(format!("{}/", self.base))
            .body(wire::empty())
            .expect("a valid request");
        let started = Instant::now();
        let (status, headers, body) = wire::exchange(&self.client, request, self.timeout).await?;
        Ok(Ping {
            status,
            content_type: headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            body,
            elapsed: started.elapsed(),
        })
    }

    /// Pings every 25 ms until the handler answers at all, as the host waits
    /// for a starting handler (`InitializationTimeout`, 30 s by default).
    pub async fn wait_until_ready(&self, within: Duration) -> Result<Ping> {
        let deadline = Instant::now() + within;
        loop {
            match self.ping().await {
                Err(e) if e.refused && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(25)).await
                }
                other => return other,
            }
        }
    }

    /// Posts an invocation body of any shape to `/<function>` exactly as the
    /// host sends one: chunked, with the host's headers.
    pub async fn invoke(&self, function: &str, body: &Value) -> Result<HostAnswer> {
        let bytes = serde_json::to_vec(body).expect("JSON");
        let mut request = Request::post(format!("{}/{function}", self.base));
        if let Some(traceparent) = &self.traceparent {
            request = request.header("traceparent", traceparent.as_str());
        }
        let request = request
            .header("X-Azure-Functions-HostVersion", HOST_VERSION)
            .header("X-Azure-Functions-InvocationId", guid())
            .header("User-Agent", format!("Azure-Functions-Host/{HOST_VERSION}"))
            .header("Content-Type", "application/json; charset=utf-8")
            .body(wire::chunked(bytes, self.chunk_size))
            .map_err(|e| Error {
                message: format!("{function}: {e}"),
                refused: false,
            })?;
        let (status, _, body) = wire::exchange(&self.client, request, self.timeout).await?;
        Ok(HostAnswer::new(status, &body))
    }

    /// Delivers an Event Hub batch to `function`.
    pub async fn deliver_events(&self, function: &str, batch: &EventBatch) -> Result<HostAnswer> {
        self.invoke(function, &batch.invocation(function)).await
    }

    /// Delivers `batch` under a retry policy: while the answer fails, sends it
    /// again with `RetryContext {RetryCount: n, MaxRetryCount, Exception}`,
    /// at most `max_retry_count` times ([`FOREVER_CAP`] for -1). The policy's
    /// waits between attempts are skipped.
    pub async fn deliver_with_retries(
        &self,
        function: &str,
        batch: &EventBatch,
        max_retry_count: i32,
    ) -> Result<Delivery> {
        self.deliver_with_retries_and(function, batch, max_retry_count, |_| async {})
            .await
    }

    /// As [`FakeHost::deliver_with_retries`], running `between` on each failed
    /// answer before the next attempt: what happens while the host waits
    /// (a store comes back, the handler restarts).
    pub async fn deliver_with_retries_and<F, Fut>(
        &self,
        function: &str,
        batch: &EventBatch,
        max_retry_count: i32,
        mut between: F,
    ) -> Result<Delivery>
    where
        F: FnMut(&HostAnswer) -> Fut,
        Fut: Future<Output = ()>,
    {
        let cap = u32::try_from(max_retry_count).unwrap_or(FOREVER_CAP);
        let mut attempt = batch.clone();
        attempt.retry = None;
        let mut attempts = Vec::new();
        loop {
            let answer = self.deliver_events(function, &attempt).await?;
            let done = answer.succeeded() || attempts.len() as u32 >= cap;
            let exception = answer.exception(function);
            attempts.push(answer);
            if done {
                return Ok(Delivery { attempts });
            }
            between(attempts.last().expect("just pushed")).await;
            attempt.retry = Some(RetryContext {
                retry_count: attempts.len() as i32,
                max_retry_count,
                exception: exception.unwrap_or(Value::Null),
            });
        }
    }

    /// Fires a timer function.
    pub async fn fire_timer(&self, function: &str, timer: &TimerPayload) -> Result<HostAnswer> {
        self.invoke(function, &timer.invocation(function)).await
    }

    /// Forwards an HTTP request (`enableForwardingHttpRequest`, a function
    /// with only an httpTrigger and an http output):
    /// `DefaultHttpWorkerService.ProcessHttpInAndOutInvocationRequest`
    /// (lines 74-117) copies the caller's method, path, query, headers and
    /// body (with its Content-Length, `HttpRequestExtensions.ToHttpRequestMessage`)
    /// and adds the invocation headers (`AddHeaders`, lines 161-166).
    pub async fn forward(&self, forwarded: ForwardedRequest) -> Result<Forwarded> {
        let mut request = Request::builder()
            .method(forwarded.method)
            .uri(format!("{}{}", self.base, forwarded.path_and_query));
        let mut agent = None;
        for (name, value) in &forwarded.headers {
            if name.eq_ignore_ascii_case("user-agent") {
                agent = Some(value.clone());
            } else {
                request = request.header(name.as_str(), value.as_str());
            }
        }
        let caller_traced = forwarded
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("traceparent"));
        if let Some(traceparent) = self.traceparent.as_ref().filter(|_| !caller_traced) {
            request = request.header("traceparent", traceparent.as_str());
        }
        let host_agent = format!("Azure-Functions-Host/{HOST_VERSION}");
        let agent = match agent {
            Some(a) => format!("{a} {host_agent}"),
            None => host_agent,
        };
        let request = request
            .header("X-Azure-Functions-HostVersion", HOST_VERSION)
            .header("X-Azure-Functions-InvocationId", guid())
            .header("User-Agent", agent)
            .body(match forwarded.body {
                Some(b) if !b.is_empty() => wire::sized(b),
                _ => wire::empty(),
            })
            .map_err(|e| Error {
                message: format!("{}: {e}", forwarded.path_and_query),
                refused: false,
            })?;
        let (status, headers, body) = wire::exchange(&self.client, request, self.timeout).await?;
        Ok(Forwarded {
            status,
            headers,
            body,
        })
    }

    /// Forwards `GET <path_and_query>` as curl sends it to the host.
    pub async fn get(&self, path_and_query: &str) -> Result<Forwarded> {
        self.forward(ForwardedRequest::get(path_and_query)).await
    }
}

/// A caller's request to the host, to be forwarded to the handler.
#[derive(Debug, Clone)]
pub struct ForwardedRequest {
    pub method: Method,
    /// `/recommendations/42?n=5`
    pub path_and_query: String,
    /// The caller's headers, `Host` included (the host copies them all).
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl ForwardedRequest {
    /// `curl http://localhost:7071<path_and_query>` as `func start` receives it.
    pub fn get(path_and_query: &str) -> Self {
        ForwardedRequest {
            method: Method::GET,
            path_and_query: path_and_query.to_string(),
            headers: vec![
                ("Host".into(), "localhost:7071".into()),
                ("User-Agent".into(), "curl/8.5.0".into()),
                ("Accept".into(), "*/*".into()),
            ],
            body: None,
        }
    }

    /// `curl -X POST -H 'Content-Type: application/json' -d <body>` to the host.
    pub fn post_json(path_and_query: &str, body: &serde_json::Value) -> Self {
        let mut request = ForwardedRequest::get(path_and_query);
        request.method = Method::POST;
        request
            .headers
            .push(("Content-Type".into(), "application/json".into()));
        request.body = Some(body.to_string().into_bytes());
        request
    }
}
