//! `movierec/model.json`: what movierec knows about a model beyond Spark's
//! layout. Spark never opens this folder, so it can hold anything. Owns this
//! file's bytes only; it must not touch the file system.

use serde::{Deserialize, Serialize};

use super::{ModelFileError, ModelFiles};
use crate::model::FactorLayout;
use crate::params::AlsParams;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelExtras {
    /// Format version of this file.
    pub format: u32,
    pub layout: FactorLayout,
    /// Latent factors (the width minus 2 in the biased layout).
    pub latent_rank: usize,
    pub params: Option<AlsParams>,
    /// Free-form training and evaluation figures (`rmse`, `train_seconds`, ...).
    pub metrics: serde_json::Map<String, serde_json::Value>,
}

const PATH: &str = "movierec/model.json";

impl ModelExtras {
    /// Adds `movierec/model.json`.
    pub(crate) fn write(&self, files: &mut ModelFiles) {
        let mut value = self.clone();
        value.format = 1;
        let text = serde_json::to_string_pretty(&value).expect("extras serialise");
        files.insert(PATH, text.into_bytes());
    }

    /// `Ok(None)` when the file is absent (a model saved by Spark).
    pub(crate) fn read(files: &ModelFiles) -> Result<Option<Self>, ModelFileError> {
        let Some(bytes) = files.get(PATH) else {
            return Ok(None);
        };
        serde_json::from_slice(bytes)
            .map(Some)
            .map_err(|e| ModelFileError::invalid(PATH, format!("not a movierec model.json: {e}")))
    }
}
