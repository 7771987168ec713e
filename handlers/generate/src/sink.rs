//! Where generated events go: stdout as JSON lines, the local app's
//! `POST /events` ([`crate::http`]), or an Event Hub ([`crate::eventhub`]).
//! A sink sends one batch at a time and says whether a failure is worth
//! retrying; the loop in `run.rs` does the retrying and the counting.
//!
//! Owns choosing between the targets only; each target owns its protocol.

use std::io::Write;

use movierec_wire::EventsAnswer;

use crate::error::SendError;
use crate::event::OutgoingEvent;
use crate::eventhub::EventHubSink;
use crate::http::HttpTarget;

pub enum Sink {
    Stdout(std::io::BufWriter<std::io::Stdout>),
    Http(HttpTarget),
    EventHub(Box<EventHubSink>),
}

impl Sink {
    pub fn stdout() -> Self {
        Sink::Stdout(std::io::BufWriter::new(std::io::stdout()))
    }

    pub fn http(url: &str) -> Self {
        Sink::Http(HttpTarget::new(url))
    }

    /// Sends one batch; `Ok` carries the app's answer when there is one.
    pub async fn send(
        &mut self,
        batch: &[OutgoingEvent],
    ) -> Result<Option<EventsAnswer>, SendError> {
        match self {
            Sink::Stdout(out) => batch
                .iter()
                .try_for_each(|e| writeln!(out, "{}", e.body))
                .and_then(|_| out.flush())
                .map(|_| None)
                .map_err(SendError::Stdout),
            Sink::Http(target) => target.post(batch).await.map(Some),
            Sink::EventHub(hub) => hub.send(batch).await.map(|_| None),
        }
    }

    /// Flushes and closes the connection.
    pub async fn close(self) -> Result<(), SendError> {
        match self {
            Sink::Stdout(mut out) => out.flush().map_err(SendError::Stdout),
            Sink::Http(_) => Ok(()),
            Sink::EventHub(hub) => hub.close().await,
        }
    }
}
