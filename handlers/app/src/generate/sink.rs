//! Where generated events go: stdout as JSON lines, the local app's
//! `POST /events` (standalone mode), or an Event Hub ([`super::eventhub`]).
//! A sink sends one batch at a time and says whether a failure is worth
//! retrying; the loop in `run.rs` does the retrying and the counting.

use std::io::Write;

use super::event::OutgoingEvent;

/// A failed send.
#[derive(Debug)]
pub struct SendError {
    /// Worth trying again (a connection failure, a 5xx, a throttle), or not (a 4xx).
    pub retryable: bool,
    pub message: String,
}

/// What the receiving app said it did with a batch (the HTTP target only).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Stored {
    pub stored: u64,
    pub unchanged: u64,
    pub dead_lettered: u64,
}

pub enum Sink {
    Stdout(std::io::BufWriter<std::io::Stdout>),
    Http {
        client: reqwest::Client,
        url: String,
    },
    #[cfg(feature = "eventhubs")]
    EventHub(Box<super::eventhub::EventHubSink>),
}

impl Sink {
    pub fn stdout() -> Self {
        Sink::Stdout(std::io::BufWriter::new(std::io::stdout()))
    }

    pub fn http(url: &str) -> Self {
        Sink::Http {
            client: reqwest::Client::new(),
            url: url.to_string(),
        }
    }

    /// Sends one batch; `Ok` carries the app's counts when it reports them.
    pub async fn send(&mut self, batch: &[OutgoingEvent]) -> Result<Option<Stored>, SendError> {
        match self {
            Sink::Stdout(out) => {
                let written = batch
                    .iter()
                    .try_for_each(|e| writeln!(out, "{}", e.body))
                    .and_then(|_| out.flush());
                written.map(|_| None).map_err(|e| SendError {
                    retryable: false,
                    message: format!("cannot write to stdout: {e}"),
                })
            }
            Sink::Http { client, url } => post_events(client, url, batch).await.map(Some),
            #[cfg(feature = "eventhubs")]
            Sink::EventHub(hub) => hub.send(batch).await.map(|_| None),
        }
    }

    /// Flushes and closes the connection.
    pub async fn close(self) -> Result<(), SendError> {
        match self {
            Sink::Stdout(mut out) => out.flush().map_err(|e| SendError {
                retryable: false,
                message: format!("cannot write to stdout: {e}"),
            }),
            Sink::Http { .. } => Ok(()),
            #[cfg(feature = "eventhubs")]
            Sink::EventHub(hub) => hub.close().await,
        }
    }
}

/// POSTs the batch as a JSON array of the events' texts (a cut-off event is
/// sent as a JSON string, as an Event Hub body that is not JSON arrives).
async fn post_events(
    client: &reqwest::Client,
    url: &str,
    batch: &[OutgoingEvent],
) -> Result<Stored, SendError> {
    let items: Vec<serde_json::Value> = batch
        .iter()
        .map(|e| {
            serde_json::from_str(&e.body)
                .unwrap_or_else(|_| serde_json::Value::String(e.body.clone()))
        })
        .collect();
    let response = client
        .post(url)
        .json(&items)
        .send()
        .await
        .map_err(|e| SendError {
            retryable: true,
            message: format!("POST {url} failed: {e}"),
        })?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(SendError {
            retryable: status.is_server_error() || status.as_u16() == 429,
            message: format!("POST {url} answered {status}: {body}"),
        });
    }
    let answer: serde_json::Value = serde_json::from_str(&body).map_err(|e| SendError {
        retryable: false,
        message: format!("POST {url} answered {status} with a body that is not JSON ({e}): {body}"),
    })?;
    let count = |key: &str| answer[key].as_u64().unwrap_or(0);
    Ok(Stored {
        stored: count("stored"),
        unchanged: count("unchanged"),
        dead_lettered: count("dead_lettered"),
    })
}
