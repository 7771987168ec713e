//! Published recommendation lists in Cosmos DB.
//!
//! Each user has one serving document in their partition (`user_docs.rs`):
//! their rating mark (set by ingest) and their lists of the kept versions,
//! keyed by version. Lists are written under their version and become visible
//! when the serving pointer (`registry`, partition "control") moves to it. So
//! a GET is one point read (about 1 to 2 RU, the document holding two or three
//! lists; see the README's cost table): the pointer and the catalogue revision
//! are cached for [`CosmosConfig::serving_version_ttl`](super::CosmosConfig),
//! and a publish on this instance updates the pointer at once. A shard keeps
//! in each document its own version and the serving and previous ones, so an
//! instance still holding the old pointer finds its list; older lists leave a
//! document at its next write. Documents of the older layout (one per list,
//! `"{user}:v{version}"`) are deleted at publish.

use std::time::Instant;

use async_trait::async_trait;
use azure_data_cosmos::options::{ItemWriteOptions, Precondition};
use azure_data_cosmos::{FeedScope, Query};
use serde::Deserialize;

use super::documents::*;
use super::{corrupt, cosmos_error, cosmos_error_with, CosmosStore};
use crate::traits::{CatalogStore, RecommendationStore, Result};
use crate::types::*;

/// From `user`'s document: their list under the serving `version`, and their
/// current rating mark.
fn serving_list_and_mark(
    user: i32,
    version: Option<u64>,
    doc: Option<UserDoc>,
) -> (Option<UserRecommendations>, Option<i64>) {
    match doc {
        Some(mut doc) => {
            let list = version
                .and_then(|v| doc.lists.remove(&list_key(v)))
                .map(|entry| entry.into_list(user));
            (list, doc.mark)
        }
        None => (None, None),
    }
}

#[derive(Deserialize)]
struct ListKey {
    id: String,
    user: i32,
}

impl CosmosStore {
    /// The serving version, from the cache while it is fresh.
    async fn cached_serving_version(&self) -> Result<Option<u64>> {
        if let Some((version, at)) = *self.inner.serving.read().expect("lock") {
            if at.elapsed() < self.inner.config.serving_version_ttl {
                return Ok(version);
            }
        }
        self.serving_version().await
    }

    fn remember_serving_version(&self, version: Option<u64>) {
        *self.inner.serving.write().expect("lock") = Some((version, Instant::now()));
    }

    async fn read_serving(&self) -> Result<Option<(ServingDoc, Option<azure_core::http::Etag>)>> {
        match self
            .inner
            .registry
            .read_item(CONTROL_PK, SERVING_ID, None)
            .await
        {
            Ok(read) => {
                let etag = read.headers().etag().cloned();
                let doc: ServingDoc = read
                    .into_model()
                    .map_err(|e| corrupt("the serving version", e))?;
                Ok(Some((doc, etag)))
            }
            Err(e) if e.status().is_not_found() => Ok(None),
            Err(e) => Err(cosmos_error("read the serving version", e)),
        }
    }

    /// Deletes the lists of every version but `keep`.
    async fn delete_lists_except(&self, keep: &[u64]) -> Result<usize> {
        let mut sql = String::from("SELECT c.id, c.user FROM c WHERE IS_DEFINED(c.version)");
        for (i, _) in keep.iter().enumerate() {
            sql.push_str(&format!(" AND c.version <> @v{i}"));
        }
        let mut query = Query::from(sql);
        for (i, v) in keep.iter().enumerate() {
            query = query
                .with_parameter(format!("@v{i}"), v)
                .map_err(|e| cosmos_error("list old recommendations", e))?;
        }
        let stale: Vec<ListKey> = Self::query_all(
            &self.inner.recommendations,
            "list old recommendations",
            query,
            FeedScope::full_container(),
        )
        .await?;
        let container = &self.inner.recommendations;
        let deleted = stale.len();
        self.each_concurrently("delete old recommendations", stale, |key| async move {
            match container.delete_item(key.user, &key.id, None).await {
                Ok(_) => Ok(()),
                Err(e) if e.status().is_not_found() => Ok(()),
                Err(e) => Err(cosmos_error("delete an old list", e)),
            }
        })
        .await?;
        let popular: Vec<String> = Self::query_all(
            &self.inner.registry,
            "list old popular lists",
            Query::from("SELECT VALUE c.id FROM c WHERE c.pk = 'popular'"),
            FeedScope::partition(POPULAR_PK),
        )
        .await?;
        let keep_ids: Vec<String> = keep.iter().map(|&v| popular_id(v)).collect();
        let registry = &self.inner.registry;
        let old: Vec<String> = popular
            .into_iter()
            .filter(|id| !keep_ids.contains(id))
            .collect();
        self.each_concurrently("delete old popular lists", old, |id| async move {
            match registry.delete_item(POPULAR_PK, &id, None).await {
                Ok(_) => Ok(()),
                Err(e) if e.status().is_not_found() => Ok(()),
                Err(e) => Err(cosmos_error("delete an old popular list", e)),
            }
        })
        .await?;
        Ok(deleted)
    }
}

