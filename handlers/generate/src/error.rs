//! The generator's errors, each keeping what caused it as its source:
//! [`SendError`] (one batch to one target), [`ConnectError`] (reaching an
//! Event Hub) and [`RunError`] (why a run stopped short), and [`report`],
//! which prints an error with its causes.
//!
//! A leaf: it names no other module of the crate, so every target can use
//! it without depending on another target.

use std::error::Error;
use std::time::Duration;

use azure_messaging_eventhubs::EventHubsError;

/// A failed send of one batch.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("cannot write to stdout")]
    Stdout(#[source] std::io::Error),
    #[error("GET {url} failed")]
    Get {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("POST {url} failed")]
    Post {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("POST {url} answered {status}: {body}")]
    Refused {
        url: String,
        status: reqwest::StatusCode,
        body: String,
    },
    #[error("POST {url} answered {status} with a body that is not the app's answer: {body}")]
    Answer {
        url: String,
        status: reqwest::StatusCode,
        body: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("Event Hubs: {operation}")]
    EventHub {
        operation: &'static str,
        #[source]
        source: Box<EventHubsError>,
    },
    /// A call that got no answer in time (`--send-timeout`): the connection
    /// is suspect, and the next try opens a new one.
    #[error("Event Hubs: {operation}: no answer within {within:?}")]
    NoAnswer {
        operation: &'static str,
        within: Duration,
    },
    #[error("Event Hubs: reconnect")]
    Reconnect(#[source] Box<ConnectError>),
    #[error("an event of {0} bytes does not fit in an empty Event Hubs batch")]
    TooLarge(usize),
}

impl SendError {
    /// Worth trying again: a connection failure, a 5xx, a throttle (429), any
    /// Event Hubs failure but an event too large to ever fit; not another
    /// 4xx, not an answer that cannot be read, not stdout.
    pub fn retryable(&self) -> bool {
        match self {
            SendError::Stdout(_) | SendError::Answer { .. } | SendError::TooLarge(_) => false,
            SendError::Refused { status, .. } => {
                status.is_server_error() || *status == reqwest::StatusCode::TOO_MANY_REQUESTS
            }
            SendError::Get { .. }
            | SendError::Post { .. }
            | SendError::EventHub { .. }
            | SendError::NoAnswer { .. }
            | SendError::Reconnect(_) => true,
        }
    }
}

/// An Event Hub could not be reached.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Credential(#[from] movierec_azure::CredentialError),
    #[error("cannot open Event Hub {namespace}/{hub} (check the namespace, the hub name and that your identity has the Azure Event Hubs Data Sender role)")]
    Open {
        namespace: String,
        hub: String,
        #[source]
        source: Box<EventHubsError>,
    },
    #[error("cannot read the Event Hub's partitions")]
    Properties(#[source] Box<EventHubsError>),
    #[error("Event Hub {0} has no partitions")]
    NoPartitions(String),
    #[error("Event Hubs: {operation}: no answer within {within:?}")]
    NoAnswer {
        operation: &'static str,
        within: Duration,
    },
}

/// Why a run stopped short.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A batch still failed after the retries; the run stopped there.
    #[error("a batch of {events} events could not be sent after {retries} retries; {sent_before} events were sent before it, {events} not")]
    Batch {
        events: u64,
        retries: u32,
        sent_before: u64,
        #[source]
        source: SendError,
    },
    /// Every batch went, but the target did not close cleanly.
    #[error("closing the target failed")]
    Close(#[source] SendError),
}

/// `error` and its causes on one line, `outer: cause: root cause`, leaving
/// out a cause whose text the previous one already shows.
pub fn report(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut last = text.clone();
    let mut cause = error.source();
    while let Some(e) = cause {
        let this = e.to_string();
        if !last.contains(&this) {
            text.push_str(": ");
            text.push_str(&this);
        }
        last = this;
        cause = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: u16) -> SendError {
        SendError::Refused {
            url: "http://127.0.0.1:7071/events".into(),
            status: reqwest::StatusCode::from_u16(status).unwrap(),
            body: String::new(),
        }
    }

    #[test]
    fn server_errors_and_throttles_are_retried_and_client_errors_are_not() {
        assert!(refused(500).retryable());
        assert!(refused(503).retryable());
        assert!(refused(429).retryable());
        assert!(!refused(400).retryable());
        assert!(!refused(413).retryable());
        assert!(SendError::NoAnswer {
            operation: "send a batch",
            within: Duration::from_secs(5)
        }
        .retryable());
        assert!(!SendError::TooLarge(2_000_000).retryable());
        assert!(!SendError::Stdout(std::io::ErrorKind::BrokenPipe.into()).retryable());
    }

    #[test]
    fn a_report_shows_every_cause_once() {
        let e = RunError::Batch {
            events: 10,
            retries: 2,
            sent_before: 0,
            source: SendError::Stdout(std::io::Error::other("pipe closed")),
        };
        assert_eq!(
            report(&e),
            "a batch of 10 events could not be sent after 2 retries; 0 events were sent before it, 10 not: cannot write to stdout: pipe closed"
        );
    }
}
