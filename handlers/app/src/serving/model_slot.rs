//! The model this instance serves fold-ins from: an immutable value behind an
//! `Arc`, swapped whole when a newer version is published.
//!
//! A request that needs it checks the published version (one store read) and
//! loads the new files only when it changed, so instances that did not run the
//! job themselves catch up on their own. Loads are single-flight
//! ([`Snapshots`]): requests that arrive during a load wait for it instead of
//! loading the same version again. The shards writing the next version's
//! lists take it from here too, so the publishing instance already holds it
//! when the version switches.

use std::sync::{Arc, OnceLock};

use movierec_core::topn::similar::ItemVectors;
use movierec_core::topn::Scored;
use movierec_store::Store;

use super::ServeError;
use crate::models::{load_model_version, LoadError, VersionModels};
use crate::snapshot::{SnapshotCount, Snapshots};

/// A version's loaded models (ranking and rating), its number, and the
/// ranking model's unit item vectors ("more like this", and the reasons).
pub struct ServingModel {
    pub version: u64,
    pub models: VersionModels,
    pub item_vectors: ItemVectors,
    /// Each movie's [`NEIGHBOURS_KEPT`] most similar, hidden ones included,
    /// worked out the first time a GET asks and kept for the version: a
    /// version's vectors never change, and scoring every movie per
    /// `GET /movies/{id}/similar` held it to 5% of the no-work ceiling.
    neighbours: Vec<OnceLock<Arc<[Scored]>>>,
}

/// How many neighbours a movie keeps: the most `GET .../similar` asks for.
pub const NEIGHBOURS_KEPT: usize = super::query::MAX_N;

impl ServingModel {
    pub fn new(version: u64, models: VersionModels) -> Self {
        let item_vectors = ItemVectors::new(&models.ranking);
        let neighbours = (0..models.ranking.items.len())
            .map(|_| OnceLock::new())
            .collect();
        ServingModel {
            version,
            models,
            item_vectors,
            neighbours,
        }
    }

    /// The [`NEIGHBOURS_KEPT`] items most similar to item `index` (best
    /// first), whether hidden or not: callers filter, and score every item
    /// themselves only when the filter leaves too few.
    pub fn neighbours(&self, index: u32) -> Arc<[Scored]> {
        self.neighbours[index as usize]
            .get_or_init(|| {
                self.item_vectors
                    .most_similar(index, NEIGHBOURS_KEPT, |_| false)
                    .into()
            })
            .clone()
    }
}

/// The versions this instance holds: the one served and, while shards write
/// it, the one being published (and an A/B test's version arms); each loaded
/// once and shared by serving, `similar`, the shards and the plan (one copy
/// of a version per instance).
pub struct ModelSlot(Snapshots<u64, ServingModel>);

/// The served version and the one being published.
const VERSIONS_HELD: usize = 2;

impl ModelSlot {
    /// A slot that holds `more` versions besides the served one and the one
    /// being published: the A/B test's version arms, which would otherwise
    /// evict those two, and each other, at every request.
    pub fn holding_more(more: usize) -> Self {
        ModelSlot(Snapshots::new(VERSIONS_HELD + more))
    }

    /// The model of the published version, loading it if this instance does
    /// not hold it yet. `None` when nothing is published.
    pub async fn current(
        &self,
        store: &dyn Store,
    ) -> Result<Option<Arc<ServingModel>>, ServeError> {
        let Some(version) = store.serving_version().await? else {
            return Ok(None);
        };
        let model = self.version(store, version).await.map_err(|e| match e {
            LoadError::Store(store) => ServeError::Store(store),
            other => ServeError::Model(other),
        })?;
        Ok(Some(model))
    }

    /// `version`'s models, held or loaded (once, whoever asks meanwhile).
    pub async fn version(
        &self,
        store: &dyn Store,
        version: u64,
    ) -> Result<Arc<ServingModel>, LoadError> {
        self.0
            .get_or_load(version, || async move {
                let models = load_model_version(store, version).await?;
                tracing::info!(version, "loaded a model version");
                Ok(ServingModel::new(version, models))
            })
            .await
    }

    /// How many times this instance has loaded a model version from the store.
    pub fn loads(&self) -> u64 {
        self.0.loads()
    }

    /// How often a version asked for was held, and loaded.
    pub fn count(&self) -> SnapshotCount {
        self.0.count("model")
    }
}
