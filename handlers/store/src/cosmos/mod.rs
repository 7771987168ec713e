//! The Azure backend: Cosmos DB for NoSQL through `azure_data_cosmos`.
//!
//! Owns the containers in [`containers`] and the documents in `documents.rs`;
//! one file per role implements the traits (`ratings.rs`, `catalog.rs`,
//! `registry.rs`, `recommendations.rs`). It must not hold more in memory than
//! a call returns (queries are streamed page by page) and must not read and
//! then blindly write: every "newest wins" or "only if still held" decision is
//! a conditional write on the document's etag.
//!
//! Limits of the SDK (1.1.0-beta.1) that shape the queries: a query scoped to
//! one logical partition may sort and aggregate; a cross-partition query may
//! only filter and project (no ORDER BY, no COUNT). So per-user reads and the
//! registry (one partition) sort on the server, and counts and newest-first
//! lists across partitions are computed while streaming.
//!
//! Throttling (429) is retried by the SDK, honouring `x-ms-retry-after-ms`, up
//! to [`CosmosConfig::throttle_retries`] times per request; what still fails
//! surfaces as a [`StoreError::Backend`] naming the operation and the status.

mod catalog;
pub mod containers;
mod documents;
mod impressions;
pub mod local;
mod markers;
mod ratings;
mod recommendations;
mod registry;
mod user_docs;

use std::num::NonZeroU32;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use azure_data_cosmos::clients::ContainerClient;
use azure_data_cosmos::options::{
    BinaryEncodingOptions, ConnectionPoolOptions, ContentResponseOnWrite, MaxItemCountHint,
    OperationOptionsBuilder, QueryOptions, ServerCertificateValidation,
    ThrottlingRetryOptionsBuilder,
};
use azure_data_cosmos::{
    AccountEndpoint, AccountReference, CosmosClient, CosmosError, CosmosRuntime, FeedScope, Query,
    RoutingStrategy,
};
use futures::{StreamExt, TryStreamExt};
use movierec_azure::is_local_endpoint;
use serde::de::DeserializeOwned;

use crate::error::{BoxError, Explained};
use crate::StoreError;

const BACKEND: &str = "Cosmos DB";

/// How the app proves who it is to Cosmos DB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CosmosAuth {
    /// Microsoft Entra ID: the Function App's managed identity in Azure
    /// (`client_id` picks a user-assigned one), the developer's `az login`
    /// elsewhere. No secret is configured anywhere.
    Identity { client_id: Option<String> },
    /// An account key: accepted only for a local server (127.0.0.1 or
    /// localhost), never for an Azure account.
    Key(String),
}

/// Where and how to reach Cosmos DB.
#[derive(Debug, Clone, PartialEq)]
pub struct CosmosConfig {
    /// `https://<account>.documents.azure.com:443/`, or `http://127.0.0.1:<port>/` locally.
    pub endpoint: String,
    pub database: String,
    pub auth: CosmosAuth,
    /// The region this app runs in, to read from the nearest replica
    /// (`None`: the account's own order).
    pub region: Option<String>,
    /// Create the database and containers when missing. With Entra ID the
    /// data plane may not create them: infra/ does.
    pub create_containers: bool,
    /// Writes in flight at once for one ingest batch or one bulk write.
    pub concurrency: usize,
    /// 429 retries per request before the error surfaces.
    pub throttle_retries: u32,
    /// How long a cached serving version, or catalogue revision, is trusted
    /// before it is read again (a GET is then one point read). Publishing, or
    /// changing the catalogue, on this instance updates it at once.
    pub serving_version_ttl: Duration,
}

impl CosmosConfig {
    pub fn new(endpoint: impl Into<String>, database: impl Into<String>, auth: CosmosAuth) -> Self {
        let create_containers = matches!(auth, CosmosAuth::Key(_));
        CosmosConfig {
            endpoint: endpoint.into(),
            database: database.into(),
            auth,
            region: None,
            create_containers,
            concurrency: 32,
            throttle_retries: 9,
            serving_version_ttl: Duration::from_secs(5),
        }
    }
}

/// The Cosmos DB store. Cheap to clone.
#[derive(Clone)]
pub struct CosmosStore {
    inner: Arc<Inner>,
}

struct Inner {
    config: CosmosConfig,
    ratings: ContainerClient,
    dead_letters: ContainerClient,
    movies: ContainerClient,
    registry: ContainerClient,
    recommendations: ContainerClient,
    impressions: ContainerClient,
    /// The serving version as last read, and when.
    serving: RwLock<Option<(Option<u64>, Instant)>>,
    /// The catalogue revision as last read or written, and when.
    revision: RwLock<Option<(Option<String>, Instant)>>,
}

impl std::fmt::Debug for CosmosStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CosmosStore")
            .field("endpoint", &self.inner.config.endpoint)
            .field("database", &self.inner.config.database)
            .finish()
    }
}