#[async_trait]
impl RecommendationStore for CosmosStore {
    async fn write_recommendations(
        &self,
        version: u64,
        lists: &[UserRecommendations],
    ) -> Result<()> {
        // Kept in each user's document: this version, and the serving and
        // previous ones (still read by instances holding an older pointer).
        let serving = self.read_serving().await?.map(|(doc, _)| doc);
        let keep: Vec<u64> = std::iter::once(version)
            .chain(
                serving
                    .iter()
                    .flat_map(|s| std::iter::once(s.version).chain(s.previous)),
            )
            .collect();
        let keep = &keep;
        self.each_concurrently("write recommendations", lists.to_vec(), |l| async move {
            self.put_list(l.user, &ListEntry::of(&l, version), keep)
                .await
        })
        .await?;
        Ok(())
    }

    async fn write_popular(&self, version: u64, items: &[RecommendedItem]) -> Result<()> {
        let doc = PopularDoc {
            id: popular_id(version),
            pk: POPULAR_PK.into(),
            version,
            items: items.to_vec(),
        };
        self.inner
            .registry
            .upsert_item(POPULAR_PK, &doc.id, &doc, None)
            .await
            .map_err(|e| cosmos_error("write the popular list", e))?;
        Ok(())
    }

    async fn publish_recommendations(&self, version: u64) -> Result<()> {
        let current = self.read_serving().await?;
        let previous = match &current {
            Some((doc, _)) if doc.version == version => doc.previous,
            Some((doc, _)) => Some(doc.version),
            None => None,
        };
        let doc = ServingDoc {
            id: SERVING_ID.into(),
            pk: CONTROL_PK.into(),
            version,
            previous,
        };
        let registry = &self.inner.registry;
        let written = match current {
            None => {
                registry
                    .create_item(CONTROL_PK, SERVING_ID, &doc, None)
                    .await
            }
            Some((_, etag)) => {
                let options = etag.map(|etag| {
                    ItemWriteOptions::default().with_precondition(Precondition::if_match(etag))
                });
                registry
                    .replace_item(CONTROL_PK, SERVING_ID, &doc, options)
                    .await
            }
        };
        written.map_err(|e| {
            let concurrent = e.status().is_precondition_failed() || e.status().is_conflict();
            let also = if concurrent {
                " (another instance published at the same time; retry)"
            } else {
                ""
            };
            cosmos_error_with("publish recommendations", e, also)
        })?;
        self.remember_serving_version(Some(version));
        let keep: Vec<u64> = std::iter::once(version).chain(previous).collect();
        // The switch is done; a failed clean-up is repeated by the next publish.
        match self.delete_lists_except(&keep).await {
            Ok(deleted) => tracing::info!(version, deleted, "published recommendations"),
            Err(e) => tracing::warn!(version, error = %e, "published, but old lists remain"),
        }
        Ok(())
    }

    async fn serving_version(&self) -> Result<Option<u64>> {
        let version = self.read_serving().await?.map(|(doc, _)| doc.version);
        self.remember_serving_version(version);
        Ok(version)
    }

    async fn recommendations(&self, user: i32) -> Result<Option<UserRecommendations>> {
        let (version, doc) =
            futures::try_join!(self.cached_serving_version(), self.user_doc(user))?;
        Ok(serving_list_and_mark(user, version, doc).0)
    }

    async fn user_view(&self, user: i32) -> Result<UserView> {
        let (version, doc, catalogue_revision) = futures::try_join!(
            self.cached_serving_version(),
            self.user_doc(user),
            self.catalogue_revision()
        )?;
        let (list, rating_mark) = serving_list_and_mark(user, version, doc);
        Ok(UserView {
            list,
            rating_mark,
            catalogue_revision,
        })
    }

    async fn popular(&self) -> Result<Option<(u64, Vec<RecommendedItem>)>> {
        let Some(version) = self.cached_serving_version().await? else {
            return Ok(None);
        };
        let doc: Option<PopularDoc> = Self::read_optional(
            &self.inner.registry,
            POPULAR_PK,
            &popular_id(version),
            "popular list",
            "read the popular list",
        )
        .await?;
        Ok(doc.map(|d| (d.version, d.items)))
    }

    async fn published_recommendations(&self) -> Result<Vec<UserRecommendations>> {
        #[derive(Deserialize)]
        struct Lists {
            user: i32,
            lists: std::collections::BTreeMap<String, ListEntry>,
        }
        let Some(version) = self.serving_version().await? else {
            return Ok(Vec::new());
        };
        let docs: Vec<Lists> = Self::query_all(
            &self.inner.recommendations,
            "read every published list",
            Query::from("SELECT c.user, c.lists FROM c WHERE IS_DEFINED(c.lists)"),
            FeedScope::full_container(),
        )
        .await?;
        let key = list_key(version);
        Ok(docs
            .into_iter()
            .filter_map(|mut d| d.lists.remove(&key).map(|l| l.into_list(d.user)))
            .collect())
    }
}
