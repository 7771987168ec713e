//! Which registry version serves an A/B arm with parameters of its own: a
//! marker per arm (`ab-arm:NAME` = the version), set by the retrain that
//! trained it (`crate::jobs::arm_models`) after the version is recorded, read
//! by every GET in the arm, so every instance on one store serves the same
//! version and switches at once. Housekeeping reads them all to keep those
//! versions' files.

use movierec_store::{Store, StoreError};

/// What every arm's marker name starts with.
pub const ARM_MARKER_PREFIX: &str = "ab-arm:";

/// The marker naming `arm`'s version.
pub fn arm_marker(arm: &str) -> String {
    format!("{ARM_MARKER_PREFIX}{arm}")
}

/// The version `arm` serves; `None` until a retrain has trained it.
pub async fn arm_version(store: &dyn Store, arm: &str) -> Result<Option<u64>, StoreError> {
    let Some(value) = store.marker(&arm_marker(arm)).await? else {
        return Ok(None);
    };
    value.parse().map(Some).map_err(|_| StoreError::Corrupt {
        what: "an A/B arm's marker",
        source: format!(
            "marker {} holds {value:?}, not a version number; delete it and the next retrain sets it again",
            arm_marker(arm)
        )
        .into(),
    })
}

/// Every arm that has a version, with it (arms no longer in the test too).
pub async fn arm_versions(store: &dyn Store) -> Result<Vec<(String, u64)>, StoreError> {
    Ok(store
        .markers_with_prefix(ARM_MARKER_PREFIX)
        .await?
        .into_iter()
        .filter_map(|(name, value)| {
            Some((
                name.strip_prefix(ARM_MARKER_PREFIX)?.to_string(),
                value.parse().ok()?,
            ))
        })
        .collect())
}

/// Records that `arm` now serves `version`.
pub async fn set_arm_version(store: &dyn Store, arm: &str, version: u64) -> Result<(), StoreError> {
    store
        .set_marker(&arm_marker(arm), Some(&version.to_string()))
        .await
}

/// Forgets `arm` (it left the test): its versions' files may go.
pub async fn forget_arm(store: &dyn Store, arm: &str) -> Result<(), StoreError> {
    store.set_marker(&arm_marker(arm), None).await
}
