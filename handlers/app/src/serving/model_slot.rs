//! The model this instance serves fold-ins from: an immutable value behind an
//! `Arc`, swapped whole when a newer version is published.
//!
//! A request that needs it checks the published version (one store read) and
//! loads the new files only when it changed, so instances that did not run the
//! job themselves catch up on their own. Loads are single-flight: requests
//! that arrive during a load wait for it instead of loading the same version
//! again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use movierec_core::topn::similar::ItemVectors;
use movierec_core::topn::Scored;
use movierec_store::{Store, StoreError};

use super::ServeError;
use crate::models::{load_model_version, VersionModels};

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

#[derive(Default)]
pub struct ModelSlot {
    held: RwLock<Option<Arc<ServingModel>>>,
    /// Held while a version's files load.
    loading: tokio::sync::Mutex<()>,
    loads: AtomicU64,
}

impl ModelSlot {
    /// The model of the published version, loading it if this instance does
    /// not hold it yet. `None` when nothing is published.
    pub async fn current(
        &self,
        store: &dyn Store,
    ) -> Result<Option<Arc<ServingModel>>, ServeError> {
        let Some(version) = store.serving_version().await? else {
            return Ok(None);
        };
        if let Some(current) = self.held(version) {
            return Ok(Some(current));
        }
        let _loading = self.loading.lock().await;
        // Another request may have loaded it while this one waited.
        if let Some(current) = self.held(version) {
            return Ok(Some(current));
        }
        let models = load_model_version(store, version).await.map_err(|e| {
            match e.downcast::<StoreError>() {
                Ok(store) => ServeError::Store(store),
                Err(other) => ServeError::Model(other),
            }
        })?;
        let loaded = Arc::new(ServingModel::new(version, models));
        self.install(loaded.clone());
        self.loads.fetch_add(1, Ordering::Relaxed);
        tracing::info!(version, "loaded the published model");
        Ok(Some(loaded))
    }

    fn held(&self, version: u64) -> Option<Arc<ServingModel>> {
        self.held
            .read()
            .expect("lock")
            .as_ref()
            .filter(|m| m.version == version)
            .cloned()
    }

    /// Installs a model this instance just published, sparing a reload.
    pub fn install(&self, model: Arc<ServingModel>) {
        *self.held.write().expect("lock") = Some(model);
    }

    /// How many times this instance has loaded a model version from the store.
    pub fn loads(&self) -> u64 {
        self.loads.load(Ordering::Relaxed)
    }
}
