//! Markers: one document each in the `registry` container's "control" partition.

use async_trait::async_trait;
use azure_data_cosmos::{FeedScope, Query};

use super::documents::{marker_id, MarkerDoc, CONTROL_PK};
use super::{cosmos_error, CosmosStore};
use crate::traits::{MarkerStore, Result};

#[async_trait]
impl MarkerStore for CosmosStore {
    async fn marker(&self, name: &str) -> Result<Option<String>> {
        let doc: Option<MarkerDoc> = Self::read_optional(
            &self.inner.registry,
            CONTROL_PK,
            &marker_id(name),
            "a marker",
            "read a marker",
        )
        .await?;
        Ok(doc.map(|d| d.value))
    }

    async fn set_marker(&self, name: &str, value: Option<&str>) -> Result<()> {
        let container = &self.inner.registry;
        let id = marker_id(name);
        match value {
            Some(value) => {
                let doc = MarkerDoc {
                    id: id.clone(),
                    pk: CONTROL_PK.into(),
                    value: value.into(),
                };
                container
                    .upsert_item(CONTROL_PK, &id, &doc, None)
                    .await
                    .map(|_| ())
                    .map_err(|e| cosmos_error("write a marker", e))
            }
            None => match container.delete_item(CONTROL_PK, &id, None).await {
                Ok(_) => Ok(()),
                Err(e) if e.status().is_not_found() => Ok(()),
                Err(e) => Err(cosmos_error("remove a marker", e)),
            },
        }
    }

    async fn markers_with_prefix(&self, prefix: &str) -> Result<Vec<(String, String)>> {
        let query = Query::from("SELECT * FROM c WHERE STARTSWITH(c.id, @prefix)")
            .with_parameter("@prefix", marker_id(prefix))
            .map_err(|e| cosmos_error("read markers", e))?;
        let docs: Vec<MarkerDoc> = Self::query_all(
            &self.inner.registry,
            "read markers",
            query,
            FeedScope::partition(CONTROL_PK),
        )
        .await?;
        let strip = marker_id("").len();
        let mut markers: Vec<(String, String)> = docs
            .into_iter()
            .map(|d| (d.id[strip..].to_string(), d.value))
            .collect();
        markers.sort();
        Ok(markers)
    }
}
