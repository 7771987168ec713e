//! The handle every request and job shares: settings, the store, the serving
//! path ([`Serving`]: the model swap and the catalogue cache), the dashboard's
//! own read-only state, the running jobs and the counters ([`Telemetry`]).
//!
//! It only ties them together: what a GET does is `crate::serving`'s, what the
//! dashboard shows is `crate::dashboard`'s, what a job does is `crate::jobs`'s.
//! It must not depend on HTTP or on the jobs.

use std::sync::Arc;

use movierec_store::{SqliteOptions, SqliteStore, Store, StoreError};

use crate::dashboard::Dashboard;
use crate::impressions::Recorder;
use crate::serving::Serving;
use crate::settings::{Settings, StoreConfig};
use crate::telemetry::Telemetry;

/// Cloned for every request (axum hands each handler its own copy), so it
/// is one `Arc`: a clone is one count, not one per field.
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

/// What [`AppState`] holds; its fields read through `state.field`.
pub struct AppParts {
    pub settings: Arc<Settings>,
    pub store: Arc<dyn Store>,
    /// What a GET of recommendations reads through.
    pub serving: Serving,
    /// The dashboard's figures, kept between requests (it only reads).
    pub dashboard: Dashboard,
    /// The running jobs, cancelled at shutdown.
    pub jobs: JobControl,
    /// What this instance counts (`GET /metrics`).
    pub telemetry: Telemetry,
    /// The lists GETs served, on their way to the store.
    pub impressions: Recorder,
}

/// Cancels the running jobs at shutdown and waits for them to let go of the lease.
#[derive(Clone, Default)]
pub struct JobControl {
    pub cancel: tokio_util::sync::CancellationToken,
    pub tracker: tokio_util::task::TaskTracker,
    /// Shards being written in this process: the last one to end hands the
    /// publication's freed memory back (`jobs::runtime`).
    pub shards_running: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl JobControl {
    /// Cancels every running job and waits up to `grace` for them to end
    /// (their leases released); true if they all did.
    pub async fn shut_down(&self, grace: std::time::Duration) -> bool {
        self.cancel.cancel();
        self.tracker.close();
        tokio::time::timeout(grace, self.tracker.wait())
            .await
            .is_ok()
    }
}

impl std::ops::Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

impl AppState {
    pub fn new(settings: Settings, store: Arc<dyn Store>) -> Self {
        let serving = Serving::new(store.clone(), settings.ab_test.clone());
        let telemetry = Telemetry::new(settings.metrics);
        let impressions = Recorder::new(store.clone(), &settings.online);
        AppState(Arc::new(AppParts {
            dashboard: Dashboard::new(
                store.clone(),
                serving.clone(),
                settings.dashboard_cache,
                settings.online.liked_within,
            ),
            serving,
            settings: Arc::new(settings),
            store,
            jobs: JobControl::default(),
            telemetry,
            impressions,
        }))
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
}
