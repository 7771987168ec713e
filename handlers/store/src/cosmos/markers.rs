//! Markers: one document each in the `registry` container's "control" partition.

use async_trait::async_trait;

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
}
