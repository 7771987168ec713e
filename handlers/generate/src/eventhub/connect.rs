//! Opening a producer on the hub: the sign-in (Entra ID through
//! [`movierec_azure::credential`], or a placeholder token for a local test
//! server) and the hub's partition ids. It decides no credential itself and
//! sends nothing.

use std::sync::Arc;

use azure_core::credentials::TokenCredential;
use azure_messaging_eventhubs::ProducerClient;

use super::local_token::LocalServerToken;
use super::EventHubTarget;
use crate::error::ConnectError;

fn credential(target: &EventHubTarget) -> Result<Arc<dyn TokenCredential>, ConnectError> {
    if target
        .endpoint
        .as_deref()
        .is_some_and(movierec_azure::is_local_endpoint)
    {
        return Ok(Arc::new(LocalServerToken));
    }
    Ok(movierec_azure::credential(target.client_id.as_deref())?)
}

/// Opens a producer on the hub and reads its partition ids, each call
/// bounded by `--send-timeout` (a hub that never answers is an error, not a
/// stalled run).
pub async fn open_producer(
    target: &EventHubTarget,
) -> Result<(ProducerClient, Vec<String>), ConnectError> {
    let within = target.send_timeout;
    let no_answer = |operation| ConnectError::NoAnswer { operation, within };
    let mut builder = ProducerClient::builder().with_application_id("movierec-generate".into());
    if let Some(endpoint) = &target.endpoint {
        builder = builder.with_custom_endpoint(endpoint.clone());
    }
    let client = tokio::time::timeout(
        within,
        builder.open(&target.namespace, &target.hub, credential(target)?),
    )
    .await
    .map_err(|_| no_answer("open the connection"))?
    .map_err(|source| ConnectError::Open {
        namespace: target.namespace.clone(),
        hub: target.hub.clone(),
        source: Box::new(source),
    })?;
    let properties = tokio::time::timeout(within, client.get_eventhub_properties())
        .await
        .map_err(|_| no_answer("read the hub's partitions"))?
        .map_err(|e| ConnectError::Properties(Box::new(e)))?;
    if properties.partition_ids.is_empty() {
        return Err(ConnectError::NoPartitions(target.hub.clone()));
    }
    Ok((client, properties.partition_ids))
}
