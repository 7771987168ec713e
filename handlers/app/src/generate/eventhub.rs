//! The Event Hubs target, through `azure_messaging_eventhubs`.
//!
//! Events of one user stay in one partition, in order. Two ways to get there:
//! - [`Partitioning::Key`]: each batch carries the user id as its partition key,
//!   and Event Hubs hashes it. A batch holds one user's events, so a run of
//!   events of the same user (a replayed file is ordered by user) is one batch.
//! - [`Partitioning::Hash`]: the partition is chosen here from the user id,
//!   so batches hold many users and fill to the size limit whatever the order.
//!
//! Sign-in is Entra ID (a managed identity in Azure, else the developer's
//! `az login`); version 0.15 of the crate has no connection-string (SAS)
//! sign-in, and the infrastructure turns local auth off anyway. A local test
//! server (127.0.0.1, localhost) gets a placeholder token.

use std::sync::Arc;

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_messaging_eventhubs::{EventDataBatchOptions, ProducerClient};

use super::event::OutgoingEvent;
use super::sink::SendError;

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

/// Events of one batch group: the group's key (partition key or id), and
/// each event with its index in the batch handed to [`EventHubSink::send`].
type Group<'a> = (Option<String>, Vec<(usize, &'a OutgoingEvent)>);

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

const NO_ACKNOWLEDGEMENT: &str = "no acknowledgement";

/// The token a local test server accepts (any). Public so tests can read
/// back from such a server with the same sign-in.
#[derive(Debug)]
pub struct LocalServerToken;

#[async_trait::async_trait]
impl TokenCredential for LocalServerToken {
    async fn get_token(
        &self,
        _: &[&str],
        _: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let expires =
            azure_core::time::OffsetDateTime::now_utc() + azure_core::time::Duration::hours(1);
        Ok(AccessToken::new("local-test-server", expires))
    }
}

fn credential(target: &EventHubTarget) -> Result<Arc<dyn TokenCredential>, String> {
    if target
        .endpoint
        .as_deref()
        .is_some_and(movierec_store::is_local_endpoint)
    {
        return Ok(Arc::new(LocalServerToken));
    }
    let failed = |e: azure_core::Error| format!("cannot set up the Entra ID credential: {e}");
    if std::env::var_os("IDENTITY_ENDPOINT").is_some() {
        let options = azure_identity::ManagedIdentityCredentialOptions {
            user_assigned_id: target
                .client_id
                .clone()
                .map(azure_identity::UserAssignedId::ClientId),
            ..Default::default()
        };
        Ok(azure_identity::ManagedIdentityCredential::new(Some(options)).map_err(failed)?)
    } else {
        Ok(azure_identity::DeveloperToolsCredential::new(None).map_err(failed)?)
    }
}

/// A stable partition for a user (FNV-1a of the id), so the choice does not
/// change between runs or builds.
fn partition_for(user: i32, partitions: usize) -> usize {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in user.to_le_bytes() {
        hash ^= byte as u64;
        hash = hash.wrapping_mul(0x100_0000_01b3);
    }
    (hash % partitions as u64) as usize
}

fn send_error(what: &str, e: impl std::fmt::Display) -> SendError {
    SendError {
        retryable: true,
        message: format!("Event Hubs: {what}: {e}"),
    }
}

/// Opens a producer on the hub and reads its partition ids.
async fn open_producer(target: &EventHubTarget) -> Result<(ProducerClient, Vec<String>), String> {
    let mut builder = ProducerClient::builder().with_application_id("movierec-generate".into());
    if let Some(endpoint) = &target.endpoint {
        builder = builder.with_custom_endpoint(endpoint.clone());
    }
    let client = builder
            .open(&target.namespace, &target.hub, credential(target)?)
            .await
            .map_err(|e| {
                format!(
                    "cannot open Event Hub {}/{}: {e} (check the namespace, the hub name and that your identity has the Azure Event Hubs Data Sender role)",
                    target.namespace, target.hub
                )
            })?;
    let properties = client
        .get_eventhub_properties()
        .await
        .map_err(|e| format!("cannot read the Event Hub's partitions: {e}"))?;
    if properties.partition_ids.is_empty() {
        return Err(format!("Event Hub {} has no partitions", target.hub));
    }
    Ok((client, properties.partition_ids))
}

