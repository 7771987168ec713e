//! The state every handler shares: settings, the store, and the model that
//! serves fold-in requests.
//!
//! The serving model is an immutable value behind an `Arc`, swapped whole when
//! a newer version is published; a request that needs it checks the published
//! version (one store read) and loads the new files only when it changed, so
//! instances that did not run the job themselves catch up on their own.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use movierec_store::{Movie, SqliteOptions, SqliteStore, Store, StoreError};

use crate::dashboard::cache::DashboardCache;
use crate::jobs::model_io::{load_model_version, VersionModels};
use crate::jobs::JobControl;
use crate::settings::{Settings, StoreConfig};

/// A version's loaded models (ranking and rating) and its number.
pub struct ServingModel {
    pub version: u64,
    pub models: VersionModels,
}

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Arc<dyn Store>,
    serving: Arc<RwLock<Option<Arc<ServingModel>>>>,
    /// Held while a version's files load, so concurrent requests after a
    /// switch load it once and the others wait for that load.
    loading: Arc<tokio::sync::Mutex<()>>,
    loads: Arc<std::sync::atomic::AtomicU64>,
    catalog: Arc<RwLock<CatalogCache>>,
    /// Store-wide figures the dashboard shows, kept between requests.
    pub dashboard: Arc<DashboardCache>,
    /// The running jobs, cancelled at shutdown.
    pub jobs: JobControl,
}

/// Movies already looked up, for the published version they were read under:
/// a GET shows ten titles, and the catalogue changes only with an import, so
/// the cache starts afresh whenever a new version is published. Ids the
/// catalogue lacks are remembered too (`None`), so they cost no more reads.
#[derive(Default)]
struct CatalogCache {
    version: u64,
    movies: HashMap<i32, Option<Movie>>,
}

impl AppState {
    pub fn new(settings: Settings, store: Arc<dyn Store>) -> Self {
        AppState {
            dashboard: Arc::new(DashboardCache::new(settings.dashboard_cache)),
            settings: Arc::new(settings),
            store,
            serving: Arc::new(RwLock::new(None)),
            loading: Default::default(),
            loads: Default::default(),
            catalog: Default::default(),
            jobs: JobControl::default(),
        }
    }

    /// Opens (or connects to) the store the settings name.
    pub async fn open(settings: Settings) -> Result<Self, StoreError> {
        let store: Arc<dyn Store> = match &settings.store {
            StoreConfig::Sqlite(dir) => Arc::new(SqliteStore::open_with(
                dir,
                SqliteOptions {
                    wal_limit_bytes: settings.limits.sqlite_wal_limit_bytes,
                    ..SqliteOptions::default()
                },
            )?),
            #[cfg(feature = "cosmos")]
            StoreConfig::Cosmos(config) => {
                Arc::new(movierec_store::CosmosStore::connect(config.clone()).await?)
            }
        };
        Ok(Self::new(settings, store))
    }

    /// The model of the published version, loading it if this instance does not
    /// hold it yet. `None` when nothing is published.
    pub async fn serving_model(&self) -> anyhow::Result<Option<Arc<ServingModel>>> {
        let Some(version) = self.store.serving_version().await? else {
            return Ok(None);
        };
        if let Some(current) = self.held_model(version) {
            return Ok(Some(current));
        }
        let _loading = self.loading.lock().await;
        // Another request may have loaded it while this one waited.
        if let Some(current) = self.held_model(version) {
            return Ok(Some(current));
        }
        let models = load_model_version(self.store.as_ref(), version).await?;
        let loaded = Arc::new(ServingModel { version, models });
        *self.serving.write().expect("lock") = Some(loaded.clone());
        self.loads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::info!(version, "loaded the published model");
        Ok(Some(loaded))
    }

    fn held_model(&self, version: u64) -> Option<Arc<ServingModel>> {
        self.serving
            .read()
            .expect("lock")
            .as_ref()
            .filter(|m| m.version == version)
            .cloned()
    }

    /// How many times this instance has loaded a model version from the store.
    pub fn model_loads(&self) -> u64 {
        self.loads.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The catalogue entries of `ids` (unknown ids are absent), through the cache
    /// kept for published `version`.
    pub async fn movies(
        &self,
        version: u64,
        ids: &[i32],
    ) -> Result<HashMap<i32, Movie>, StoreError> {
        let mut found = HashMap::with_capacity(ids.len());
        let mut missing = Vec::new();
        {
            let cache = self.catalog.read().expect("lock");
            for &id in ids {
                match cache.movies.get(&id).filter(|_| cache.version == version) {
                    Some(Some(m)) => {
                        found.insert(id, m.clone());
                    }
                    Some(None) => {}
                    None => missing.push(id),
                }
            }
        }
        if !missing.is_empty() {
            let fetched = self.store.movies(&missing).await?;
            let mut cache = self.catalog.write().expect("lock");
            if cache.version != version {
                *cache = CatalogCache {
                    version,
                    movies: HashMap::new(),
                };
            }
            for id in missing {
                let movie = fetched.get(&id).cloned();
                if let Some(m) = &movie {
                    found.insert(id, m.clone());
                }
                cache.movies.insert(id, movie);
            }
        }
        Ok(found)
    }

    /// Installs a model this instance just published, sparing a reload.
    pub fn set_serving_model(&self, model: Arc<ServingModel>) {
        *self.serving.write().expect("lock") = Some(model);
    }
}
