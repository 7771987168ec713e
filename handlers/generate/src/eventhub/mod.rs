//! The Event Hubs target, through `azure_messaging_eventhubs`.
//!
//! Events of one user stay in one partition, in order. Two ways to get there:
//! - [`Partitioning::Key`]: each batch carries the user id as its partition key,
//!   and Event Hubs hashes it. A batch holds one user's events, so a run of
//!   events of the same user (a replayed file is ordered by user) is one batch.
//! - [`Partitioning::Hash`]: the partition is chosen here from the user id,
//!   so batches hold many users and fill to the size limit whatever the order.
//!
//! Sign-in is Entra ID ([`movierec_azure::credential`]: a managed identity in
//! Azure, else the developer's `az login`); version 0.15 of the crate has no
//! connection-string (SAS) sign-in, and the infrastructure turns local auth
//! off anyway. A local test server (127.0.0.1, localhost) gets a placeholder
//! token ([`LocalServerToken`]).
//!
//! Layout: `connect` opens the producer, `groups` decides which events
//! travel together, `local_token` is the test server's sign-in; this file
//! sends and resumes. It depends on [`crate::error`] and [`crate::event`]
//! only, never on [`crate::sink`], which depends on it.

mod connect;
mod groups;
mod local_token;

use azure_messaging_eventhubs::{EventDataBatchOptions, ProducerClient};

pub use crate::error::ConnectError;
use crate::error::SendError;
use crate::event::OutgoingEvent;
use connect::open_producer;
pub use local_token::LocalServerToken;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partitioning {
    Key,
    Hash,
}

/// Which Event Hub, and how to reach it.
#[derive(Debug, Clone)]
pub struct EventHubTarget {
    /// `<namespace>.servicebus.windows.net`.
    pub namespace: String,
    pub hub: String,
    /// An AMQP endpoint to connect to instead (a proxy or a local test server),
    /// e.g. `amqp://127.0.0.1:5672`.
    pub endpoint: Option<String>,
    /// Client id of a user-assigned managed identity.
    pub client_id: Option<String>,
    pub partitioning: Partitioning,
    /// How long to wait for a batch's acknowledgement before retrying it.
    pub send_timeout: std::time::Duration,
}

/// Which batch a failed send was (its first event and length), and which of
/// its events were acknowledged.
type Resume = ((Option<String>, usize), Vec<bool>);

pub struct EventHubSink {
    client: ProducerClient,
    partition_ids: Vec<String>,
    partitioning: Partitioning,
    send_timeout: std::time::Duration,
    /// After a failed send: which batch it was (first event, length) and which
    /// of its events were acknowledged, so a retry does not send them twice.
    resume: Option<Resume>,
    /// Kept to reconnect.
    target: EventHubTarget,
    /// The connection is not trusted any more (a send hung on it).
    stale: bool,
}

fn failed(
    operation: &'static str,
) -> impl Fn(azure_messaging_eventhubs::EventHubsError) -> SendError {
    move |source| SendError::EventHub {
        operation,
        source: Box::new(source),
    }
}

impl EventHubSink {
    pub async fn connect(target: &EventHubTarget) -> Result<Self, ConnectError> {
        let (client, partition_ids) = open_producer(target).await?;
        Ok(EventHubSink {
            client,
            partition_ids,
            partitioning: target.partitioning,
            send_timeout: target.send_timeout,
            resume: None,
            target: target.clone(),
            stale: false,
        })
    }

    /// Sends `events` in as few batches as the grouping allows, each filled up
    /// to the hub's size limit. When a send fails part way, the events already
    /// acknowledged are remembered, and a retry of the same events sends only
    /// the rest.
    pub async fn send(&mut self, events: &[OutgoingEvent]) -> Result<(), SendError> {
        if self.stale {
            // The last send hung: abandon that connection and start afresh
            // (the hung send is not awaited any more).
            let (client, partition_ids) = open_producer(&self.target)
                .await
                .map_err(|e| SendError::Reconnect(Box::new(e)))?;
            let old = std::mem::replace(&mut self.client, client);
            self.partition_ids = partition_ids;
            self.stale = false;
            drop(old);
        }
        let identity = (events.first().map(|e| e.body.clone()), events.len());
        let mut acknowledged = match self.resume.take() {
            Some((same, done)) if same == identity => done,
            _ => vec![false; events.len()],
        };
        for (key, members) in groups::groups(events, self.partitioning, &self.partition_ids) {
            let pending: Vec<(usize, &OutgoingEvent)> = members
                .into_iter()
                .filter(|(i, _)| !acknowledged[*i])
                .collect();
            if let Err(e) = self.send_group(key, &pending, &mut acknowledged).await {
                self.resume = Some((identity, acknowledged));
                self.stale = matches!(e, SendError::NoAnswer { .. });
                return Err(e);
            }
        }
        Ok(())
    }

    async fn send_group(
        &self,
        key: Option<String>,
        events: &[(usize, &OutgoingEvent)],
        acknowledged: &mut [bool],
    ) -> Result<(), SendError> {
        let options = || match self.partitioning {
            Partitioning::Key => EventDataBatchOptions {
                partition_key: key.clone(),
                ..Default::default()
            },
            Partitioning::Hash => EventDataBatchOptions {
                partition_id: key.clone(),
                ..Default::default()
            },
        };
        // Every call to the hub is bounded by `send_timeout`: one that never
        // answers must not stall the run (a batch's creation opens the
        // partition's link, which can hang as a send can).
        let no_answer = |operation| SendError::NoAnswer {
            operation,
            within: self.send_timeout,
        };
        let mut rest = events;
        while !rest.is_empty() {
            let batch =
                tokio::time::timeout(self.send_timeout, self.client.create_batch(Some(options())))
                    .await
                    .map_err(|_| no_answer("create a batch"))?
                    .map_err(failed("create a batch"))?;
            let mut added = 0;
            for (_, event) in rest {
                let data = azure_messaging_eventhubs::models::EventData::builder()
                    .with_content_type("application/json".into())
                    .with_body(event.body.as_bytes().to_vec())
                    .build();
                if !batch
                    .try_add_event_data(data, None)
                    .map_err(failed("add to a batch"))?
                {
                    break;
                }
                added += 1;
            }
            if added == 0 {
                return Err(SendError::TooLarge(rest[0].1.body.len()));
            }
            // A send whose acknowledgement never comes: give up on it and
            // let the loop retry the batch on a new connection.
            tokio::time::timeout(self.send_timeout, self.client.send_batch(batch, None))
                .await
                .map_err(|_| no_answer("send a batch"))?
                .map_err(failed("send a batch"))?;
            for (i, _) in &rest[..added] {
                acknowledged[*i] = true;
            }
            rest = &rest[added..];
        }
        Ok(())
    }

    pub async fn close(self) -> Result<(), SendError> {
        tokio::time::timeout(self.send_timeout, self.client.close())
            .await
            .map_err(|_| SendError::NoAnswer {
                operation: "close the connection",
                within: self.send_timeout,
            })?
            .map_err(failed("close the connection"))
    }
}
