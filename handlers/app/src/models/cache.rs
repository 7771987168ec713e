//! The version a shard worker is publishing, loaded once per instance: the
//! shards of one version that reach the same instance share one load, and
//! concurrent ones wait for it rather than loading it again.

use std::sync::Arc;

use movierec_store::Store;
use tokio::sync::Mutex;

use super::{load_model_version, VersionModels};

/// The loaded version and its models.
type Loaded = Option<(u64, Arc<VersionModels>)>;

#[derive(Clone, Default)]
pub struct VersionCache {
    slot: Arc<Mutex<Loaded>>,
}

impl VersionCache {
    /// `version`'s models, from the cache or the registry (replacing the
    /// cached version).
    pub async fn get(&self, store: &dyn Store, version: u64) -> anyhow::Result<Arc<VersionModels>> {
        let mut slot = self.slot.lock().await;
        if let Some((v, models)) = slot.as_ref() {
            if *v == version {
                return Ok(models.clone());
            }
        }
        let models = Arc::new(load_model_version(store, version).await?);
        *slot = Some((version, models.clone()));
        Ok(models)
    }
}