impl EventHubSink {
    pub async fn connect(target: &EventHubTarget) -> Result<Self, String> {
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
                .map_err(|e| send_error("reconnect", e))?;
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
        for (key, members) in self.groups(events) {
            let pending: Vec<(usize, &OutgoingEvent)> = members
                .into_iter()
                .filter(|(i, _)| !acknowledged[*i])
                .collect();
            if let Err(e) = self.send_group(key, &pending, &mut acknowledged).await {
                self.resume = Some((identity, acknowledged));
                self.stale = e.message.contains(NO_ACKNOWLEDGEMENT);
                return Err(e);
            }
        }
        Ok(())
    }

    /// The events by group, each with its index: consecutive runs of one user
    /// (by key), or all events of one partition in order (by hash).
    fn groups<'a>(&self, events: &'a [OutgoingEvent]) -> Vec<Group<'a>> {
        let key_of = |e: &OutgoingEvent| -> Option<String> {
            let user = e.user?;
            Some(match self.partitioning {
                Partitioning::Key => user.to_string(),
                Partitioning::Hash => {
                    self.partition_ids[partition_for(user, self.partition_ids.len())].clone()
                }
            })
        };
        let mut groups: Vec<Group> = Vec::new();
        match self.partitioning {
            Partitioning::Key => {
                for (i, e) in events.iter().enumerate() {
                    let key = key_of(e);
                    match groups.last_mut() {
                        Some((k, members)) if *k == key => members.push((i, e)),
                        _ => groups.push((key, vec![(i, e)])),
                    }
                }
            }
            Partitioning::Hash => {
                let mut by_partition: std::collections::BTreeMap<
                    Option<String>,
                    Vec<(usize, &OutgoingEvent)>,
                > = Default::default();
                for (i, e) in events.iter().enumerate() {
                    by_partition.entry(key_of(e)).or_default().push((i, e));
                }
                groups.extend(by_partition);
            }
        }
        groups
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
        let mut rest = events;
        while !rest.is_empty() {
            let batch = self
                .client
                .create_batch(Some(options()))
                .await
                .map_err(|e| send_error("create a batch", e))?;
            let mut added = 0;
            for (_, event) in rest {
                let data = azure_messaging_eventhubs::models::EventData::builder()
                    .with_content_type("application/json".into())
                    .with_body(event.body.as_bytes().to_vec())
                    .build();
                if !batch
                    .try_add_event_data(data, None)
                    .map_err(|e| send_error("add to a batch", e))?
                {
                    break;
                }
                added += 1;
            }
            if added == 0 {
                return Err(SendError {
                    retryable: false,
                    message: format!(
                        "an event of {} bytes does not fit in an empty Event Hubs batch",
                        rest[0].1.body.len()
                    ),
                });
            }
            // A send whose acknowledgement never comes must not stall the run:
            // give up on it after `send_timeout` and let the loop retry the batch.
            match tokio::time::timeout(self.send_timeout, self.client.send_batch(batch, None)).await
            {
                Ok(sent) => sent.map_err(|e| send_error("send a batch", e))?,
                Err(_) => {
                    return Err(send_error(
                        "send a batch",
                        format!("{NO_ACKNOWLEDGEMENT} within {:?}", self.send_timeout),
                    ))
                }
            }
            for (i, _) in &rest[..added] {
                acknowledged[*i] = true;
            }
            rest = &rest[added..];
        }
        Ok(())
    }

    pub async fn close(self) -> Result<(), SendError> {
        self.client
            .close()
            .await
            .map_err(|e| send_error("close the connection", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_always_maps_to_the_same_partition_and_users_spread() {
        assert_eq!(partition_for(42, 4), partition_for(42, 4));
        let mut counts = [0usize; 4];
        for user in 1..=4000 {
            counts[partition_for(user, 4)] += 1;
        }
        assert!(counts.iter().all(|&c| c > 800), "{counts:?}");
    }
}
