//! The database's containers: names, partition keys and indexing policies,
//! chosen for the access paths (README, "Cosmos DB design"). infra/ declares
//! the same containers for Azure; this file creates them for a local server.
//!
//! | container | partition key | documents | read by |
//! |---|---|---|---|
//! | `ratings` | `/user` | one per (user, movie), id `"{user}:{movie}"` | one user's partition; all, streamed, to train |
//! | `deadletters` | `/id` | one per rejected event | streamed, newest kept |
//! | `movies` | `/id` | one per movie, id `"{movie}"` | point reads |
//! | `recommendations` | `/user` | one per user, id `"{user}:mark"`: the rating mark and the lists of the kept versions | one point read per GET; marks by user range, per shard |
//! | `impressions` | `/user` | one per served list, id `"{user}:{served_at_ms}"` | by time, across partitions (the online figures), pruned by age |
//! | `registry` | `/pk` | model versions (`pk` "models"), file chunks (`pk` "files:v{version}"), the popular lists (`pk` "popular") and control documents (`pk` "control": serving version, job lease) | single-partition queries, point reads |
//!
//! Indexing: everything is excluded except the paths a query filters or
//! sorts on, so writes cost the fewest RUs.

use azure_data_cosmos::models::{ContainerProperties, IndexingMode, IndexingPolicy};
use azure_data_cosmos::CosmosClient;

use super::{cosmos_error, BACKEND};
use crate::error::Explained;
use crate::StoreError;

pub const RATINGS: &str = "ratings";
pub const DEAD_LETTERS: &str = "deadletters";
pub const MOVIES: &str = "movies";
pub const RECOMMENDATIONS: &str = "recommendations";
pub const REGISTRY: &str = "registry";
pub const IMPRESSIONS: &str = "impressions";

/// Every container: name, partition key path, indexed paths.
pub const CONTAINERS: [(&str, &str, &[&str]); 6] = [
    (RATINGS, "/user", &["/user/?"]),
    (DEAD_LETTERS, "/id", &[]),
    (MOVIES, "/id", &[]),
    (RECOMMENDATIONS, "/user", &["/version/?", "/user/?"]),
    (REGISTRY, "/pk", &["/pk/?", "/version/?", "/status/?"]),
    (IMPRESSIONS, "/user", &["/served_at_ms/?"]),
];

fn indexing_policy(indexed: &[&str]) -> IndexingPolicy {
    let mut policy = IndexingPolicy::default().with_indexing_mode(IndexingMode::Consistent);
    policy.automatic = true;
    for path in indexed {
        policy = policy.with_included_path(*path);
    }
    policy.with_excluded_path("/*")
}

/// Creates the database and any missing container (a 409 means it exists).
pub async fn create_missing(client: &CosmosClient, database: &str) -> Result<(), StoreError> {
    match client.create_database(database, None).await {
        Ok(_) => tracing::info!(database, "created the Cosmos DB database"),
        Err(e) if e.status().is_conflict() => {}
        Err(e) => return Err(cosmos_error("create the database", e)),
    }
    let db = client.database_client(database);
    for (name, partition_key, indexed) in CONTAINERS {
        let mut properties = ContainerProperties::new(name, partition_key.into());
        properties.indexing_policy = Some(indexing_policy(indexed));
        match db.create_container(properties, None).await {
            Ok(_) => tracing::info!(database, container = name, "created a Cosmos DB container"),
            Err(e) if e.status().is_conflict() => {}
            Err(e) => {
                let cause = cosmos_error("create", e);
                let text = format!("{database}/{name}: {cause}");
                return Err(StoreError::backend(
                    BACKEND,
                    "create a container",
                    Explained::new(text, cause),
                ));
            }
        }
    }
    Ok(())
}
