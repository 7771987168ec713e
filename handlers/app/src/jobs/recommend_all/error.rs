//! [`PublishError`]: how planning, writing a shard or publishing failed.
//! Owns the error only; the steps are the coordinator's and the shard's.

use movierec_store::StoreError;

use super::plan::PlanError;
use crate::models::LoadError;

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The version's models could not be loaded to make its lists.
    #[error(transparent)]
    Model(#[from] LoadError),
    #[error("making the lists of shard {shard} of version {version} panicked: {source}")]
    ListsPanicked {
        version: u64,
        shard: u32,
        #[source]
        source: tokio::task::JoinError,
    },
}

impl PublishError {
    /// Whether the store failed under it (trying again later can succeed).
    pub fn is_store(&self) -> bool {
        matches!(
            self,
            PublishError::Store(_)
                | PublishError::Plan(PlanError::Store(_))
                | PublishError::Model(LoadError::Store(_))
        )
    }
}