impl CosmosStore {
    /// Connects, creating the database and containers first when the config says so.
    pub async fn connect(config: CosmosConfig) -> Result<Self, StoreError> {
        let client = client(&config).await?;
        if config.create_containers {
            containers::create_missing(&client, &config.database).await?;
        }
        let database = client.database_client(config.database.as_str());
        let open = |name: &'static str| {
            let database = &database;
            let database_name = config.database.as_str();
            async move {
                database
                    .container_client(name, None)
                    .await
                    .map_err(|e| open_error(name, database_name, e))
            }
        };
        let inner = Inner {
            ratings: open(containers::RATINGS).await?,
            dead_letters: open(containers::DEAD_LETTERS).await?,
            movies: open(containers::MOVIES).await?,
            registry: open(containers::REGISTRY).await?,
            recommendations: open(containers::RECOMMENDATIONS).await?,
            impressions: open(containers::IMPRESSIONS).await?,
            serving: RwLock::new(None),
            revision: RwLock::new(None),
            config,
        };
        tracing::info!(
            endpoint = %inner.config.endpoint,
            database = %inner.config.database,
            "connected to Cosmos DB"
        );
        Ok(CosmosStore {
            inner: Arc::new(inner),
        })
    }

    pub fn config(&self) -> &CosmosConfig {
        &self.inner.config
    }

    /// Runs `request` for every item with at most `concurrency` in flight and
    /// returns the results in the items' order. Every request is attempted even
    /// when one fails, so the error can say how many failed.
    async fn each_concurrently<T, R, F, Fut>(
        &self,
        operation: &'static str,
        items: Vec<T>,
        request: F,
    ) -> Result<Vec<R>, StoreError>
    where
        F: Fn(T) -> Fut,
        Fut: std::future::Future<Output = Result<R, StoreError>>,
    {
        let total = items.len();
        let results: Vec<Result<R, StoreError>> =
            futures::stream::iter(items.into_iter().map(request))
                .buffered(self.inner.config.concurrency.max(1))
                .collect()
                .await;
        let mut done = Vec::with_capacity(total);
        let mut failed = 0;
        let mut first_error = None;
        for result in results {
            match result {
                Ok(value) => done.push(value),
                Err(e) => {
                    failed += 1;
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            None => Ok(done),
            Some(first) => {
                let text = if failed == total {
                    format!(
                        "all {total} requests failed (repeating the call is safe); first: {first}"
                    )
                } else {
                    format!(
                        "{failed} of {total} requests failed (the others succeeded; repeating the call is safe); first: {first}"
                    )
                };
                Err(StoreError::backend(
                    BACKEND,
                    operation,
                    Explained::new(text, first),
                ))
            }
        }
    }

    /// Streams a query's results page by page into `each`.
    async fn query_each<T: DeserializeOwned + Send + 'static>(
        container: &ContainerClient,
        operation: &'static str,
        query: Query,
        scope: FeedScope,
        mut each: impl FnMut(T),
    ) -> Result<(), StoreError> {
        let options = QueryOptions::default().with_max_item_count(MaxItemCountHint::Limit(
            NonZeroU32::new(1000).expect("non-zero"),
        ));
        let mut items = container
            .query_items::<T>(query, scope, Some(options))
            .await
            .map_err(|e| cosmos_error(operation, e))?;
        while let Some(item) = items
            .try_next()
            .await
            .map_err(|e| cosmos_error(operation, e))?
        {
            each(item);
        }
        Ok(())
    }

    /// The document `id` of partition `partition`, or `None` when there is
    /// none (404); `what` names it in a parse error, `operation` in any other.
    async fn read_optional<T: DeserializeOwned>(
        container: &ContainerClient,
        partition: impl Into<azure_data_cosmos::PartitionKey>,
        id: &str,
        what: &'static str,
        operation: &'static str,
    ) -> Result<Option<T>, StoreError> {
        match container.read_item(partition, id, None).await {
            Ok(read) => read.into_model().map(Some).map_err(|e| corrupt(what, e)),
            Err(e) if e.status().is_not_found() => Ok(None),
            Err(e) => Err(cosmos_error(operation, e)),
        }
    }

    /// Collects a query's results.
    async fn query_all<T: DeserializeOwned + Send + 'static>(
        container: &ContainerClient,
        operation: &'static str,
        query: Query,
        scope: FeedScope,
    ) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        Self::query_each(container, operation, query, scope, |t| out.push(t)).await?;
        Ok(out)
    }

    /// Counts a container's documents by streaming their ids (the SDK cannot
    /// run COUNT across partitions). Costs about one RU per 100 documents.
    async fn count(
        container: &ContainerClient,
        operation: &'static str,
    ) -> Result<u64, StoreError> {
        let mut n = 0u64;
        Self::query_each::<serde_json::Value>(
            container,
            operation,
            Query::from("SELECT VALUE 1 FROM c"),
            FeedScope::full_container(),
            |_| n += 1,
        )
        .await?;
        Ok(n)
    }
}

