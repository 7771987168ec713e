//! Served lists in the `impressions` container: one document per answer,
//! partitioned by user, id `"{user}:{served_at_ms}"` (so a list recorded
//! twice is one document); read and pruned by a query on `served_at_ms`,
//! the one indexed path.

use async_trait::async_trait;
use azure_data_cosmos::{FeedScope, Query};
use serde::{Deserialize, Serialize};

use super::{cosmos_error, CosmosStore};
use crate::traits::{ImpressionStore, Result};
use crate::types::ServedList;

/// A served list as stored: the record with its id.
#[derive(Debug, Serialize, Deserialize)]
struct ServedDoc {
    id: String,
    #[serde(flatten)]
    list: ServedList,
}

fn served_id(user: i32, served_at_ms: i64) -> String {
    format!("{user}:{served_at_ms}")
}

#[async_trait]
impl ImpressionStore for CosmosStore {
    async fn record_served(&self, lists: &[ServedList]) -> Result<()> {
        let container = &self.inner.impressions;
        let docs: Vec<ServedDoc> = lists
            .iter()
            .map(|list| ServedDoc {
                id: served_id(list.user, list.served_at_ms),
                list: list.clone(),
            })
            .collect();
        self.each_concurrently("record served lists", docs, |doc| async move {
            container
                .upsert_item(doc.list.user, &doc.id, &doc, None)
                .await
                .map(|_| ())
                .map_err(|e| cosmos_error("record a served list", e))
        })
        .await?;
        Ok(())
    }

    async fn served_since(&self, since_ms: i64) -> Result<Vec<ServedList>> {
        let query = Query::from("SELECT * FROM c WHERE c.served_at_ms >= @since")
            .with_parameter("@since", since_ms)
            .map_err(|e| cosmos_error("read served lists", e))?;
        let mut docs: Vec<ServedDoc> = Self::query_all(
            &self.inner.impressions,
            "read served lists",
            query,
            FeedScope::full_container(),
        )
        .await?;
        // Across partitions the server does not sort: sorted here.
        docs.sort_by_key(|d| (d.list.served_at_ms, d.list.user));
        Ok(docs.into_iter().map(|d| d.list).collect())
    }

    async fn prune_served(&self, before_ms: i64) -> Result<u64> {
        let container = &self.inner.impressions;
        let query = Query::from("SELECT c.id, c.user FROM c WHERE c.served_at_ms < @before")
            .with_parameter("@before", before_ms)
            .map_err(|e| cosmos_error("find old served lists", e))?;
        #[derive(Deserialize)]
        struct Key {
            id: String,
            user: i32,
        }
        let old: Vec<Key> = Self::query_all(
            container,
            "find old served lists",
            query,
            FeedScope::full_container(),
        )
        .await?;
        let deleted = self
            .each_concurrently("delete old served lists", old, |key| async move {
                match container.delete_item(key.user, &key.id, None).await {
                    Ok(_) => Ok(true),
                    Err(e) if e.status().is_not_found() => Ok(false),
                    Err(e) => Err(cosmos_error("delete an old served list", e)),
                }
            })
            .await?;
        Ok(deleted.into_iter().filter(|d| *d).count() as u64)
    }
}
