//! The app's `POST /events` (standalone mode) as a target: a batch goes as
//! one JSON array, and the answer ([`movierec_wire::EventsAnswer`]) says what
//! the app stored.
//!
//! Owns the HTTP exchange only; it never retries (the run loop does) and
//! never reads the app's store.

use movierec_wire::EventsAnswer;

use crate::error::SendError;
use crate::event::OutgoingEvent;

pub struct HttpTarget {
    client: reqwest::Client,
    url: String,
}

impl HttpTarget {
    pub fn new(url: &str) -> Self {
        HttpTarget {
            client: reqwest::Client::new(),
            url: url.to_string(),
        }
    }

    /// POSTs the batch as a JSON array of the events' texts (a cut-off event
    /// is sent as a JSON string, as an Event Hub body that is not JSON arrives).
    pub async fn post(&self, batch: &[OutgoingEvent]) -> Result<EventsAnswer, SendError> {
        let url = &self.url;
        let items: Vec<serde_json::Value> = batch
            .iter()
            .map(|e| {
                serde_json::from_str(&e.body)
                    .unwrap_or_else(|_| serde_json::Value::String(e.body.clone()))
            })
            .collect();
        let response = self
            .client
            .post(url)
            .json(&items)
            .send()
            .await
            .map_err(|source| SendError::Post {
                url: url.clone(),
                source,
            })?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(SendError::Refused {
                url: url.clone(),
                status,
                body,
            });
        }
        serde_json::from_str(&body).map_err(|source| SendError::Answer {
            url: url.clone(),
            status,
            body,
            source,
        })
    }
}