async fn client(config: &CosmosConfig) -> Result<CosmosClient, StoreError> {
    let endpoint: AccountEndpoint = config.endpoint.parse().map_err(|e| {
        let text = format!(
            "the endpoint {:?} is not a Cosmos DB account URL ({e}); expected https://<account>.documents.azure.com:443/",
            config.endpoint
        );
        StoreError::backend(BACKEND, "connect", Explained::new(text, e))
    })?;
    let local = is_local_endpoint(&config.endpoint);
    let account = match &config.auth {
        CosmosAuth::Key(key) => {
            if !local {
                return Err(StoreError::backend(
                    BACKEND,
                    "connect",
                    format!(
                        "an account key is accepted only for a local server, not for {}; in Azure leave the key unset and grant the app's managed identity the Cosmos DB Built-in Data Contributor role",
                        config.endpoint
                    ),
                ));
            }
            AccountReference::with_authentication_key(
                endpoint,
                azure_core::credentials::Secret::from(key.clone()),
            )
        }
        CosmosAuth::Identity { client_id } => {
            AccountReference::with_credential(endpoint, credential(client_id.as_deref())?)
        }
    };
    let throttling = ThrottlingRetryOptionsBuilder::new()
        .with_max_retry_count(config.throttle_retries)
        .with_max_retry_wait_time(Duration::from_secs(60))
        .build();
    let operation = OperationOptionsBuilder::new()
        .with_throttling_retry_options(throttling)
        .with_content_response_on_write(ContentResponseOnWrite::Disabled)
        .build();
    let mut builder = CosmosClient::builder().with_default_operation_options(operation);
    if local {
        // A local server speaks HTTP/1.1 only, may present an expired
        // self-signed certificate, and does not understand binary encoding.
        let pool = ConnectionPoolOptions::builder()
            .with_is_http2_allowed(false)
            .with_server_certificate_validation(ServerCertificateValidation::RequiredUnlessEmulator)
            .build()
            .map_err(|e| cosmos_error("connect", e))?;
        let runtime = CosmosRuntime::builder()
            .with_connection_pool(pool)
            .build()
            .await
            .map_err(|e| cosmos_error("connect", e))?;
        builder = builder
            .with_runtime(runtime)
            .with_binary_encoding_options(BinaryEncodingOptions::new().with_enabled(false));
    }
    let routing = match &config.region {
        Some(region) => RoutingStrategy::ProximityTo(region.clone().into()),
        None => RoutingStrategy::PreferredRegions(Vec::new()),
    };
    builder
        .build(account, routing)
        .await
        .map_err(|e| cosmos_error("connect", e))
}

/// The Entra ID credential, as every movierec Azure client signs in
/// ([`movierec_azure::credential`]: the managed identity where the platform
/// offers one, else the developer's tools).
fn credential(
    client_id: Option<&str>,
) -> Result<Arc<dyn azure_core::credentials::TokenCredential>, StoreError> {
    movierec_azure::credential(client_id).map_err(|e| StoreError::Backend {
        backend: BACKEND,
        operation: "connect",
        source: Explained::new(format!("{e}: {}", e.source), e).into(),
    })
}

/// Turns an SDK error into the store's, saying what failed and what to check.
pub(crate) fn cosmos_error(operation: &'static str, e: CosmosError) -> StoreError {
    cosmos_error_with(operation, e, "")
}

/// [`cosmos_error`] with `also` (what the caller knows more) after the hint.
pub(crate) fn cosmos_error_with(operation: &'static str, e: CosmosError, also: &str) -> StoreError {
    let status = e.status();
    let hint = if status.is_throttled() {
        " (throttled: the request rate exceeds the provisioned RU/s even after retrying; raise the throughput or lower MOVIEREC_COSMOS_CONCURRENCY)"
    } else if status.is_unauthorized() || status.is_forbidden() {
        " (authentication or authorisation failed: in Azure the app's identity needs the Cosmos DB Built-in Data Contributor role on the account; locally check MOVIEREC_COSMOS_KEY)"
    } else if status.is_not_found() {
        " (the database or container does not exist: deploy infra/ or set MOVIEREC_COSMOS_CREATE=true)"
    } else if u16::from(status.status_code()) >= 500 || status.is_timeout() {
        " (the service failed or timed out; the invocation fails so the host retries it)"
    } else {
        ""
    };
    let text = format!("{e}{hint}{also}");
    StoreError::backend(BACKEND, operation, Explained::new(text, e))
}

fn open_error(container: &str, database: &str, e: CosmosError) -> StoreError {
    let cause = cosmos_error("open", e);
    let text = format!("container {database}/{container}: {cause}");
    StoreError::backend(BACKEND, "open a container", Explained::new(text, cause))
}

/// `what` cannot be read back: `e` is the decoder's error, or words.
fn corrupt(what: &'static str, e: impl Into<BoxError>) -> StoreError {
    StoreError::corrupt(what, e)
}

#[cfg(test)]
mod tests;
