//! What came back, and what the host makes of it.
//!
//! `DefaultHttpWorkerService.ProcessDefaultInvocationRequest`
//! (src/WebJobs.Script/Workers/Http/DefaultHttpWorkerService.cs, lines
//! 179-220) calls `EnsureSuccessStatusCode()` before it reads the body: a
//! non-2xx answer fails the invocation with an `HttpRequestException` and its
//! `Logs`, `Outputs` and `ReturnValue` are never read. A 2xx body must parse as
//! `{"Outputs", "Logs", "ReturnValue"}` (else the invocation fails too), and
//! each `Logs` line is logged at Information (`ProcessLogsFromHttpResponse`,
//! lines 240-261).

use std::time::Duration;

use bytes::Bytes;
use hyper::HeaderMap;
use serde_json::Value;

use crate::dotnet::exception;

/// The handler's answer to one invocation (`POST /<FunctionName>`).
#[derive(Debug, Clone)]
pub struct HostAnswer {
    pub status: u16,
    /// The body as JSON (`Value::Null` if it is not JSON), whatever the status.
    pub body: Value,
    /// The body as text.
    pub text: String,
}

impl HostAnswer {
    pub(crate) fn new(status: u16, bytes: &[u8]) -> Self {
        HostAnswer {
            status,
            body: serde_json::from_slice(bytes).unwrap_or(Value::Null),
            text: String::from_utf8_lossy(bytes).into_owned(),
        }
    }

    /// The invocation succeeded: a 2xx status and a body of the host's shape.
    pub fn succeeded(&self) -> bool {
        (200..300).contains(&self.status) && self.body.is_object()
    }

    /// The lines the host writes to the function's log: the `Logs` of a
    /// successful answer; none of a failed one (the host never reads them).
    pub fn host_logs(&self) -> Vec<String> {
        if !self.succeeded() {
            return Vec::new();
        }
        self.body["Logs"]
            .as_array()
            .map(|lines| {
                lines
                    .iter()
                    .map(|l| l.as_str().map_or_else(|| l.to_string(), str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The `ReturnValue` the host takes, if the invocation succeeded.
    pub fn return_value(&self) -> Option<&Value> {
        self.succeeded().then(|| &self.body["ReturnValue"])
    }

    /// The exception a failed invocation of `function` ends with, as a retry's
    /// `RetryContext.Exception` carries it (None if it succeeded).
    pub fn exception(&self, function: &str) -> Option<Value> {
        if self.succeeded() {
            return None;
        }
        let inner = if (200..300).contains(&self.status) {
            exception(
                "System.InvalidOperationException",
                &format!("Invalid HttpResponseMessage:\n{}", self.text),
                None,
            )
        } else {
            exception(
                "System.Net.Http.HttpRequestException",
                &format!(
                    "Response status code does not indicate success: {} ({}).",
                    self.status,
                    reason_phrase(self.status)
                ),
                None,
            )
        };
        Some(exception(
            "Microsoft.Azure.WebJobs.Host.FunctionInvocationException",
            &format!("Exception while executing function: Functions.{function}"),
            Some(inner),
        ))
    }
}

fn reason_phrase(status: u16) -> &'static str {
    hyper::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Unknown")
}

/// Every attempt of one delivery under a retry policy, in order.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub attempts: Vec<HostAnswer>,
}

impl Delivery {
    /// The last attempt's answer.
    pub fn last(&self) -> &HostAnswer {
        self.attempts.last().expect("at least one attempt")
    }

    pub fn succeeded(&self) -> bool {
        self.last().succeeded()
    }

    /// How many times the batch was sent again.
    pub fn retries(&self) -> usize {
        self.attempts.len() - 1
    }
}

/// The answer to the host's ping, `GET /` with no headers but `Host`.
#[derive(Debug, Clone)]
pub struct Ping {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Bytes,
    /// From sending the request to the end of the body.
    pub elapsed: Duration,
}

/// The answer to a forwarded HTTP request (`enableForwardingHttpRequest`).
#[derive(Debug, Clone)]
pub struct Forwarded {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Forwarded {
    pub fn content_type(&self) -> Option<&str> {
        self.headers.get("content-type")?.to_str().ok()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; panics with the body if it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{e}: the answer ({}) is not JSON: {}",
                self.status,
                self.text()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn logs_of_a_failed_answer_are_dropped_as_the_host_drops_them() {
        let body = json!({"Outputs": {}, "Logs": ["stored"], "ReturnValue": 1}).to_string();
        let ok = HostAnswer::new(200, body.as_bytes());
        assert_eq!(ok.host_logs(), ["stored"]);
        assert_eq!(ok.return_value(), Some(&json!(1)));
        assert!(ok.exception("F").is_none());
        let failed = HostAnswer::new(500, body.as_bytes());
        assert!(failed.host_logs().is_empty());
        assert!(failed.return_value().is_none());
        assert_eq!(failed.body["Logs"][0], "stored", "still readable by a test");
        let e = failed.exception("IngestRatings").unwrap();
        assert_eq!(
            e["InnerException"]["Message"],
            "Response status code does not indicate success: 500 (Internal Server Error)."
        );
        assert!(!HostAnswer::new(200, b"not json").succeeded());
    }
}
